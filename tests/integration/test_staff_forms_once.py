"""A staff form sent twice (a flaky connection's retry, a double click) records its move once and gets the
same redirect both times, under moto with real tokens. Each rendered form carries its own key."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Action, Priority, Status
from tests.fakes import valid_report
from tests.pngs import data_url, signature_png

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CLASSIFY_A = {"kind": "fault", "priority": "A", "billing": "free", "warranty": "in", "plan": "standard",
              "in_province": "yes"}


def post(client, path, token, data):
    return client.http.post(path, body=urlencode(data, doseq=True), headers=dict(FORM, Cookie=f"sd_staff={token}"))


def page(client, path, token):
    response = client.http.get(path, headers={"Cookie": f"sd_staff={token}"})
    assert response.status_code == 200
    return response.body.decode()


def form_key(html, marker):
    """The hidden key of the form whose opening tag holds ``marker`` (its id, or where it posts)."""
    form = html[html.index(marker if "/" in marker else f'id="{marker}"'):]
    form = form[: form.index("</form>")]
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', form).group(1)


def actions(number, action):
    return [e for e in wiring.services().queue.ticket_file(number).timeline if e.action == action]


def new_ticket():
    return wiring.services().intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")


@pytest.fixture
def supervisor(staff_token):
    staff_token("tech-wang", StaffRole.TECHNICIAN)  # in the technicians' group, so he can be dispatched
    return staff_token("supervisor", StaffRole.SUPERVISOR)


@pytest.fixture
def on_site(aws, staff_token):
    """A job dispatched to tech-wang, who has checked in; his token."""
    number = new_ticket().number
    desk = wiring.services().desk
    desk.record_contact(number, actor=SystemActor("supervisor"))
    desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.URGENT)
    desk.dispatch(number, actor=SystemActor("supervisor"), technicians=("tech-wang",))
    wang = staff_token("tech-wang", StaffRole.TECHNICIAN)
    return number, wang


def test_every_form_on_the_staff_pages_carries_its_own_key(client, supervisor, on_site):
    number, wang = on_site
    ticket_page = page(client, f"/staff/tickets/{new_ticket().number}", supervisor)
    keys = re.findall(r'name="idempotency_key" value="([0-9a-f]+)"', ticket_page)
    assert len(keys) == ticket_page.count('<form method="post"') == len(set(keys)) >= 5

    post(client, f"/staff/jobs/{number}/check-in", wang, {})
    job_page = page(client, f"/staff/jobs/{number}", wang)
    keys = re.findall(r'name="idempotency_key" value="([0-9a-f]+)"', job_page)
    assert len(keys) == job_page.count('<form method="post"') == len(set(keys)) >= 4


def test_a_progress_report_sent_twice_is_recorded_once_and_answered_the_same(client, on_site):
    number, wang = on_site
    post(client, f"/staff/jobs/{number}/check-in", wang, {})
    key = form_key(page(client, f"/staff/jobs/{number}", wang), "progress-form")
    report = {"text": "更换断路器，等待备件", "idempotency_key": key}

    first = post(client, f"/staff/jobs/{number}/progress", wang, report)
    again = post(client, f"/staff/jobs/{number}/progress", wang, report)  # the phone's retry

    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert len(actions(number, Action.REPORT_PROGRESS)) == 1
    # A new report is a new form, with a new key.
    next_key = form_key(page(client, f"/staff/jobs/{number}", wang), "progress-form")
    assert post(client, f"/staff/jobs/{number}/progress", wang, {**report, "idempotency_key": next_key}).status_code == 303
    assert len(actions(number, Action.REPORT_PROGRESS)) == 2


def test_two_progress_reports_sent_at_the_same_moment_with_one_key_are_recorded_once(aws, on_site):
    from chalice.test import Client

    from app import app

    number, wang = on_site
    with Client(app) as client:
        post(client, f"/staff/jobs/{number}/check-in", wang, {})
    report = {"text": "更换断路器，等待备件", "idempotency_key": "same-form"}
    answers = []

    def send():
        with Client(app) as client:
            answers.append(post(client, f"/staff/jobs/{number}/progress", wang, report))

    senders = [threading.Thread(target=send) for _ in range(3)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert [a.status_code for a in answers] == [303, 303, 303]
    assert len({a.headers["Location"] for a in answers}) == 1
    assert len(actions(number, Action.REPORT_PROGRESS)) == 1


def test_the_supervisors_double_clicks_on_classify_dispatch_and_pause_record_each_move_once(client, supervisor):
    number = new_ticket().number
    moves = [("classify", CLASSIFY_A, Action.CLASSIFY, "classify-form"),
             ("dispatch", {"technicians": ["tech-wang"]}, Action.DISPATCH, "dispatch-form"),
             ("pause", {"pause_reason": "customer_unreachable"}, Action.PAUSE, "pause-form")]
    for move, fields, action, form_id in moves:
        key = form_key(page(client, f"/staff/tickets/{number}", supervisor), form_id)
        first = post(client, f"/staff/tickets/{number}/{move}", supervisor, {**fields, "idempotency_key": key})
        again = post(client, f"/staff/tickets/{number}/{move}", supervisor, {**fields, "idempotency_key": key})
        assert first.status_code == again.status_code == 303, (move, again.body)
        assert first.headers["Location"] == again.headers["Location"]
        assert len(actions(number, action)) == 1, move
    assert wiring.services().queue.get(number).status == Status.WAITING_ON_CUSTOMER


def test_approving_twice_answers_the_same_redirect_instead_of_a_conflict(client, on_site, supervisor):
    number, wang = on_site
    post(client, f"/staff/jobs/{number}/check-in", wang, {})
    signed = {"work_done": "更换断路器，试运行正常", "signature": data_url(signature_png(600, 240)), "signer": "王工"}
    assert post(client, f"/staff/jobs/{number}/acceptance", wang, signed).status_code == 303
    key = form_key(page(client, "/staff/approvals", supervisor), f"/staff/approvals/{number}/approve")

    first = post(client, f"/staff/approvals/{number}/approve", supervisor, {"idempotency_key": key})
    again = post(client, f"/staff/approvals/{number}/approve", supervisor, {"idempotency_key": key})

    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert len(actions(number, Action.APPROVE)) == 1


def test_a_form_answered_with_a_problem_may_be_corrected_and_sent_with_its_key(client, supervisor):
    number = new_ticket().number
    key = form_key(page(client, f"/staff/tickets/{number}", supervisor), "cancel-form")
    refused = post(client, f"/staff/tickets/{number}/cancel", supervisor, {"cancel_reason": " ", "idempotency_key": key})
    assert refused.status_code == 400
    done = post(client, f"/staff/tickets/{number}/cancel", supervisor,
                {"cancel_reason": "客户已自行修复", "idempotency_key": key})
    assert done.status_code == 303
    assert wiring.services().queue.get(number).status == Status.CANCELLED


def test_one_key_sent_with_other_content_is_refused(client, supervisor):
    number = new_ticket().number
    key = form_key(page(client, f"/staff/tickets/{number}", supervisor), "contact-form")
    assert post(client, f"/staff/tickets/{number}/contact", supervisor,
                {"contact_note": "已电话联系", "idempotency_key": key}).status_code == 303
    other = post(client, f"/staff/tickets/{number}/contact", supervisor,
                 {"contact_note": "另一次联系", "idempotency_key": key})
    assert other.status_code == 422
    assert len(actions(number, Action.RECORD_CONTACT)) == 1
