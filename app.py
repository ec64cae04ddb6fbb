"""Wires the service desk's blueprints and scheduled jobs into one Chalice app. Nothing else lives here."""

from chalice import Chalice

from chalicelib.web import (
    aftercare,
    api,
    api_clients_page,
    approvals,
    archive,
    auth,
    billing,
    complaints,
    customer,
    escalations,
    headers,
    jobs,
    local_mode,
    local_tokens,
    log_context,
    nameplates,
    on_call,
    quote_answer,
    readiness,
    reports,
    search,
    short_links,
    staff,
    staff_api,
    staff_api_aftercare,
    staff_api_archive,
    staff_api_billing,
    staff_api_clients,
    staff_api_complaints,
    staff_api_office,
    staff_api_reports,
    staff_api_uploads,
    static,
    supervisor,
    survey,
    technician,
    webhooks_page,
)

app = Chalice(app_name="service-desk")
app.experimental_feature_flags.update({"BLUEPRINTS"})

# First: the lines the other middleware and views log carry the request's keys.
app.register_blueprint(log_context.blueprint)
app.register_blueprint(headers.blueprint)
app.register_blueprint(readiness.blueprint)
app.register_blueprint(customer.blueprint)
app.register_blueprint(api.blueprint, url_prefix="/api")
app.register_blueprint(staff_api.blueprint, url_prefix="/api/v1")
# The staff API's other resources: the same pages' services and roles, as JSON.
for resource in (
    staff_api_billing,
    staff_api_complaints,
    staff_api_aftercare,
    staff_api_archive,
    staff_api_reports,
    staff_api_uploads,
    staff_api_office,
    staff_api_clients,
):
    app.register_blueprint(resource.blueprint, url_prefix="/api/v1")
app.register_blueprint(auth.blueprint)
app.register_blueprint(staff.blueprint)
app.register_blueprint(supervisor.blueprint)
app.register_blueprint(technician.blueprint)
app.register_blueprint(approvals.blueprint)
app.register_blueprint(billing.blueprint)
app.register_blueprint(quote_answer.blueprint)
app.register_blueprint(archive.blueprint)
app.register_blueprint(nameplates.blueprint)
app.register_blueprint(reports.blueprint)
app.register_blueprint(search.blueprint)
app.register_blueprint(webhooks_page.blueprint)
app.register_blueprint(api_clients_page.blueprint)
app.register_blueprint(survey.blueprint)
app.register_blueprint(short_links.blueprint)
app.register_blueprint(aftercare.blueprint)
app.register_blueprint(complaints.blueprint)
app.register_blueprint(escalations.blueprint)
app.register_blueprint(on_call.blueprint)
app.register_blueprint(static.blueprint)
app.register_blueprint(local_mode.blueprint)
app.register_blueprint(local_tokens.blueprint)
app.register_blueprint(jobs.blueprint)
