"""Paid jobs, parts and loaners as use cases over in-memory adapters: each step is a ticket event."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.billing import (
    BillingReason,
    IllegalQuoteMove,
    LineCategory,
    NotAPaidJob,
    PaymentMethod,
    QuoteLine,
    QuoteState,
)
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.loaners import Condition
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.paid_work import work_may_start
from chalicelib.domain.parts import PartLine, PartsState, Shipment
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.plans import Milestone
from chalicelib.domain.sla import DeadlineState
from chalicelib.domain.ticket import Action, Billing
from chalicelib.services.billing import UnknownQuoteLink
from tests.fakes import fake_world, valid_report

LINES = [
    QuoteLine(category=LineCategory.MATERIALS, description="真空断路器", quantity=Decimal("1"),
              unit_price=Decimal("1200.00")),
    QuoteLine(category=LineCategory.LABOUR, description="更换调试", quantity=Decimal("1.5"), unit="小时",
              unit_price=Decimal("300.00")),
    QuoteLine(category=LineCategory.TRAVEL, description="往返", quantity=Decimal("1"), unit_price=Decimal("80")),
]


@pytest.fixture
def world():
    return fake_world()


def open_paid_job(world, **report):
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report(**report)),
                                           language="zh-CN")
    world.services.billing.decide_billing(receipt.number, actor=SystemActor("sup"), billing_kind=Billing.PAID,
                                          reason=BillingReason.OUT_OF_WARRANTY)
    return receipt


def quote_sent(world):
    receipt = open_paid_job(world)
    billing = world.services.billing
    billing.draft_quote(receipt.number, actor=SystemActor("sup"), lines=LINES, valid_until=date(2026, 12, 31))
    world.notifier.sent.clear()
    billing.send_quote(receipt.number, actor=SystemActor("sup"))
    return receipt


def test_a_quote_is_sent_to_the_customer_by_email_and_sms_with_a_link_to_answer_it(world):
    receipt = quote_sent(world)
    ticket = world.services.billing.ticket(receipt.number)
    assert ticket.quote.state == QuoteState.SENT
    assert ticket.quote.total == Decimal("1730.00")
    channels = {m.channel for m in world.notifier.sent if m.purpose == "quote"}
    assert channels == {MessageChannel.EMAIL, MessageChannel.SMS}
    sms = next(m for m in world.notifier.sent if m.channel == MessageChannel.SMS)
    assert "1,730.00" in sms.text and "https://desk.example.com/t/" in sms.text
    # The link in the message is a tracking link to this very ticket.
    token = sms.text.rsplit("/t/", 1)[1].strip()
    assert world.tickets.number_for_tracking_token(token) == receipt.number


def test_the_customer_approves_once_through_the_tracking_link_and_work_may_then_start(world):
    receipt = quote_sent(world)
    billing = world.services.billing
    assert not work_may_start(billing.ticket(receipt.number))
    ticket, recorded = billing.answer_quote(receipt.tracking_token, approve=True, revision=1)
    assert recorded and ticket.quote.state == QuoteState.APPROVED and work_may_start(ticket)
    again, recorded_again = billing.answer_quote(receipt.tracking_token, approve=True, revision=1)
    assert not recorded_again and again.version == ticket.version
    approvals = [e for e in world.tickets.events(receipt.number) if e.action == Action.APPROVE_QUOTE]
    assert len(approvals) == 1 and approvals[0].actor == "customer" and approvals[0].public


def test_a_declined_quote_cannot_then_be_approved_with_the_same_revision(world):
    receipt = quote_sent(world)
    billing = world.services.billing
    billing.answer_quote(receipt.tracking_token, approve=False, revision=1)
    with pytest.raises(IllegalQuoteMove):
        billing.answer_quote(receipt.tracking_token, approve=True, revision=1)


def test_an_unknown_token_answers_nothing(world):
    quote_sent(world)
    with pytest.raises(UnknownQuoteLink):
        world.services.billing.answer_quote("made-up-token", approve=True, revision=1)


def test_a_free_job_gets_no_quote(world):
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.services.billing.decide_billing(receipt.number, actor=SystemActor("sup"), billing_kind=Billing.FREE,
                                          reason=BillingReason.IN_WARRANTY)
    with pytest.raises(NotAPaidJob):
        world.services.billing.draft_quote(receipt.number, actor=SystemActor("sup"), lines=LINES, valid_until=date(2026, 12, 31))


def test_payments_are_tracked_until_the_balance_is_collected_and_the_job_leaves_the_unpaid_list(world):
    receipt = quote_sent(world)
    billing = world.services.billing
    billing.answer_quote(receipt.tracking_token, approve=True, revision=1)
    assert [(t.number, b) for t, b in billing.receivables()] == [(receipt.number, Decimal("1730.00"))]
    billing.invoice(receipt.number, actor=SystemActor("sup"), amount=Decimal("1730"), invoice_number="INV-7", on=date(2026, 11, 27))
    billing.record_payment(receipt.number, actor=SystemActor("sup"), received_on=date(2026, 11, 28), amount=Decimal("1000"),
                           method=PaymentMethod.BANK_TRANSFER)
    assert billing.receivables()[0][1] == Decimal("730.00")
    billing.record_payment(receipt.number, actor=SystemActor("sup"), received_on=date(2026, 11, 29), amount=Decimal("730"),
                           method=PaymentMethod.CASH)
    assert billing.receivables() == []
    payments = [e for e in world.tickets.events(receipt.number) if e.action == Action.RECORD_PAYMENT]
    assert len(payments) == 2 and not any(e.public for e in payments)


def test_a_parts_requisition_is_reviewed_shipped_and_received_each_step_on_the_timeline(world):
    receipt = open_paid_job(world)
    billing = world.services.billing
    billing.request_parts(receipt.number, actor=SystemActor("tech-wang"),
                          items=[PartLine(part_number="VS1-12", name="真空断路器", quantity=1)])
    assert [(t.number, r.id) for t, r in billing.open_requisitions()] == [(receipt.number, "R1")]
    billing.review_parts(receipt.number, "R1", actor=SystemActor("chief"), approve=True)
    billing.parts_lead_time(receipt.number, "R1", actor=SystemActor("chief"), expected_on=date(2026, 12, 2))
    billing.ship_parts(receipt.number, "R1", actor=SystemActor("sup"),
                       shipment=Shipment(carrier="顺丰", tracking_number="SF1", shipped_on=date(2026, 12, 2)))
    billing.receive_parts(receipt.number, "R1", actor=SystemActor("tech-wang"), received_on=date(2026, 12, 3))
    assert billing.ticket(receipt.number).requisitions[0].state == PartsState.RECEIVED
    assert billing.open_requisitions() == []
    steps = [e.action for e in world.tickets.events(receipt.number) if e.action.value.endswith("parts")
             or e.action == Action.PARTS_LEAD_TIME]
    assert steps == [Action.REQUEST_PARTS, Action.REVIEW_PARTS, Action.PARTS_LEAD_TIME, Action.SHIP_PARTS,
                     Action.RECEIVE_PARTS]


def test_a_loaner_issued_in_time_shows_the_premium_loaner_deadline_met(world):
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    desk, billing, clock = world.services.desk, world.services.billing, world.clock
    desk.classify(receipt.number, actor=SystemActor("sup"), plan="premium")
    desk.dispatch(receipt.number, actor=SystemActor("sup"), technicians=("tech-wang",))
    desk.check_in(receipt.number, actor=SystemActor("tech-wang"))
    desk.move(receipt.number, Action.START_REPAIR, actor=SystemActor("tech-wang"), summary="repair started")
    clock.advance(timedelta(hours=9))  # not fixed 8 h after repair began: a loaner is owed within 48 h
    billing.issue_loaner(receipt.number, actor=SystemActor("sup"), model="KYN28-12", serial_number="L-01", issued_to="王工",
                         issued_on=clock.now().date())
    ticket = billing.ticket(receipt.number)
    deadline = world.services.sla.schedule(ticket, billing.events(receipt.number)).get(Milestone.LOANER_PROVIDED)
    assert deadline.state == DeadlineState.MET
    billing.return_loaner(receipt.number, "L1", actor=SystemActor("sup"), returned_on=clock.now().date(), condition=Condition.GOOD)
    assert billing.ticket(receipt.number).loaners[0].condition == Condition.GOOD
