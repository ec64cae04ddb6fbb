"""Paid jobs (000 §4.3.1): why a job is paid, its quote, and the money until it is collected.

A job is free inside the contract warranty and paid outside it, or when the damage came from
transport, misuse or changed technical conditions. A paid job needs a quote (materials, labour,
travel) that the customer approves from their tracking link — that approval is the signed service
agreement — before work may start (``chalicelib.domain.paid_work.work_may_start``). Then the amount is
invoiced and payments are recorded until the balance is zero.

Money is ``Decimal`` in CNY, rounded to the fen (0.01) half-up per line; a quote's total is the sum of
its rounded lines, so the total always equals what the customer sees line by line. Prices are tax
inclusive (the quote says so); tax lines are not modelled.

The quote's life is a transition table (``QUOTE_MOVES``); an illegal move raises ``IllegalQuoteMove``.
So is the account's (``ACCOUNT_MOVES``: owed, invoiced, fully paid), read from the approved quote and the
account; nothing is collected before the approval (``NothingToCollect``), nor once all is paid
(``AccountSettled``). This module does not import the ticket: the ticket holds a ``Quote`` and an ``Account``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.domain.lifecycle import Lifecycle

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_LINES = 30
DECLINE_REASON_CHARS = 500  # a few sentences: why the price or the work does not suit them
MAX_AMOUNT = Decimal("100000000")  # a sanity cap: ¥100 million, far above any service job


def money(value: Decimal | int | str) -> Decimal:
    """Round to the fen, half up (how Chinese invoices round)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


class BillingReason(StrEnum):
    """Why a job is free or paid (000 §4.3.1)."""

    IN_WARRANTY = "in_warranty"  # free
    OUT_OF_WARRANTY = "out_of_warranty"  # paid from here on
    TRANSPORT_DAMAGE = "transport_damage"
    MISUSE = "misuse"
    CHANGED_CONDITIONS = "changed_conditions"  # technical conditions changed by the customer


PAID_REASONS = frozenset(
    {BillingReason.OUT_OF_WARRANTY, BillingReason.TRANSPORT_DAMAGE, BillingReason.MISUSE,
     BillingReason.CHANGED_CONDITIONS}
)


class BillingError(Exception):
    """A paid-job rule was broken; ``code`` names it for messages in people's language."""

    code = "billing"


class ReasonDoesNotFit(BillingError):
    """Free needs the warranty as its reason; paid needs one of the paid reasons."""

    code = "reason_mismatch"


class NotAPaidJob(BillingError):
    code = "not_paid_job"


class IllegalQuoteMove(BillingError):
    code = "quote_move"

    def __init__(self, state: QuoteState | None, move: QuoteMove):
        super().__init__(f"cannot {move.value} a quote that is {state.value if state else 'missing'}")
        self.state = state
        self.move = move


class QuoteExpired(BillingError):
    code = "quote_expired"


class QuoteChanged(BillingError):
    """The customer answered a revision that is no longer the one on offer."""

    code = "quote_changed"


class EmptyQuote(BillingError):
    code = "quote_empty"


class NothingToCollect(BillingError):
    """Invoicing or payments before the customer approved the quote."""

    code = "nothing_to_collect"


class Overpayment(BillingError):
    code = "overpayment"


class AccountSettled(Overpayment):
    """A payment on an account already paid in full."""

    code = "account_settled"

    def __init__(self, state: AccountState, move: AccountMove):
        super().__init__(f"cannot {move.value} an account that is {state.value}")
        self.state = state
        self.move = move


def check_reason(paid: bool, reason: BillingReason) -> None:
    if paid != (reason in PAID_REASONS):
        raise ReasonDoesNotFit(f"{reason.value} does not make a job {'paid' if paid else 'free'}")


class LineCategory(StrEnum):
    MATERIALS = "materials"
    LABOUR = "labour"
    TRAVEL = "travel"


class QuoteLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    category: LineCategory
    description: str = Field(min_length=1, max_length=200)
    quantity: Decimal = Field(gt=0, le=100000, max_digits=12, decimal_places=3)
    unit: str = Field(default="", max_length=20)
    unit_price: Decimal = Field(ge=0, lt=MAX_AMOUNT, max_digits=14, decimal_places=2)

    @field_validator("description", "unit")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()

    @property
    def total(self) -> Decimal:
        return money(self.quantity * self.unit_price)


class QuoteState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"  # waiting for the customer
    APPROVED = "approved"  # the customer signed the service agreement
    DECLINED = "declined"


class QuoteMove(StrEnum):
    DRAFT = "draft"  # write or rewrite the lines (a new revision once it has been sent)
    SEND = "send"
    APPROVE = "approve"
    DECLINE = "decline"


# The quote's life: (state before, move, state after); a move not listed is illegal. ``None``: no quote yet.
QUOTE_MOVES: Lifecycle[QuoteState, QuoteMove] = Lifecycle(
    [
        (None, QuoteMove.DRAFT, QuoteState.DRAFT),
        (QuoteState.DRAFT, QuoteMove.DRAFT, QuoteState.DRAFT),
        (QuoteState.DRAFT, QuoteMove.SEND, QuoteState.SENT),
        (QuoteState.SENT, QuoteMove.DRAFT, QuoteState.DRAFT),  # withdrawn for a new revision
        (QuoteState.SENT, QuoteMove.APPROVE, QuoteState.APPROVED),
        (QuoteState.SENT, QuoteMove.DECLINE, QuoteState.DECLINED),
        (QuoteState.DECLINED, QuoteMove.DRAFT, QuoteState.DRAFT),  # a new offer after a refusal
    ],
    refuse=IllegalQuoteMove,
)


def next_quote_state(state: QuoteState | None, move: QuoteMove) -> QuoteState:
    return QUOTE_MOVES.next(state, move)


class Quote(BaseModel):
    """One revision of the offer. ``revision`` goes up each time a sent quote is rewritten, so an answer
    is always bound to the revision the customer saw."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    revision: int = 1
    state: QuoteState = QuoteState.DRAFT
    lines: tuple[QuoteLine, ...]
    valid_until: date
    note: str = ""
    drafted_by: str
    drafted_at: datetime
    sent_at: datetime | None = None
    answered_at: datetime | None = None
    answered_via: str | None = None  # "tracking link"
    decline_reason: str | None = Field(None, max_length=DECLINE_REASON_CHARS)  # the customer's words, if any

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    def subtotal(self, category: LineCategory) -> Decimal:
        return sum((line.total for line in self.lines if line.category == category), ZERO)

    def expired(self, today: date) -> bool:
        return today > self.valid_until


def draft_quote(
    current: Quote | None,
    lines: Sequence[QuoteLine],
    *,
    valid_until: date,
    note: str,
    actor: str,
    at: datetime,
    today: date,
) -> Quote:
    """Write the lines; a quote already sent or declined becomes the next revision."""
    state = next_quote_state(current.state if current else None, QuoteMove.DRAFT)
    if not lines:
        raise EmptyQuote("a quote needs at least one line")
    if len(lines) > MAX_LINES:
        raise EmptyQuote(f"at most {MAX_LINES} lines")
    if valid_until < today:
        raise QuoteExpired("the validity date is in the past")
    revision = 1
    if current is not None:
        revision = current.revision if current.state == QuoteState.DRAFT else current.revision + 1
    quote = Quote(revision=revision, state=state, lines=tuple(lines), valid_until=valid_until, note=note.strip(),
                  drafted_by=actor, drafted_at=at)
    if quote.total >= MAX_AMOUNT:
        raise EmptyQuote("the total is beyond any service job")
    return quote


def send_quote(quote: Quote | None, *, at: datetime, today: date) -> Quote:
    state = next_quote_state(quote.state if quote else None, QuoteMove.SEND)
    assert quote is not None
    if quote.expired(today):
        raise QuoteExpired("the quote's validity date has passed; change it before sending")
    return quote.model_copy(update={"state": state, "sent_at": at})


def answer_quote(
    quote: Quote | None, *, approve: bool, revision: int, at: datetime, today: date, reason: str | None = None
) -> Quote | None:
    """The customer's answer to ``revision``. Returns the answered quote, or ``None`` when this very
    answer was already recorded (a second click, a reload): answering is idempotent. ``reason``: why
    they decline, in their words (optional, kept only with a decline)."""
    move = QuoteMove.APPROVE if approve else QuoteMove.DECLINE
    wanted = QuoteState.APPROVED if approve else QuoteState.DECLINED
    if quote is None:
        raise IllegalQuoteMove(None, move)
    if quote.revision != revision:
        raise QuoteChanged(f"revision {revision} is not the one on offer ({quote.revision})")
    if quote.state == wanted:
        return None
    state = next_quote_state(quote.state, move)
    if approve and quote.expired(today):
        raise QuoteExpired("the quote's validity date has passed")
    why = " ".join((reason or "").split())[:DECLINE_REASON_CHARS] or None
    return quote.model_copy(update={"state": state, "answered_at": at, "answered_via": "tracking link",
                                    "decline_reason": None if approve else why})


# -- collecting the money ------------------------------------------------------------------------


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CHEQUE = "cheque"
    ONLINE = "online"  # WeChat Pay / Alipay
    OTHER = "other"


class Payment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    received_on: date
    amount: Decimal = Field(gt=0, lt=MAX_AMOUNT, max_digits=14, decimal_places=2)
    method: PaymentMethod
    reference: str = Field(default="", max_length=100)
    recorded_by: str
    recorded_at: datetime


class Account(BaseModel):
    """What the customer owes for a paid job: invoiced amount, payments received, balance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    invoiced: Decimal | None = None
    invoice_number: str = ""
    invoiced_on: date | None = None
    payments: tuple[Payment, ...] = ()

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)


class AccountState(StrEnum):
    """Where the money of a paid job stands (``None``: nothing is owed yet, the quote is not approved)."""

    DUE = "due"  # the approved quote's total is owed; no invoice yet
    PAID_UNINVOICED = "paid_uninvoiced"  # paid in full before the invoice, which is still to be issued
    INVOICED = "invoiced"  # the invoice says what is owed; part of it is still receivable
    SETTLED = "settled"  # invoiced and fully paid


class AccountMove(StrEnum):
    """A step of the account, named by what it leaves to collect (the function picks it from the amounts)."""

    INVOICE = "invoice"  # an invoice (or a corrected one) above what has been paid
    INVOICE_PAID = "invoice_paid"  # an invoice for exactly what has been paid
    PAY = "pay"  # a part payment
    PAY_OFF = "pay_off"  # the payment that clears the balance


def _refuse_account(state: AccountState | None, move: AccountMove) -> BillingError:
    if state is None:
        return NothingToCollect(f"cannot {move.value} before the customer approved the quote")
    return AccountSettled(state, move)


# The account's life: (state before, move, state after); a step not listed is illegal. It opens, due, when
# the customer approves the quote; a corrected invoice replaces the last one (never below what was paid).
ACCOUNT_MOVES: Lifecycle[AccountState, AccountMove] = Lifecycle(
    [
        (AccountState.DUE, AccountMove.PAY, AccountState.DUE),
        (AccountState.DUE, AccountMove.PAY_OFF, AccountState.PAID_UNINVOICED),
        (AccountState.DUE, AccountMove.INVOICE, AccountState.INVOICED),
        (AccountState.DUE, AccountMove.INVOICE_PAID, AccountState.SETTLED),
        (AccountState.PAID_UNINVOICED, AccountMove.INVOICE, AccountState.INVOICED),
        (AccountState.PAID_UNINVOICED, AccountMove.INVOICE_PAID, AccountState.SETTLED),
        (AccountState.INVOICED, AccountMove.PAY, AccountState.INVOICED),
        (AccountState.INVOICED, AccountMove.PAY_OFF, AccountState.SETTLED),
        (AccountState.INVOICED, AccountMove.INVOICE, AccountState.INVOICED),
        (AccountState.INVOICED, AccountMove.INVOICE_PAID, AccountState.SETTLED),
        (AccountState.SETTLED, AccountMove.INVOICE, AccountState.INVOICED),
        (AccountState.SETTLED, AccountMove.INVOICE_PAID, AccountState.SETTLED),
    ],
    refuse=_refuse_account,
)


def account_state(quote: Quote | None, account: Account | None) -> AccountState | None:
    """Read from the facts: the approved quote, the invoice and the payments (stored accounts need nothing new)."""
    if quote is None or quote.state != QuoteState.APPROVED:
        return None
    invoiced = account is not None and account.invoiced is not None
    if balance(quote, account) > 0:
        return AccountState.INVOICED if invoiced else AccountState.DUE
    return AccountState.SETTLED if invoiced else AccountState.PAID_UNINVOICED


def amount_due(quote: Quote | None, account: Account | None) -> Decimal:
    """The invoiced amount once invoiced, else the approved quote's total; nothing before approval."""
    if account is not None and account.invoiced is not None:
        return account.invoiced
    if quote is not None and quote.state == QuoteState.APPROVED:
        return quote.total
    return ZERO


def balance(quote: Quote | None, account: Account | None) -> Decimal:
    return amount_due(quote, account) - (account.paid if account else ZERO)


def invoice(
    quote: Quote | None, account: Account | None, *, amount: Decimal, number: str, on: date
) -> Account:
    """The invoice, or a corrected one: it fixes what is owed, never below what has been paid."""
    current = account or Account()
    amount = money(amount)
    move = AccountMove.INVOICE_PAID if amount == current.paid else AccountMove.INVOICE
    ACCOUNT_MOVES.next(account_state(quote, account), move)
    if amount <= 0 or amount >= MAX_AMOUNT:
        raise NothingToCollect("the invoiced amount must be positive")
    if amount < current.paid:
        raise Overpayment("more has been paid than this invoice")
    return current.model_copy(update={"invoiced": amount, "invoice_number": number.strip(), "invoiced_on": on})


def record_payment(quote: Quote | None, account: Account | None, payment: Payment) -> Account:
    """A payment, before or after the invoice, up to the balance."""
    left = balance(quote, account)
    ACCOUNT_MOVES.next(account_state(quote, account), AccountMove.PAY_OFF if payment.amount >= left else AccountMove.PAY)
    if payment.amount > left:
        raise Overpayment(f"{payment.amount} is more than the balance {left}")
    current = account or Account()
    return current.model_copy(update={"payments": (*current.payments, payment)})
