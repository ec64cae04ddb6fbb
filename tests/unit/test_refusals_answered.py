"""A rule's refusal that a view does not answer itself is answered in one place (``web/errors.py``): the
same status and words under /api and on a page, in the caller's language, never a 500."""

from chalice import Blueprint, Chalice
from chalice.test import Client

from chalicelib.domain.permissions import NotPermitted
from chalicelib.domain.ticket import Action, IllegalTransition, Status
from chalicelib.services.ports import StaleTicket
from chalicelib.web.errors import guarded

blueprint = Blueprint(__name__)


@blueprint.route("/api/stale")
@guarded(blueprint)
def stale_api() -> None:
    raise StaleTicket("SD-2026-000001")


@blueprint.route("/staff/illegal")
@guarded(blueprint)
def illegal_page() -> None:
    raise IllegalTransition(Status.CLOSED, Action.DISPATCH)


@blueprint.route("/api/not-permitted")
@guarded(blueprint)
def not_permitted_api() -> None:
    raise NotPermitted(Action.CANCEL, "desk-liu")


def client() -> Client:
    app = Chalice(app_name="refusals")
    app.experimental_feature_flags.update({"BLUEPRINTS"})
    app.register_blueprint(blueprint)
    return Client(app)


def test_a_refusal_under_the_api_is_its_status_code_and_words_in_the_callers_language():
    with client() as c:
        response = c.http.get("/api/stale?lang=en")
    assert response.status_code == 409
    assert response.json_body["error"] == "stale" and "changed" in response.json_body["message"]


def test_a_refusal_on_a_page_is_the_same_status_with_the_words_in_the_pages_language():
    with client() as c:
        chinese = c.http.get("/staff/illegal")
        english = c.http.get("/staff/illegal?lang=en")
    assert chinese.status_code == english.status_code == 409
    assert "不能执行此操作" in chinese.body.decode() and "not possible now" in english.body.decode()


def test_a_step_the_staff_members_roles_do_not_take_is_a_403_saying_so():
    with client() as c:
        english = c.http.get("/api/not-permitted?lang=en")
        chinese = c.http.get("/api/not-permitted")
    assert english.status_code == chinese.status_code == 403
    assert english.json_body == {"error": "forbidden", "message": "Your role may not do this.", "fields": {}}
    assert chinese.json_body["message"] == "您的角色不能执行此操作。"
