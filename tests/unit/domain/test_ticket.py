"""The ticket lifecycle as rules: every move is in the transition table, every move leaves an event."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.events import Submitted
from chalicelib.domain.ticket import (
    LIFECYCLE,
    TRANSITIONS,
    Action,
    Channel,
    IllegalTransition,
    Kind,
    Product,
    Reporter,
    Status,
    Target,
    _table,
    format_ticket_number,
    open_ticket,
)

T0 = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)


def new_ticket():
    return open_ticket(
        number="SD-2026-000001",
        reporter=Reporter(customer_name="ACME", phone="+8613800138000", province="CN-JS", address="Suzhou"),
        product=Product(model="KYN28-12"),
        description="trips on closing",
        kind=Kind.FAULT,
        channel=Channel.WEB,
        at=T0,
        actor="customer",
    )


def test_a_new_ticket_starts_as_new_with_a_submit_event():
    ticket, event = new_ticket()
    assert ticket.status == Status.NEW
    assert ticket.version == 1
    assert event.action == Action.SUBMIT
    assert event.status == Status.NEW
    assert event.payload == Submitted(channel=Channel.WEB, kind=Kind.FAULT, plan="standard", in_province=True)


def test_ticket_numbers_are_readable_and_zero_padded():
    assert format_ticket_number(2026, 123) == "SD-2026-000123"


def test_each_move_bumps_the_version_and_records_what_it_changed():
    ticket, _ = new_ticket()
    moved, event = ticket.apply(Action.CLASSIFY, actor="sup-1", at=T0 + timedelta(minutes=5), summary="classified A")
    assert moved.status == Status.TRIAGED
    assert moved.version == 2
    assert moved.updated_at == T0 + timedelta(minutes=5)
    assert (event.changed, event.status) == (("status",), Status.TRIAGED)
    assert ticket.status == Status.NEW, "tickets are immutable; apply returns a new one"


def test_a_job_cannot_be_approved_before_anyone_worked_on_it():
    ticket, _ = new_ticket()
    with pytest.raises(IllegalTransition, match="cannot approve a ticket that is new"):
        ticket.apply(Action.APPROVE, actor="sup-1", at=T0, summary="")


def test_a_job_is_complete_only_after_the_signed_acceptance_form_is_approved():
    ticket, _ = new_ticket()
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE):
        ticket, _ = ticket.apply(action, actor="x", at=T0, summary="")
    assert ticket.status == Status.AWAITING_APPROVAL
    ticket, _ = ticket.apply(Action.APPROVE, actor="sup-1", at=T0, summary="")
    assert ticket.status == Status.CLOSED
    assert not ticket.is_open


def test_a_refused_signature_keeps_the_job_open_on_site():
    ticket, _ = new_ticket()
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.REFUSE_SIGNATURE):
        ticket, _ = ticket.apply(action, actor="x", at=T0, summary="")
    assert ticket.status == Status.ON_SITE


def test_pausing_remembers_where_the_job_was_and_resuming_returns_there():
    ticket, _ = new_ticket()
    ticket, _ = ticket.apply(Action.CLASSIFY, actor="x", at=T0, summary="")
    paused, event = ticket.apply(Action.PAUSE, actor="x", at=T0, summary="customer unreachable")
    assert paused.status == Status.WAITING_ON_CUSTOMER
    assert "paused_from" in event.changed
    resumed, _ = paused.apply(Action.RESUME, actor="x", at=T0, summary="")
    assert resumed.status == Status.TRIAGED
    assert resumed.paused_from is None


def test_closed_tickets_accept_no_further_moves():
    ticket, _ = new_ticket()
    ticket, _ = ticket.apply(Action.CANCEL, actor="x", at=T0, summary="duplicate")
    for action in Action:
        if action == Action.SUBMIT:
            continue
        with pytest.raises(IllegalTransition):
            ticket.apply(action, actor="x", at=T0, summary="")


def test_the_transition_table_only_leads_to_known_statuses():
    assert set(TRANSITIONS.values()) <= {*Status, *Target}


def test_a_move_declared_twice_in_the_lifecycle_is_refused_when_the_table_is_built():
    with pytest.raises(ValueError, match="declared twice"):
        _table([*LIFECYCLE, LIFECYCLE[0]])


def test_resuming_leads_back_to_where_the_ticket_was_paused_from():
    ticket = new_ticket()[0].model_copy(update={"status": Status.ON_SITE})
    paused, _ = ticket.apply(Action.PAUSE, actor="x", at=T0, summary="")
    resumed, _ = paused.apply(Action.RESUME, actor="x", at=T0, summary="")

    assert (paused.status, resumed.status, resumed.paused_from) == (Status.WAITING_ON_CUSTOMER, Status.ON_SITE, None)
