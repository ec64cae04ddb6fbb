"""The after-care and complaint rules, pure (SPEC "After closure"; 003 §2–§5, 002 §4.3)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.aftercare import (
    CallbackInput,
    SurveyState,
    after_care_due,
    callback_window,
    repair_callback,
    survey_state,
)
from chalicelib.domain.complaints import Approver, Complaint, ComplaintDetails, Severity
from chalicelib.domain.notification import INTERNAL_CHANNELS, DeliveryState, MessageChannel
from chalicelib.domain.ticket import Action, IllegalTransition, Kind, Product, Reporter, Status, Ticket

NOW = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)


def ticket(status: Status) -> Ticket:
    return Ticket(number="SD-2026-000001", status=status, description="x", created_at=NOW, updated_at=NOW,
                  reporter=Reporter(customer_name="c", phone="+8613800138000", province="CN-JS", address="a"),
                  product=Product(model="m"))


def test_a_callback_is_due_5_to_7_days_after_the_repair_or_delivery():
    assert callback_window(date(2026, 11, 27)) == (date(2026, 12, 2), date(2026, 12, 4))


def test_a_repair_callbacks_id_follows_from_the_ticket_and_its_closing_day_so_it_is_booked_once():
    def task(phone: str):
        return repair_callback(number="SD-2026-000001", closed_on=date(2026, 11, 27), customer_name="c",
                               phone=phone, serial_number=None, model="m")

    assert task("+8613800138000").id == task("+8613900139000").id == "2026-12-02.repair.SD-2026-000001"


@pytest.mark.parametrize("status, kind, gets", [
    (Status.CLOSED, Kind.FAULT, True), (Status.CLOSED, Kind.MAINTENANCE, True),
    (Status.CLOSED, Kind.COMPLAINT, False), (Status.AWAITING_APPROVAL, Kind.FAULT, False),
    (Status.CANCELLED, Kind.FAULT, False),
])
def test_only_a_closed_job_that_is_no_complaint_gets_after_care(status, kind, gets):
    assert ticket(status).model_copy(update={"kind": kind}).gets_after_care is gets


def test_the_after_care_item_is_internal_and_due_at_once():
    item = after_care_due("SD-2026-000001", at=NOW, message_id="m1")
    assert item.channel == MessageChannel.JOB and item.channel in INTERNAL_CHANNELS
    assert (item.purpose, item.recipient, item.ticket_number) == ("after_care", "app", "SD-2026-000001")
    assert item.state == DeliveryState.PENDING and item.next_attempt_at == NOW
    assert {MessageChannel.EMAIL, MessageChannel.SMS}.isdisjoint(INTERNAL_CHANNELS)


@pytest.mark.parametrize("data, outcome", [
    ({"reached": "no"}, "unreachable"),
    ({"reached": "yes", "satisfied": "yes"}, "satisfied"),
    ({"reached": "yes", "satisfied": "no"}, "problem"),
    ({"reached": "yes", "satisfied": "yes", "problem": "follow_up", "notes": "n"}, "problem"),
])
def test_a_callback_has_one_of_the_reports_three_outcomes(data, outcome):
    assert CallbackInput.model_validate(data).outcome == outcome


def test_a_survey_is_open_until_its_day_and_answered_wins_over_expired():
    until = NOW + timedelta(days=30)
    assert survey_state(answered=False, until=until, now=NOW) == SurveyState.OPEN
    assert survey_state(answered=False, until=until, now=until) == SurveyState.EXPIRED
    assert survey_state(answered=True, until=until, now=until + timedelta(days=1)) == SurveyState.ANSWERED


@pytest.mark.parametrize("action", [Action.SEND_SURVEY, Action.ANSWER_SURVEY, Action.RECORD_CALLBACK])
def test_survey_and_callback_belong_to_a_closed_job(action):
    with pytest.raises(IllegalTransition):
        ticket(Status.ON_SITE).apply(action, actor="x", at=NOW, summary="s")
    moved, _ = ticket(Status.CLOSED).apply(action, actor="x", at=NOW, summary="s")
    assert moved.status == Status.CLOSED


def test_committing_a_reply_triages_a_new_complaint_and_closing_ends_it():
    moved, _ = ticket(Status.NEW).apply(Action.COMMIT_REPLY, actor="x", at=NOW, summary="s")
    assert moved.status == Status.TRIAGED
    closed, _ = moved.apply(Action.CLOSE_COMPLAINT, actor="x", at=NOW, summary="s")
    assert closed.status == Status.CLOSED


@pytest.mark.parametrize("severity, compensation, needed", [
    (Severity.MINOR, None, ()),
    (Severity.MINOR, Decimal("10"), (Approver.GENERAL_MANAGER,)),
    (Severity.SEVERE, None, (Approver.SUPERVISOR, Approver.GENERAL_MANAGER)),
    (Severity.SEVERE, Decimal("10"), (Approver.SUPERVISOR, Approver.GENERAL_MANAGER)),
])
def test_who_approves_a_resolution(severity, compensation, needed):
    details = ComplaintDetails(order_number="o", part_number="p", ship_date=date(2026, 1, 1), quantity=1,
                               defective_quantity=1, customer_request="r", severity=severity)
    complaint = Complaint(details=details, recorded_by="d", recorded_at=NOW, cause="quality", department="q")
    proposed = complaint.proposed("fix", compensation, by="d", at=NOW)
    assert proposed.approvals_needed() == needed
    assert proposed.next_approval() == (needed[0] if needed else None)
