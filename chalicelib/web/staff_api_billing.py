"""The staff API of paid jobs, parts requisitions and loaners: the quote page, the parts page and the
loaner page of a ticket, and the two lists (unpaid balances, open requisitions), as JSON.

The roles are the pages' (``chalicelib/web/billing.py``); the rules are ``BillingService``'s.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib import wiring
from chalicelib.domain.billing import Account, Quote, QuoteLine
from chalicelib.domain.loaners import Loaner
from chalicelib.domain.paid_work import balance_of, due_of, work_may_start
from chalicelib.domain.parts import PartLine, Requisition, Shipment
from chalicelib.domain.plans import Milestone
from chalicelib.domain.staff import StaffUser
from chalicelib.domain.ticket import Ticket
from chalicelib.web.auth import current_staff
from chalicelib.web.billing import (
    LOANER_KEEPERS,
    LOANER_READERS,
    MONEY_KEEPERS,
    OPEN_PARTS_READERS,
    PARTS_READERS,
    PARTS_RECEIVERS,
    PARTS_REQUESTERS,
    PARTS_REVIEWERS,
    PARTS_SHIPPERS,
    QUOTE_READERS,
    QUOTE_WRITERS,
    RECEIVABLE_READERS,
    BillingDecision,
    InvoiceForm,
    LeadTimeForm,
    LoanerForm,
    PaymentForm,
    ReceiveForm,
    ReturnForm,
    ReviewForm,
    ShipForm,
)
from chalicelib.web.staff_api_kit import PAGE_QUERY, language, operation, page, problem
from chalicelib.web.supervisor import MAX_NUMBER_LENGTH

blueprint = Blueprint(__name__)
MOST_QUOTE_LINES = 30
MOST_PARTS = 20


# -- request models -------------------------------------------------------------------------------


class QuoteDraft(BaseModel):
    """The quote page's form: its lines (materials, labour, travel), valid until, a note."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    lines: list[QuoteLine] = Field(min_length=1, max_length=MOST_QUOTE_LINES)
    valid_until: date
    note: str = Field(default="", max_length=500)


class PartsRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    items: list[PartLine] = Field(min_length=1, max_length=MOST_PARTS)
    note: str = Field(default="", max_length=500)


# -- response models ------------------------------------------------------------------------------


class QuoteSheet(BaseModel):
    """A ticket's paid-job paperwork: free or paid and why, the quote, the invoice and payments."""

    number: str
    version: int
    billing: str | None = Field(description="free or paid; null: not decided yet")
    billing_reason: str | None
    quote: Quote | None
    quote_total: Decimal | None
    account: Account | None
    amount_due: Decimal = Field(description="The invoiced amount once invoiced, else the approved quote's total")
    balance: Decimal
    work_may_start: bool = Field(description="False while a paid job's quote is not approved (000 §4.3.1)")


class PartsSheet(BaseModel):
    number: str
    version: int
    requisitions: list[Requisition]


class LoanerSheet(BaseModel):
    number: str
    version: int
    loaners: list[Loaner]
    loaner_due_at: datetime | None = Field(None, description="When a loaner must be provided, if the plan says so")


class Receivable(BaseModel):
    number: str
    customer_name: str
    invoice_number: str
    amount_due: Decimal
    balance: Decimal


class ReceivablePage(BaseModel):
    items: list[Receivable]
    cursor: str | None


class OpenRequisition(BaseModel):
    number: str
    customer_name: str
    province: str
    requisition: Requisition


class OpenRequisitionPage(BaseModel):
    items: list[OpenRequisition]
    cursor: str | None


# -- reading --------------------------------------------------------------------------------------


def _ticket(number: str, *, own_job: bool = False) -> Ticket:
    """The ticket; with ``own_job`` a technician sees only jobs assigned to him (404, as for a ticket)."""
    if len(number) > MAX_NUMBER_LENGTH:
        raise problem(404, "ticket_not_found", language(blueprint))
    ticket = wiring.services().billing.ticket(number)
    if own_job and not current_staff().may_work_on(ticket):
        raise problem(404, "ticket_not_found", language(blueprint))
    return ticket


def _quote_sheet(ticket: Ticket) -> QuoteSheet:
    return QuoteSheet(
        number=ticket.number,
        version=ticket.version,
        billing=ticket.billing.value if ticket.billing else None,
        billing_reason=ticket.billing_reason.value if ticket.billing_reason else None,
        quote=ticket.quote,
        quote_total=ticket.quote.total if ticket.quote else None,
        account=ticket.account,
        amount_due=due_of(ticket),
        balance=balance_of(ticket),
        work_may_start=work_may_start(ticket),
    )


def _parts_sheet(ticket: Ticket) -> PartsSheet:
    return PartsSheet(number=ticket.number, version=ticket.version, requisitions=list(ticket.requisitions))


def _loaner_sheet(ticket: Ticket) -> LoanerSheet:
    services = wiring.services()
    deadline = services.sla.schedule(ticket, services.billing.events(ticket.number)).get(Milestone.LOANER_PROVIDED)
    return LoanerSheet(
        number=ticket.number,
        version=ticket.version,
        loaners=list(ticket.loaners),
        loaner_due_at=deadline.due_at if deadline else None,
    )


def _actor() -> StaffUser:
    return current_staff()


def _billing():  # type: ignore[no-untyped-def]
    return wiring.services().billing


# -- the quote ------------------------------------------------------------------------------------


@operation(
    blueprint,
    "GET",
    "/tickets/{number}/quote",
    "A ticket's billing, quote, invoice and payments",
    roles=QUOTE_READERS,
    response=QuoteSheet,
)
def quote_sheet(number: str) -> QuoteSheet:
    return _quote_sheet(_ticket(number))


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/billing",
    "Decide free or paid, with the reason",
    roles=QUOTE_WRITERS,
    request=BillingDecision,
    response=QuoteSheet,
)
def decide_billing(form: BillingDecision, number: str) -> QuoteSheet:
    _ticket(number)
    return _quote_sheet(
        _billing().decide_billing(number, actor=_actor(), billing_kind=form.billing, reason=form.reason)
    )


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/quote",
    "Draft the quote (a sent one gets a new revision)",
    roles=QUOTE_WRITERS,
    request=QuoteDraft,
    response=QuoteSheet,
)
def draft_quote(form: QuoteDraft, number: str) -> QuoteSheet:
    _ticket(number)
    return _quote_sheet(
        _billing().draft_quote(number, actor=_actor(), lines=form.lines, valid_until=form.valid_until, note=form.note)
    )


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/quote/send",
    "Send the quote to the customer's tracking link",
    roles=QUOTE_WRITERS,
    response=QuoteSheet,
)
def send_quote(number: str) -> QuoteSheet:
    _ticket(number)
    return _quote_sheet(_billing().send_quote(number, actor=_actor()))


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/invoice",
    "Record the invoice of an approved paid job",
    roles=MONEY_KEEPERS,
    request=InvoiceForm,
    response=QuoteSheet,
)
def record_invoice(form: InvoiceForm, number: str) -> QuoteSheet:
    _ticket(number)
    return _quote_sheet(
        _billing().invoice(
            number, actor=_actor(), amount=form.amount, invoice_number=form.invoice_number, on=form.invoiced_on
        )
    )


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/payments",
    "Record a payment received",
    roles=MONEY_KEEPERS,
    request=PaymentForm,
    response=QuoteSheet,
)
def record_payment(form: PaymentForm, number: str) -> QuoteSheet:
    _ticket(number)
    return _quote_sheet(
        _billing().record_payment(
            number,
            actor=_actor(),
            received_on=form.received_on,
            amount=form.amount,
            method=form.method,
            reference=form.reference,
        )
    )


@operation(
    blueprint,
    "GET",
    "/receivables",
    "Unpaid balances of paid jobs, largest first",
    roles=RECEIVABLE_READERS,
    response=ReceivablePage,
    query=PAGE_QUERY,
)
def receivables() -> ReceivablePage:
    rows = [
        Receivable(
            number=ticket.number,
            customer_name=ticket.reporter.customer_name,
            invoice_number=ticket.account.invoice_number if ticket.account else "",
            amount_due=due_of(ticket),
            balance=balance,
        )
        for ticket, balance in _billing().receivables()
    ]
    shown, cursor = page(blueprint, rows, lambda r: (-int(r.balance * 100), r.number))
    return ReceivablePage(items=shown, cursor=cursor)


# -- parts ----------------------------------------------------------------------------------------


@operation(
    blueprint,
    "GET",
    "/tickets/{number}/parts",
    "A ticket's parts requisitions",
    roles=PARTS_READERS,
    response=PartsSheet,
)
def parts_sheet(number: str) -> PartsSheet:
    return _parts_sheet(_ticket(number, own_job=True))


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/parts",
    "Request parts (售后服务处理单)",
    roles=PARTS_REQUESTERS,
    request=PartsRequest,
    response=PartsSheet,
)
def request_parts(form: PartsRequest, number: str) -> PartsSheet:
    _ticket(number, own_job=True)
    return _parts_sheet(_billing().request_parts(number, actor=_actor(), items=form.items, note=form.note))


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/parts/{requisition_id}/review",
    "Approve or reject a requisition (technical review)",
    roles=PARTS_REVIEWERS,
    request=ReviewForm,
    response=PartsSheet,
)
def review_parts(form: ReviewForm, number: str, requisition_id: str) -> PartsSheet:
    _ticket(number, own_job=True)
    return _parts_sheet(
        _billing().review_parts(
            number, requisition_id, actor=_actor(), approve=form.decision == "approve", note=form.note
        )
    )


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/parts/{requisition_id}/lead-time",
    "When the parts will be ready to ship",
    roles=PARTS_REVIEWERS,
    request=LeadTimeForm,
    response=PartsSheet,
)
def parts_lead_time(form: LeadTimeForm, number: str, requisition_id: str) -> PartsSheet:
    _ticket(number, own_job=True)
    return _parts_sheet(
        _billing().parts_lead_time(number, requisition_id, actor=_actor(), expected_on=form.expected_on)
    )


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/parts/{requisition_id}/ship",
    "Record the shipment",
    roles=PARTS_SHIPPERS,
    request=ShipForm,
    response=PartsSheet,
)
def ship_parts(form: ShipForm, number: str, requisition_id: str) -> PartsSheet:
    _ticket(number, own_job=True)
    shipment = Shipment(carrier=form.carrier, tracking_number=form.tracking_number, shipped_on=form.shipped_on)
    return _parts_sheet(_billing().ship_parts(number, requisition_id, actor=_actor(), shipment=shipment))


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/parts/{requisition_id}/receive",
    "Confirm the parts arrived",
    roles=PARTS_RECEIVERS,
    request=ReceiveForm,
    response=PartsSheet,
)
def receive_parts(form: ReceiveForm, number: str, requisition_id: str) -> PartsSheet:
    _ticket(number, own_job=True)
    return _parts_sheet(_billing().receive_parts(number, requisition_id, actor=_actor(), received_on=form.received_on))


@operation(
    blueprint,
    "GET",
    "/parts",
    "Open requisitions on open jobs, oldest first",
    roles=OPEN_PARTS_READERS,
    response=OpenRequisitionPage,
    query=PAGE_QUERY,
)
def open_parts() -> OpenRequisitionPage:
    rows = [
        OpenRequisition(
            number=ticket.number,
            customer_name=ticket.reporter.customer_name,
            province=ticket.reporter.province,
            requisition=requisition,
        )
        for ticket, requisition in _billing().open_requisitions()
    ]
    shown, cursor = page(
        blueprint, rows, lambda r: (r.requisition.requested_at.isoformat(), r.number, r.requisition.id)
    )
    return OpenRequisitionPage(items=shown, cursor=cursor)


# -- loaners --------------------------------------------------------------------------------------


@operation(
    blueprint,
    "GET",
    "/tickets/{number}/loaners",
    "A ticket's loaners and when one is due",
    roles=LOANER_READERS,
    response=LoanerSheet,
)
def loaner_sheet(number: str) -> LoanerSheet:
    return _loaner_sheet(_ticket(number, own_job=True))


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/loaners",
    "Issue a loaner of equal or better spec",
    roles=LOANER_KEEPERS,
    request=LoanerForm,
    response=LoanerSheet,
)
def issue_loaner(form: LoanerForm, number: str) -> LoanerSheet:
    _ticket(number, own_job=True)
    return _loaner_sheet(
        _billing().issue_loaner(
            number,
            actor=_actor(),
            model=form.model,
            serial_number=form.serial_number,
            issued_to=form.issued_to,
            issued_on=form.issued_on,
        )
    )


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/loaners/{loaner_id}/return",
    "Take a loaner back",
    roles=LOANER_KEEPERS,
    request=ReturnForm,
    response=LoanerSheet,
)
def return_loaner(form: ReturnForm, number: str, loaner_id: str) -> LoanerSheet:
    _ticket(number, own_job=True)
    return _loaner_sheet(
        _billing().return_loaner(
            number, loaner_id, actor=_actor(), returned_on=form.returned_on, condition=form.condition, note=form.note
        )
    )
