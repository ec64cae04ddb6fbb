"""The supervisor's ticket page opens the next step for the ticket's state first and folds the rest away."""

import re
from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Action, Priority
from tests.fakes import valid_report

S = StaffRole
FORMS = ("classify", "contact", "agree_date", "dispatch", "pause", "resume", "cancel")


def folds(page: str) -> list[tuple[str, bool]]:
    """The page's move forms in order, each with whether it is open."""
    return [(name, " open" in attrs) for attrs, name in
            ((m.group(0), m.group(1)) for m in re.finditer(r'<details class="action" id="(\w+)-action"[^>]*>', page))]


def ticket_in(state: str) -> str:
    services = wiring.services()
    number = services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    desk = services.desk
    if state == "new":
        return number
    desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.URGENT)
    if state == "triaged":
        return number
    if state == "waiting_on_customer":
        desk.move(number, Action.PAUSE, actor=SystemActor("supervisor"), summary="clock paused: site not ready")
        return number
    desk.dispatch(number, actor=SystemActor("supervisor"), technicians=("wang",))
    if state == "dispatched":
        return number
    desk.move(number, Action.CHECK_IN, actor=SystemActor("wang"), summary="checked in")
    if state == "on_site":
        return number
    desk.move(number, Action.UPLOAD_ACCEPTANCE, actor=SystemActor("wang"), summary="acceptance form filed")
    return number


@pytest.mark.parametrize("state, opened", [
    ("new", ["contact", "classify"]),
    ("triaged", ["dispatch"]),
    ("dispatched", []),
    ("on_site", []),
    ("waiting_on_customer", ["resume"]),
    ("awaiting_approval", []),
])
def test_the_next_step_for_each_state_is_open_and_first_and_the_rest_folded(memory_client, memory_staff_token, state,
                                                                           opened):
    # Over the in-memory adapters: what the page shows depends on the ticket's state, not on its store.
    token = memory_staff_token("supervisor")
    number = ticket_in(state)
    assert wiring.services().queue.get(number).status.value == state
    page = memory_client.http.get(f"/staff/tickets/{number}", headers={"Cookie": f"sd_staff={token}"}).body.decode()

    forms = folds(page)
    assert [name for name, is_open in forms if is_open] == opened
    assert [name for name, _ in forms][:len(opened)] == opened, "the next step comes first"
    assert {name for name, _ in forms} <= set(FORMS) and len(forms) == 6  # pause or resume, never both
    assert 'id="next-step"' in page
    assert ('id="approvals-link"' in page) == (state == "awaiting_approval")


def test_a_form_sent_back_with_a_problem_stays_open(client, staff_token):
    token = staff_token("supervisor")
    number = ticket_in("new")
    response = client.http.post(f"/staff/tickets/{number}/cancel", body=urlencode({"cancel_reason": ""}),
                                headers={"Cookie": f"sd_staff={token}",
                                         "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert ("cancel", True) in folds(response.body.decode())


def test_a_closed_ticket_has_no_forms_and_no_next_step(client, staff_token):
    token = staff_token("supervisor")
    number = ticket_in("new")
    wiring.services().desk.move(number, Action.CANCEL, actor=SystemActor("supervisor"), summary="cancelled: duplicate")
    page = client.http.get(f"/staff/tickets/{number}", headers={"Cookie": f"sd_staff={token}"}).body.decode()
    assert folds(page) == [] and 'id="next-step"' not in page
