"""Wires the service desk's blueprints and scheduled jobs into one Chalice app. Nothing else lives here."""

from chalice import Chalice

from chalicelib.web import api, auth, customer, escalations, jobs, local_mode, staff, static

app = Chalice(app_name="service-desk")
app.experimental_feature_flags.update({"BLUEPRINTS"})

app.register_blueprint(customer.blueprint)
app.register_blueprint(api.blueprint, url_prefix="/api")
app.register_blueprint(auth.blueprint)
app.register_blueprint(staff.blueprint)
app.register_blueprint(escalations.blueprint)
app.register_blueprint(static.blueprint)
app.register_blueprint(local_mode.blueprint)
app.register_blueprint(jobs.blueprint)
