"""The staff API under ``/api/v1/``: the office's tickets, their moves, and webhook subscriptions, as
JSON for integrations and other front ends.

Authorised like the staff pages: a staff member's Cognito ID token, or a machine's access token from a
Cognito app client (client credentials) whose scopes name the roles it acts in. Each move takes the
same fields, and allows the same roles, as the ticket page's form of that name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.domain.closure import ArrivalReport
from chalicelib.domain.queue import QueueFilter
from chalicelib.domain.search import SearchQuery
from chalicelib.domain.sla_projection import SlaState
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Ticket
from chalicelib.domain.webhooks import (
    MIN_SECRET_LENGTH,
    MOST_SUBSCRIPTIONS,
    DeliveryAttempt,
    Subscription,
    SubscriptionRequest,
)
from chalicelib.i18n import normalize_language, t
from chalicelib.services.desk import UnknownTicket
from chalicelib.services.search import PAGE_SIZE, BadCursor
from chalicelib.services.webhooks import TooManySubscriptions, UnknownSubscription, UnusableSecret
from chalicelib.web import openapi, technician
from chalicelib.web.api import BAD, Error
from chalicelib.web.approvals import APPROVERS, RejectForm
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import TICKET_MOVES, guarded
from chalicelib.web.forms import InvalidFields, query_of, read_json, validate
from chalicelib.web.rendering import describe_event
from chalicelib.web.search import FIELDS as SEARCH_FIELDS
from chalicelib.web.search import MAX_CURSOR, SEARCHERS
from chalicelib.web.supervisor import (
    DESK,
    MANAGERS,
    MAX_NUMBER_LENGTH,
    QUEUE_POSITION,
    QUEUE_READERS,
    _agree_date,
    _cancel,
    _classify,
    _contact,
    _dispatch,
    _pause,
    _resume,
)
from chalicelib.web.supervisor_forms import (
    AgreeDateForm,
    CancelForm,
    ClassifyForm,
    ContactForm,
    DispatchForm,
    PauseForm,
)
from chalicelib.web.technician import CheckInForm, ClosureForm, DepartureForm, OvertimeForm, ProgressForm, RefusalForm

blueprint = Blueprint(__name__)
PREFIX = "/api/v1"
ADMINS = (StaffRole.ADMIN,)
MAX_PAGE_SIZE = 100


# -- response models ------------------------------------------------------------------------------


class TicketRow(BaseModel):
    number: str = Field(examples=["SD-2026-000123"])
    status: str
    kind: str
    priority: str | None
    plan: str
    province: str
    customer_name: str
    product_model: str
    serial_number: str | None
    assignees: list[str]
    created_at: datetime
    updated_at: datetime
    sla_state: str | None = Field(
        None,
        description="breached, at_risk, paused, on_time or no_deadline, from the SLA at a glance the "
        "ticket's item carries; null for a ticket stored before it had one",
        examples=["at_risk"],
    )
    overdue: bool | None = Field(None, description="A missed deadline still owed (null: not known)")


class QueueItem(TicketRow):
    next_milestone: str | None = Field(None, description="The running (or missed) deadline due first")
    next_due_at: datetime | None = None


class QueuePage(BaseModel):
    items: list[QueueItem]
    after: str | None = Field(description="Pass as ?after= with the same filters for the next page; null: last page")


class TicketPage(BaseModel):
    items: list[TicketRow]
    cursor: str | None = Field(description="Pass as ?cursor= with the same query for the next page; null: last page")


class StaffEvent(BaseModel):
    at: datetime
    actor: str
    action: str
    summary: str = Field(description="What the move recorded, in the reader's language (?lang= or Accept-Language)")
    public: bool


class Deadline(BaseModel):
    milestone: str
    state: str
    due_at: datetime | None
    latest_at: datetime | None
    met_at: datetime | None


class TicketDetail(TicketRow):
    contact_person: str | None
    phone: str
    email: str | None
    address: str
    description: str
    deadlines: list[Deadline]
    timeline: list[StaffEvent]


class MoveResult(BaseModel):
    number: str
    status: str
    version: int


class SubscriptionList(BaseModel):
    items: list[Subscription]


class DeliveryLog(BaseModel):
    items: list[DeliveryAttempt]


def _approve(form: None, number: str, actor: StaffUser, lang: str) -> None:
    wiring.services().field_work.approve(number, actor=actor)  # and, through the outbox, the after-care


def _reject_closure(form: RejectForm, number: str, actor: StaffUser, lang: str) -> None:
    wiring.services().field_work.reject(number, actor=actor, reason=form.reason)


def _technician_step(step: Callable[[str, dict[str, Any], str], None]) -> Callable[[Any, str, StaffUser, str], None]:
    """A step of the technician's job page, which reads its own form (a job not his: 403)."""

    def do(form: Any, number: str, actor: StaffUser, lang: str) -> None:
        step(number, form.model_dump(mode="json") if isinstance(form, BaseModel) else {}, lang)

    return do


TECHNICIAN = (StaffRole.TECHNICIAN,)
MOVES: dict[str, tuple[type[BaseModel] | None, Callable[[Any, str, StaffUser, str], None], tuple[StaffRole, ...]]] = {
    "classify": (ClassifyForm, _classify, MANAGERS),
    "contact": (ContactForm, _contact, DESK),
    "agreed-date": (AgreeDateForm, _agree_date, MANAGERS),
    "dispatch": (DispatchForm, _dispatch, MANAGERS),
    "pause": (PauseForm, _pause, MANAGERS),
    "resume": (None, _resume, MANAGERS),
    "cancel": (CancelForm, _cancel, MANAGERS),
    "approve": (None, _approve, APPROVERS),
    "reject-closure": (RejectForm, _reject_closure, APPROVERS),
    # The technician's own steps on site, as on his job page; files are uploaded first
    # (chalicelib/web/staff_api_uploads.py) and named here by their keys.
    "set-out": (None, _technician_step(technician._STEPS["set-out"]), TECHNICIAN),
    "check-in": (CheckInForm, _technician_step(technician._STEPS["check-in"]), TECHNICIAN),
    "arrival": (ArrivalReport, _technician_step(technician._STEPS["arrival"]), TECHNICIAN),
    "progress": (ProgressForm, _technician_step(technician._STEPS["progress"]), TECHNICIAN),
    "overtime": (OvertimeForm, _technician_step(technician._STEPS["overtime"]), TECHNICIAN),
    "start-repair": (None, _technician_step(technician._STEPS["start-repair"]), TECHNICIAN),
    "resolve": (None, _technician_step(technician._STEPS["resolve"]), TECHNICIAN),
    "acceptance": (ClosureForm, _technician_step(technician._STEPS["acceptance"]), TECHNICIAN),
    "refusal": (RefusalForm, _technician_step(technician._STEPS["refusal"]), TECHNICIAN),
    "departure": (DepartureForm, _technician_step(technician._STEPS["departure"]), TECHNICIAN),
}

FORBIDDEN = (403, ("Signed in, but neither this role nor these scopes may do it", Error))
UNAUTHENTICATED = (401, ("No valid ID token or access token in Authorization: Bearer", Error))
openapi.operation(
    "get",
    f"{PREFIX}/tickets",
    "Find tickets: by number, phone, serial or a name/address fragment, with filters",
    responses={200: ("A page of tickets, newest first", TicketPage), **dict([BAD, UNAUTHENTICATED, FORBIDDEN])},
    query={
        "q": "Ticket number, phone (any format), serial number, or two or more characters of a name/address",
        "status": "Ticket status",
        "priority": "A, B or C",
        "province": "ISO 3166-2, e.g. CN-JS",
        "assignee": "A technician's login",
        "overdue": "true: only open tickets with a deadline missed",
        "cursor": "The previous page's cursor",
        "limit": f"Tickets per page, 1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE})",
    },
    secured=True,
)
openapi.operation(
    "get",
    f"{PREFIX}/queue",
    "The supervisor's queue: open tickets, the nearest running deadline first (50 a page)",
    responses={200: ("A page of the queue", QueuePage), **dict([BAD, UNAUTHENTICATED, FORBIDDEN])},
    query={
        "status": "An open status",
        "priority": "A, B, C, or none (not classified)",
        "province": "ISO 3166-2, e.g. CN-JS",
        "technician": "A technician's login",
        "after": "The previous page's after",
    },
    secured=True,
)
openapi.operation(
    "get",
    f"{PREFIX}/tickets/{{number}}",
    "One ticket with its deadlines and whole timeline",
    responses={
        200: ("The ticket", TicketDetail),
        404: ("No such ticket, or not yours", Error),
        **dict([UNAUTHENTICATED, FORBIDDEN]),
    },
    secured=True,
)
for _name, (_model, _, _roles) in MOVES.items():
    openapi.operation(
        "post",
        f"{PREFIX}/tickets/{{number}}/{_name}",
        f"The ticket page's '{_name}' move (roles: {', '.join(r.value for r in _roles)})",
        request=_model,
        responses={
            200: ("Done: the ticket as it is now", MoveResult),
            404: ("No such ticket", Error),
            409: ("Not possible in the ticket's state, or changed meanwhile", Error),
            **dict([BAD, UNAUTHENTICATED, FORBIDDEN]),
        },
        secured=True,
    )
openapi.operation(
    "get",
    f"{PREFIX}/webhooks",
    "Webhook subscriptions (admin)",
    responses={200: ("Every subscription", SubscriptionList), **dict([UNAUTHENTICATED, FORBIDDEN])},
    secured=True,
)
openapi.operation(
    "post",
    f"{PREFIX}/webhooks",
    "Subscribe a URL to events (admin); deliveries are signed with the named secret",
    request=SubscriptionRequest,
    responses={201: ("Subscribed", Subscription), **dict([BAD, UNAUTHENTICATED, FORBIDDEN])},
    secured=True,
)
openapi.operation(
    "delete",
    f"{PREFIX}/webhooks/{{subscription_id}}",
    "Remove a subscription (admin); its pending deliveries fail",
    responses={204: ("Removed", None), 404: ("No such subscription", Error), **dict([UNAUTHENTICATED, FORBIDDEN])},
    secured=True,
)
openapi.operation(
    "get",
    f"{PREFIX}/webhooks/{{subscription_id}}/deliveries",
    "A subscription's delivery log, newest first (admin)",
    responses={
        200: ("Attempts, with the receiver's HTTP status", DeliveryLog),
        404: ("No such subscription", Error),
        **dict([UNAUTHENTICATED, FORBIDDEN]),
    },
    secured=True,
)


# -- helpers ---------------------------------------------------------------------------------------


def _lang() -> str:
    request = blueprint.current_request
    return normalize_language(query_of(request).get("lang") or request.headers.get("accept-language"))


def _json(model: BaseModel, status: int = 200) -> Response:
    return Response(body=model.model_dump(mode="json"), status_code=status)


def _error(http_status: int, code: str, lang: str, **values: Any) -> Response:
    return _json(Error(error=code, message=t(lang, f"error.api.{code}", **values)), http_status)


def _row(ticket: Ticket, overdue: bool | None = None, sla_state: str | None = None) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "kind": ticket.kind.value,
        "priority": ticket.priority.value if ticket.priority else None,
        "plan": ticket.plan,
        "province": ticket.reporter.province,
        "customer_name": ticket.reporter.customer_name,
        "product_model": ticket.product.model,
        "serial_number": ticket.product.serial_number,
        "assignees": list(ticket.assignees),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "overdue": overdue,
        "sla_state": sla_state,
    }


def _office() -> bool:
    return bool(current_staff().roles - {StaffRole.TECHNICIAN})


# -- tickets ---------------------------------------------------------------------------------------


@blueprint.route("/tickets", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *SEARCHERS)
def find_tickets() -> Response:
    lang = _lang()
    query_string = query_of(blueprint.current_request)
    params = {k: v for k, v in query_string.items() if k in SEARCH_FIELDS}
    if not _office():
        params["assignee"] = current_staff().username  # a technician finds only the jobs dispatched to him
    query = validate(SearchQuery, params, lang)
    if query.empty:
        return _error(400, "query_empty", lang)
    cursor = query_string.get("cursor") or None
    limit = query_string.get("limit") or str(PAGE_SIZE)
    # isdecimal, not isdigit: "²" is a digit to str but not a number to int().
    if not limit.isdecimal() or not 1 <= int(limit) <= MAX_PAGE_SIZE:
        raise InvalidFields({"limit": t(lang, "error.api.limit", most=MAX_PAGE_SIZE)})
    try:
        if cursor is not None and len(cursor) > MAX_CURSOR:
            raise BadCursor("too long")
        page = wiring.search().search(query, cursor, int(limit), reader=current_staff())
    except BadCursor:
        raise InvalidFields({"cursor": t(lang, "search.bad_cursor")}) from None
    rows = [TicketRow(**_row(row.ticket, row.overdue, row.state.value if row.state else None)) for row in page.rows]
    return _json(TicketPage(items=rows, cursor=page.cursor))


@blueprint.route("/queue", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *QUEUE_READERS)
def queue_page() -> Response:
    lang = _lang()
    query_string = query_of(blueprint.current_request)
    filters = validate(QueueFilter, {k: v for k, v in query_string.items() if k not in ("lang", "after")}, lang)
    after = query_string.get("after") or None
    if after is not None and not QUEUE_POSITION.fullmatch(after):
        raise InvalidFields({"after": t(lang, "sup.queue.bad_page")})
    page = wiring.services().queue.queue(filters, after)
    items = [
        QueueItem(
            **_row(row.ticket, row.state == SlaState.BREACHED, row.state.value),
            next_milestone=row.next_deadline.milestone.value if row.next_deadline else None,
            next_due_at=row.next_deadline.due_at if row.next_deadline else None,
        )
        for row in page.rows
    ]
    return _json(QueuePage(items=items, after=page.after))


@blueprint.route("/tickets/{number}", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint)
def get_ticket(number: str) -> Response:
    lang = _lang()
    queue = wiring.services().queue
    try:
        if len(number) > MAX_NUMBER_LENGTH:
            raise UnknownTicket(number)
        found = queue.ticket_file(number)
    except UnknownTicket:
        return _error(404, "ticket_not_found", lang)
    ticket = found.ticket
    if not current_staff().may_work_on(ticket):
        return _error(404, "ticket_not_found", lang)  # not told whether it exists
    deadlines = [
        Deadline(
            milestone=d.milestone.value, state=d.state.value, due_at=d.due_at, latest_at=d.latest_at, met_at=d.met_at
        )
        for d in (found.schedule.deadlines if found.schedule else ())
    ]
    detail = TicketDetail(
        **_row(ticket, sla_state=found.state.value),
        contact_person=ticket.reporter.contact_person,
        phone=ticket.reporter.phone,
        email=ticket.reporter.email,
        address=ticket.reporter.address,
        description=ticket.description,
        deadlines=deadlines,
        timeline=[
            StaffEvent(at=e.at, actor=e.actor, action=e.action.value, summary=describe_event(lang, e).text,
                       public=e.public)
            for e in found.timeline
        ],
    )
    return _json(detail)


def _move(number: str, name: str) -> Response:
    lang = _lang()
    model, do, _ = MOVES[name]
    user = current_staff()
    try:
        if len(number) > MAX_NUMBER_LENGTH:
            raise UnknownTicket(number)
        ticket = wiring.services().queue.get(number)
    except UnknownTicket:
        return _error(404, "ticket_not_found", lang)
    if not user.may_work_on(ticket):
        return _error(404, "ticket_not_found", lang)
    body = read_json(blueprint.current_request.raw_body) if model else {}
    parsed = validate(model, body, lang) if model else None
    do(parsed, number, user, lang)  # a rule's refusal is answered by ``guarded`` (web/errors.py)
    moved = wiring.services().queue.get(number)
    return _json(MoveResult(number=moved.number, status=moved.status.value, version=moved.version))


def _move_route(name: str) -> None:
    roles = MOVES[name][2]

    def view(number: str) -> Response:
        return _move(number, name)

    view.__name__ = f"move_{name.replace('-', '_')}"
    blueprint.route(f"/tickets/{{number}}/{name}", methods=["POST"], content_types=["application/json"])(
        guarded(blueprint, TICKET_MOVES)(staff_only(blueprint, *roles)(view))
    )


for _name in MOVES:
    _move_route(_name)


# -- webhooks --------------------------------------------------------------------------------------


@blueprint.route("/webhooks", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
def list_webhooks() -> Response:
    return _json(SubscriptionList(items=[s.shown() for s in wiring.webhooks().subscriptions()]))


@blueprint.route("/webhooks", methods=["POST"], content_types=["application/json"])
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
def add_webhook() -> Response:
    lang = _lang()
    request = validate(SubscriptionRequest, read_json(blueprint.current_request.raw_body), lang)
    try:
        subscription = wiring.webhooks().register(request, actor=current_staff())
    except UnusableSecret as unusable:
        message = t(lang, "error.api.webhook_secret", detail=str(unusable), min=MIN_SECRET_LENGTH)
        raise InvalidFields({"secret_name": message}) from None
    except TooManySubscriptions:
        raise InvalidFields({"url": t(lang, "error.api.webhook_too_many", most=MOST_SUBSCRIPTIONS)}) from None
    return _json(subscription.shown(), 201)


@blueprint.route("/webhooks/{subscription_id}", methods=["DELETE"])
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
def remove_webhook(subscription_id: str) -> Response:
    try:
        wiring.webhooks().remove(subscription_id[:100], actor=current_staff())
    except UnknownSubscription:
        return _error(404, "webhook_not_found", _lang())
    return Response(body="", status_code=204)


@blueprint.route("/webhooks/{subscription_id}/deliveries", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
def webhook_deliveries(subscription_id: str) -> Response:
    try:
        log = wiring.webhooks().log(subscription_id[:100])
    except UnknownSubscription:
        return _error(404, "webhook_not_found", _lang())
    return _json(DeliveryLog(items=log))
