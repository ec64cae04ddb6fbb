"""Staff pages of paid jobs, parts requisitions and loaners (000 §4.3.1, 002 §6.1).

Each ticket has three pages, linked from the staff ticket page: ``/staff/tickets/{number}/quote``
(free or paid, the quote, invoice and payments), ``/parts`` (售后服务处理单) and ``/loaner``. Two lists:
``/staff/parts`` (open requisitions) and ``/staff/receivables`` (unpaid balances, for managers).

Who may do what (a technician only on jobs assigned to them; everyone else refused with 403):

=============================  ==============================================================
action                         roles
=============================  ==============================================================
see the quote page             supervisor, admin, desk, chief engineer, general manager
decide free/paid, draft, send  supervisor, admin
invoice, record payments       supervisor, admin (not the desk: money is the supervisor's)
unpaid balances list           supervisor, admin, general manager
see the parts page             supervisor, admin, desk, chief engineer, general manager, technician
request parts                  supervisor, admin, technician
technical review, lead time    chief engineer, supervisor, admin
record the shipment            supervisor, admin
confirm receipt                supervisor, admin, technician
open requisitions list         supervisor, admin, chief engineer, desk
see the loaner page            supervisor, admin, desk, chief engineer, general manager, technician
issue / take back a loaner     supervisor, admin, technician
=============================  ==============================================================

The customer's only action (approve or decline the quote) is on their tracking link
(``chalicelib/web/quote_answer.py``); a tracking token never opens these pages.
The services refuse a step the person's roles do not take on their own (``domain/permissions.py``); the
table above is what the pages offer. A refusal comes back on the page (``_submit``, in the words of
``web/errors.py``): the reason next to the form, the input kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib import wiring
from chalicelib.domain import billing as billing_rules
from chalicelib.domain.billing import BillingReason, LineCategory, PaymentMethod, QuoteLine
from chalicelib.domain.loaners import Condition
from chalicelib.domain.paid_work import balance_of, due_of, work_may_start
from chalicelib.domain.parts import PartLine, Shipment
from chalicelib.domain.plans import Milestone
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Billing, Ticket
from chalicelib.i18n import t
from chalicelib.services.desk import UnknownTicket
from chalicelib.settings import get_settings
from chalicelib.web import ticket_links
from chalicelib.web.auth import Forbidden, current_staff, staff_only
from chalicelib.web.errors import REFUSALS, guarded, refusal
from chalicelib.web.forms import InvalidFields, localized_errors, query_of, read_form, validate
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
_FORM = ["application/x-www-form-urlencoded"]

R = StaffRole
QUOTE_READERS = (R.SUPERVISOR, R.ADMIN, R.DESK, R.CHIEF_ENGINEER, R.GENERAL_MANAGER)
QUOTE_WRITERS = (R.SUPERVISOR, R.ADMIN)
MONEY_KEEPERS = (R.SUPERVISOR, R.ADMIN)
RECEIVABLE_READERS = (R.SUPERVISOR, R.ADMIN, R.GENERAL_MANAGER)
PARTS_READERS = (R.SUPERVISOR, R.ADMIN, R.DESK, R.CHIEF_ENGINEER, R.GENERAL_MANAGER, R.TECHNICIAN)
PARTS_REQUESTERS = (R.SUPERVISOR, R.ADMIN, R.TECHNICIAN)
PARTS_REVIEWERS = (R.CHIEF_ENGINEER, R.SUPERVISOR, R.ADMIN)
PARTS_SHIPPERS = (R.SUPERVISOR, R.ADMIN)
PARTS_RECEIVERS = (R.SUPERVISOR, R.ADMIN, R.TECHNICIAN)
OPEN_PARTS_READERS = (R.SUPERVISOR, R.ADMIN, R.CHIEF_ENGINEER, R.DESK)
LOANER_READERS = PARTS_READERS
LOANER_KEEPERS = (R.SUPERVISOR, R.ADMIN, R.TECHNICIAN)

QUOTE_ROWS = 8
PARTS_ROWS = 5
QUOTE_ACTIONS = frozenset({Action.DECIDE_BILLING, Action.DRAFT_QUOTE, Action.SEND_QUOTE, Action.APPROVE_QUOTE,
                           Action.DECLINE_QUOTE, Action.INVOICE, Action.RECORD_PAYMENT})
PARTS_ACTIONS = frozenset({Action.REQUEST_PARTS, Action.REVIEW_PARTS, Action.PARTS_LEAD_TIME, Action.SHIP_PARTS,
                           Action.RECEIVE_PARTS})
LOANER_ACTIONS = frozenset({Action.ISSUE_LOANER, Action.RETURN_LOANER})


def _may(user: StaffUser, roles: tuple[StaffRole, ...]) -> bool:
    return user.has_any(set(roles))


@ticket_links.register
def _links(ticket: Ticket, user: StaffUser, lang: str) -> list[tuple[str, str]]:
    base = f"/staff/tickets/{ticket.number}"
    found = []
    if _may(user, QUOTE_READERS):
        found.append((t(lang, "billing.quote"), f"{base}/quote"))
    if _may(user, PARTS_READERS) and user.may_work_on(ticket):
        found.append((t(lang, "billing.parts"), f"{base}/parts"))
        found.append((t(lang, "billing.loaner"), f"{base}/loaner"))
    return found


# -- request models ------------------------------------------------------------------------------


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class BillingDecision(_Form):
    billing: Billing
    reason: BillingReason


class QuoteHead(_Form):
    valid_until: date
    note: str = Field(default="", max_length=500)


class InvoiceForm(_Form):
    amount: Decimal = Field(gt=0, lt=billing_rules.MAX_AMOUNT, max_digits=14, decimal_places=2)
    invoice_number: str = Field(min_length=1, max_length=40)
    invoiced_on: date


class PaymentForm(_Form):
    received_on: date
    amount: Decimal = Field(gt=0, lt=billing_rules.MAX_AMOUNT, max_digits=14, decimal_places=2)
    method: PaymentMethod
    reference: str = Field(default="", max_length=100)


class PartsHead(_Form):
    note: str = Field(default="", max_length=500)


class ReviewForm(_Form):
    decision: str = Field(pattern="^(approve|reject)$")
    note: str = Field(default="", max_length=500)


class LeadTimeForm(_Form):
    expected_on: date


class ShipForm(_Form):
    carrier: str = Field(min_length=1, max_length=60)
    tracking_number: str = Field(min_length=1, max_length=60)
    shipped_on: date


class ReceiveForm(_Form):
    received_on: date


class LoanerForm(_Form):
    model: str = Field(min_length=1, max_length=80)
    serial_number: str = Field(min_length=1, max_length=80)
    issued_to: str = Field(min_length=1, max_length=80)
    issued_on: date


class ReturnForm(_Form):
    returned_on: date
    condition: Condition
    note: str = Field(default="", max_length=500)

    @field_validator("note")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return value.replace("\r", "")


def _rows(data: dict[str, Any], prefix_fields: tuple[str, ...], count: int) -> list[tuple[int, dict[str, str]]]:
    """The non-empty numbered rows of a form (``description_1``, ``quantity_1``, ...)."""
    rows = []
    for n in range(1, count + 1):
        row = {name: str(data.get(f"{name}_{n}", "")).strip() for name in prefix_fields}
        if any(value for name, value in row.items() if name != "category"):
            rows.append((n, row))
    return rows


def _quote_lines(data: dict[str, Any], lang: str) -> list[QuoteLine]:
    lines, errors = [], {}
    for n, row in _rows(data, ("category", "description", "quantity", "unit", "unit_price"), QUOTE_ROWS):
        try:
            lines.append(QuoteLine.model_validate(row))
        except ValidationError as error:
            for field, message in localized_errors(error, lang).items():
                errors[f"{field}_{n}"] = message
    if errors:
        raise InvalidFields(errors)
    return lines


def _part_lines(data: dict[str, Any], lang: str) -> list[PartLine]:
    items, errors = [], {}
    for n, row in _rows(data, ("part_number", "name", "quantity"), PARTS_ROWS):
        try:
            items.append(PartLine.model_validate(row))
        except ValidationError as error:
            for field, message in localized_errors(error, lang).items():
                errors[f"{field}_{n}"] = message
    if errors:
        raise InvalidFields(errors)
    return items


# -- shared handling -----------------------------------------------------------------------------


def _root() -> str:
    return urlsplit(get_settings().public_base_url).path.rstrip("/")


def _ticket_for(number: str) -> Ticket:
    """The ticket, if this person may work on it (a technician: only jobs assigned to them)."""
    ticket = wiring.services().billing.ticket(number)
    if not current_staff().may_work_on(ticket):
        raise Forbidden()
    return ticket


def _not_found() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    return render(request, "message.html", status=404, heading=t(lang, "error.not_found"),
                  message=t(lang, "billing.error.not_found"))


PageMaker = Callable[..., Response]


def _submit(number: str, page: PageMaker, form_name: str, act: Callable[[dict[str, Any], str], Any]) -> Response:
    """Read the form, run ``act``; on success back to the page (303), otherwise the page again with the
    reasons next to the form and the input kept."""
    request = blueprint.current_request
    lang = language_of(request)
    try:
        _ticket_for(number)
    except UnknownTicket:
        return _not_found()
    data = {k: v for k, v in read_form(request.raw_body).items() if isinstance(v, str)}
    try:
        act(data, lang)
    except InvalidFields as invalid:
        return page(number, status=400, form=form_name, values=data, errors=invalid.fields)
    except REFUSALS as error:
        refused = refusal(error, lang)
        return page(number, status=refused.status, form=form_name, values=data, errors={"_form": refused.message})
    suffix = "&lang=en" if query_of(request).get("lang") == "en" else ""
    return Response(body="", status_code=303,
                    headers={"Location": f"{_root()}{_page_path(number, page)}?saved=1{suffix}"})


def _page_path(number: str, page: PageMaker) -> str:
    name = {_quote_page: "quote", _parts_page: "parts", _loaner_page: "loaner"}[page]
    return f"/staff/tickets/{number}/{name}"


def _context(number: str, form: str | None, values: dict[str, Any] | None, errors: dict[str, str] | None,
             actions: frozenset[Action]) -> dict[str, Any]:
    services = wiring.services()
    ticket = _ticket_for(number)
    request = blueprint.current_request
    return {
        "ticket": ticket,
        "user": current_staff(),
        "form": form,
        "values": values or {},
        "errors": errors or {},
        "saved": query_of(request).get("saved") == "1",
        "today": services.billing.today().isoformat(),
        "events": list(reversed(services.billing.timeline(number, actions))),
        "may": lambda roles: _may(current_staff(), roles),
        "R": R,
    }


# -- the quote page ------------------------------------------------------------------------------


def _quote_page(number: str, *, status: int = 200, form: str | None = None, values: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None) -> Response:
    ctx = _context(number, form, values, errors, QUOTE_ACTIONS)
    ticket: Ticket = ctx["ticket"]
    return render(
        blueprint.current_request, "billing_quote.html", status=status, **ctx,
        rows=QUOTE_ROWS, categories=[c.value for c in LineCategory], reasons=[r.value for r in BillingReason],
        methods=[m.value for m in PaymentMethod], due=due_of(ticket), balance=balance_of(ticket),
        work_may_start=work_may_start(ticket), writers=QUOTE_WRITERS, money_keepers=MONEY_KEEPERS,
        cny=_cny,
    )


def _cny(amount: Decimal | None) -> str:
    return "-" if amount is None else f"{amount:,.2f}"


@blueprint.route("/staff/tickets/{number}/quote", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *QUOTE_READERS)
def quote_page(number: str) -> Response:
    try:
        return _quote_page(number)
    except UnknownTicket:
        return _not_found()


@blueprint.route("/staff/tickets/{number}/billing", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *QUOTE_WRITERS)
@answered_once(blueprint)
def decide_billing(number: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        decision = validate(BillingDecision, data, lang)
        wiring.services().billing.decide_billing(number, actor=current_staff(),
                                                 billing_kind=decision.billing, reason=decision.reason)

    return _submit(number, _quote_page, "billing", act)


@blueprint.route("/staff/tickets/{number}/quote", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *QUOTE_WRITERS)
@answered_once(blueprint)
def draft_quote(number: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        lines = _quote_lines(data, lang)
        head = validate(QuoteHead, data, lang)
        wiring.services().billing.draft_quote(number, actor=current_staff(), lines=lines,
                                              valid_until=head.valid_until, note=head.note)

    return _submit(number, _quote_page, "quote", act)


@blueprint.route("/staff/tickets/{number}/quote/send", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *QUOTE_WRITERS)
@answered_once(blueprint)
def send_quote(number: str) -> Response:
    return _submit(number, _quote_page, "send",
                   lambda data, lang: wiring.services().billing.send_quote(number, actor=current_staff()))


@blueprint.route("/staff/tickets/{number}/invoice", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *MONEY_KEEPERS)
@answered_once(blueprint)
def record_invoice(number: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        form = validate(InvoiceForm, data, lang)
        wiring.services().billing.invoice(number, actor=current_staff(), amount=form.amount,
                                          invoice_number=form.invoice_number, on=form.invoiced_on)

    return _submit(number, _quote_page, "invoice", act)


@blueprint.route("/staff/tickets/{number}/payments", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *MONEY_KEEPERS)
@answered_once(blueprint)
def record_payment(number: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        form = validate(PaymentForm, data, lang)
        wiring.services().billing.record_payment(number, actor=current_staff(),
                                                 received_on=form.received_on, amount=form.amount,
                                                 method=form.method, reference=form.reference)

    return _submit(number, _quote_page, "payment", act)


@blueprint.route("/staff/receivables", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *RECEIVABLE_READERS)
def receivables() -> Response:
    found = wiring.services().billing.receivables()
    total = sum((amount for _, amount in found), Decimal("0.00"))
    return render(blueprint.current_request, "billing_receivables.html", rows=found, total=_cny(total), cny=_cny,
                  due_of=due_of)


# -- the parts page ------------------------------------------------------------------------------


def _parts_page(number: str, *, status: int = 200, form: str | None = None, values: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None) -> Response:
    ctx = _context(number, form, values, errors, PARTS_ACTIONS)
    return render(blueprint.current_request, "billing_parts.html", status=status, **ctx, rows=PARTS_ROWS,
                  requesters=PARTS_REQUESTERS, reviewers=PARTS_REVIEWERS, shippers=PARTS_SHIPPERS,
                  receivers=PARTS_RECEIVERS)


@blueprint.route("/staff/tickets/{number}/parts", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *PARTS_READERS)
def parts_page(number: str) -> Response:
    try:
        return _parts_page(number)
    except UnknownTicket:
        return _not_found()


@blueprint.route("/staff/tickets/{number}/parts", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *PARTS_REQUESTERS)
@answered_once(blueprint)
def request_parts(number: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        items = _part_lines(data, lang)
        head = validate(PartsHead, data, lang)
        wiring.services().billing.request_parts(number, actor=current_staff(), items=items, note=head.note)

    return _submit(number, _parts_page, "request", act)


@blueprint.route("/staff/tickets/{number}/parts/{rid}/review", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *PARTS_REVIEWERS)
@answered_once(blueprint)
def review_parts(number: str, rid: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        form = validate(ReviewForm, data, lang)
        wiring.services().billing.review_parts(number, rid, actor=current_staff(),
                                               approve=form.decision == "approve", note=form.note)

    return _submit(number, _parts_page, f"review-{rid}", act)


@blueprint.route("/staff/tickets/{number}/parts/{rid}/lead-time", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *PARTS_REVIEWERS)
@answered_once(blueprint)
def parts_lead_time(number: str, rid: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        form = validate(LeadTimeForm, data, lang)
        wiring.services().billing.parts_lead_time(number, rid, actor=current_staff(),
                                                  expected_on=form.expected_on)

    return _submit(number, _parts_page, f"lead-{rid}", act)


@blueprint.route("/staff/tickets/{number}/parts/{rid}/ship", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *PARTS_SHIPPERS)
@answered_once(blueprint)
def ship_parts(number: str, rid: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        form = validate(ShipForm, data, lang)
        shipment = Shipment(carrier=form.carrier, tracking_number=form.tracking_number, shipped_on=form.shipped_on)
        wiring.services().billing.ship_parts(number, rid, actor=current_staff(), shipment=shipment)

    return _submit(number, _parts_page, f"ship-{rid}", act)


@blueprint.route("/staff/tickets/{number}/parts/{rid}/receive", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *PARTS_RECEIVERS)
@answered_once(blueprint)
def receive_parts(number: str, rid: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        form = validate(ReceiveForm, data, lang)
        wiring.services().billing.receive_parts(number, rid, actor=current_staff(),
                                                received_on=form.received_on)

    return _submit(number, _parts_page, f"receive-{rid}", act)


@blueprint.route("/staff/parts", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *OPEN_PARTS_READERS)
def open_parts() -> Response:
    return render(blueprint.current_request, "billing_open_parts.html",
                  rows=wiring.services().billing.open_requisitions())


# -- the loaner page -----------------------------------------------------------------------------


def _loaner_page(number: str, *, status: int = 200, form: str | None = None, values: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None) -> Response:
    ctx = _context(number, form, values, errors, LOANER_ACTIONS)
    services = wiring.services()
    ticket: Ticket = ctx["ticket"]
    schedule = services.sla.schedule(ticket, services.billing.events(number))
    return render(blueprint.current_request, "billing_loaner.html", status=status, **ctx,
                  deadline=schedule.get(Milestone.LOANER_PROVIDED), keepers=LOANER_KEEPERS,
                  conditions=[c.value for c in Condition])


@blueprint.route("/staff/tickets/{number}/loaner", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *LOANER_READERS)
def loaner_page(number: str) -> Response:
    try:
        return _loaner_page(number)
    except UnknownTicket:
        return _not_found()


@blueprint.route("/staff/tickets/{number}/loaner", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *LOANER_KEEPERS)
@answered_once(blueprint)
def issue_loaner(number: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        form = validate(LoanerForm, data, lang)
        wiring.services().billing.issue_loaner(number, actor=current_staff(), model=form.model,
                                               serial_number=form.serial_number, issued_to=form.issued_to,
                                               issued_on=form.issued_on)

    return _submit(number, _loaner_page, "issue", act)


@blueprint.route("/staff/tickets/{number}/loaner/{lid}/return", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *LOANER_KEEPERS)
@answered_once(blueprint)
def return_loaner(number: str, lid: str) -> Response:
    def act(data: dict[str, Any], lang: str) -> None:
        form = validate(ReturnForm, data, lang)
        wiring.services().billing.return_loaner(number, lid, actor=current_staff(),
                                                returned_on=form.returned_on, condition=form.condition,
                                                note=form.note)

    return _submit(number, _loaner_page, f"return-{lid}", act)
