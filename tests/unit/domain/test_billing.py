"""Paid jobs (000 §4.3.1): money rounding, quote life, balance, and the rule that paid work waits."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chalicelib.domain import billing
from chalicelib.domain.billing import (
    QUOTE_MOVES,
    AccountSettled,
    AccountState,
    BillingReason,
    IllegalQuoteMove,
    LineCategory,
    Overpayment,
    Payment,
    PaymentMethod,
    QuoteChanged,
    QuoteExpired,
    QuoteLine,
    QuoteMove,
    QuoteState,
    ReasonDoesNotFit,
)
from chalicelib.domain.paid_work import PaidWorkNotApproved, ensure_work_may_start, has_balance_due, work_may_start
from chalicelib.domain.ticket import Billing, Product, Reporter, Ticket

AT = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)
TODAY = date(2026, 11, 27)


def line(category="materials", qty="1", price="100.00", description="断路器"):
    return QuoteLine(category=LineCategory(category), description=description, quantity=Decimal(qty),
                     unit_price=Decimal(price))


def drafted(*lines, valid_until=date(2026, 12, 31)):
    return billing.draft_quote(None, list(lines) or [line()], valid_until=valid_until, note="", actor="sup", at=AT,
                               today=TODAY)


def sent(*lines):
    return billing.send_quote(drafted(*lines), at=AT, today=TODAY)


def approved(*lines):
    return billing.answer_quote(sent(*lines), approve=True, revision=1, at=AT, today=TODAY)


def payment(amount, on=TODAY):
    return Payment(received_on=on, amount=Decimal(amount), method=PaymentMethod.BANK_TRANSFER, recorded_by="sup",
                   recorded_at=AT)


def test_a_line_is_rounded_to_the_fen_half_up_and_the_total_is_the_sum_of_the_rounded_lines():
    labour = line("labour", qty="1.5", price="33.33")  # 49.995 -> 50.00
    travel = line("travel", qty="0.5", price="2.01")  # 1.005 -> 1.01
    quote = drafted(labour, travel, line())
    assert labour.total == Decimal("50.00")
    assert travel.total == Decimal("1.01")
    assert quote.total == Decimal("151.01")
    assert quote.subtotal(LineCategory.LABOUR) == Decimal("50.00")
    assert quote.subtotal(LineCategory.MATERIALS) == Decimal("100.00")


def test_free_needs_the_warranty_and_paid_needs_a_paid_reason():
    billing.check_reason(False, BillingReason.IN_WARRANTY)
    for reason in (BillingReason.OUT_OF_WARRANTY, BillingReason.TRANSPORT_DAMAGE, BillingReason.MISUSE,
                   BillingReason.CHANGED_CONDITIONS):
        billing.check_reason(True, reason)
        with pytest.raises(ReasonDoesNotFit):
            billing.check_reason(False, reason)
    with pytest.raises(ReasonDoesNotFit):
        billing.check_reason(True, BillingReason.IN_WARRANTY)


def test_the_quote_moves_only_as_its_table_says():
    for state in (None, *QuoteState):
        for move in QuoteMove:
            if (state, move) not in QUOTE_MOVES:
                with pytest.raises(IllegalQuoteMove):
                    billing.next_quote_state(state, move)
    assert billing.next_quote_state(QuoteState.SENT, QuoteMove.APPROVE) == QuoteState.APPROVED


def test_an_approved_quote_cannot_be_rewritten_or_declined():
    quote = approved()
    with pytest.raises(IllegalQuoteMove):
        billing.draft_quote(quote, [line()], valid_until=date(2026, 12, 31), note="", actor="s", at=AT, today=TODAY)
    with pytest.raises(IllegalQuoteMove):
        billing.answer_quote(quote, approve=False, revision=1, at=AT, today=TODAY)


def test_answering_twice_the_same_way_records_nothing_new():
    quote = approved()
    assert billing.answer_quote(quote, approve=True, revision=1, at=AT, today=TODAY) is None


def test_rewriting_a_sent_quote_makes_a_new_revision_and_an_answer_to_the_old_one_is_refused():
    first = sent()
    second = billing.draft_quote(first, [line(price="90")], valid_until=date(2026, 12, 31), note="", actor="s",
                                 at=AT, today=TODAY)
    assert (second.revision, second.state) == (2, QuoteState.DRAFT)
    second = billing.send_quote(second, at=AT, today=TODAY)
    with pytest.raises(QuoteChanged):
        billing.answer_quote(second, approve=True, revision=1, at=AT, today=TODAY)


def test_an_expired_quote_can_be_neither_sent_nor_approved():
    quote = sent()
    with pytest.raises(QuoteExpired):
        billing.answer_quote(quote, approve=True, revision=1, at=AT, today=date(2027, 1, 1))
    with pytest.raises(QuoteExpired):
        drafted(valid_until=date(2026, 11, 26))


def test_the_balance_is_the_approved_total_or_the_invoice_less_the_payments():
    quote = approved(line(price="1000"))
    assert billing.balance(sent(), None) == Decimal("0.00")  # nothing owed before approval
    account = billing.record_payment(quote, None, payment("400"))
    assert billing.balance(quote, account) == Decimal("600.00")
    account = billing.invoice(quote, account, amount=Decimal("900"), number="INV-1", on=TODAY)
    assert billing.balance(quote, account) == Decimal("500.00")
    with pytest.raises(Overpayment):
        billing.record_payment(quote, account, payment("500.01"))
    account = billing.record_payment(quote, account, payment("500"))
    assert billing.balance(quote, account) == Decimal("0.00")


def test_no_invoice_or_payment_before_the_customer_approved():
    with pytest.raises(billing.NothingToCollect):
        billing.record_payment(sent(), None, payment("1"))
    with pytest.raises(billing.NothingToCollect):
        billing.invoice(sent(), None, amount=Decimal("1"), number="X", on=TODAY)


def test_the_account_is_due_paid_invoiced_and_settled_step_by_step():
    quote = approved(line(price="1000"))
    assert billing.account_state(sent(), None) is None  # nothing owed before the approval
    assert billing.account_state(quote, None) == AccountState.DUE
    account = billing.record_payment(quote, None, payment("400"))
    assert billing.account_state(quote, account) == AccountState.DUE
    account = billing.record_payment(quote, account, payment("600"))
    assert billing.account_state(quote, account) == AccountState.PAID_UNINVOICED  # the invoice is still owed
    with pytest.raises(AccountSettled):
        billing.record_payment(quote, account, payment("1"))
    account = billing.invoice(quote, account, amount=Decimal("1000"), number="INV-1", on=TODAY)
    assert billing.account_state(quote, account) == AccountState.SETTLED
    account = billing.invoice(quote, account, amount=Decimal("1200"), number="INV-2", on=TODAY)  # corrected
    assert billing.account_state(quote, account) == AccountState.INVOICED
    with pytest.raises(Overpayment):
        billing.invoice(quote, account, amount=Decimal("999"), number="INV-3", on=TODAY)  # below what was paid


def ticket(**changes):
    base = Ticket(number="SD-2026-000001", reporter=Reporter(customer_name="c", phone="13800138000", province="CN-JS",
                                                             address="a"),
                  product=Product(model="m"), description="d", created_at=AT, updated_at=AT)
    return base.model_copy(update=changes)


def test_paid_work_may_not_start_before_the_customer_approves_the_quote():
    assert work_may_start(ticket())  # billing not decided: not held up
    assert work_may_start(ticket(billing=Billing.FREE))
    assert not work_may_start(ticket(billing=Billing.PAID))
    assert not work_may_start(ticket(billing=Billing.PAID, quote=sent()))
    with pytest.raises(PaidWorkNotApproved):
        ensure_work_may_start(ticket(billing=Billing.PAID, quote=sent()))
    ensure_work_may_start(ticket(billing=Billing.PAID, quote=approved()))


def test_a_paid_job_is_on_the_unpaid_list_until_its_balance_is_zero():
    quote = approved(line(price="10"))
    assert has_balance_due(ticket(billing=Billing.PAID, quote=quote))
    paid = billing.record_payment(quote, None, payment("10"))
    assert not has_balance_due(ticket(billing=Billing.PAID, quote=quote, account=paid))
    assert not has_balance_due(ticket(billing=Billing.FREE, quote=quote))
