"""The office's pages: the queue, a ticket's whole file with the supervisor's forms, and the desk's
entry of requests received by phone, fax, email or visit.

Who may do what (000 §4.2–4.4; SPEC "Who uses it"):
- the queue: desk, supervisor, admin; chief engineer and general manager read it;
- a ticket: every staff role may read it, a technician only when dispatched to it;
- classify, agree the date, dispatch, pause/resume, cancel: supervisor and admin;
- record the first contact and enter a request: desk, supervisor, admin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response
from pydantic import BaseModel

from chalicelib import wiring
from chalicelib.domain.billing import BillingReason
from chalicelib.domain.events import PauseReason
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.queue import SEVERITY, QueueFilter
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import OPEN_STATUSES, Kind, Priority, Ticket
from chalicelib.i18n import t
from chalicelib.services.desk import UnknownTicket
from chalicelib.settings import get_settings
from chalicelib.web import ticket_links
from chalicelib.web.auth import Forbidden, current_staff, staff_only
from chalicelib.web.customer import report_form_context
from chalicelib.web.errors import guarded, on_ticket_page, refusal, refusals
from chalicelib.web.forms import BadRequest, InvalidFields, read_form, validate
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render
from chalicelib.web.submission import submit_report
from chalicelib.web.supervisor_forms import (
    DESK_CHANNELS,
    PAUSE_REASONS,
    AgreeDateForm,
    CancelForm,
    ClassifyForm,
    ContactForm,
    DeskChannelForm,
    DispatchForm,
    PauseForm,
    action_forms,
)

blueprint = Blueprint(__name__)

S = StaffRole
QUEUE_READERS = (S.DESK, S.SUPERVISOR, S.ADMIN, S.CHIEF_ENGINEER, S.GENERAL_MANAGER)
MANAGERS = (S.SUPERVISOR, S.ADMIN)
DESK = (S.DESK, S.SUPERVISOR, S.ADMIN)

REQUEST_FIELDS = frozenset(
    {
        "customer_name", "contact_person", "phone", "email", "province", "city", "address", "project_name",
        "product_model", "serial_number", "order_number", "description", "suspected_cause", "preferred_time",
        "kind", "photos", "channel",
    }
)
MAX_NUMBER_LENGTH = 40
# A queue page's position: its next deadline (or "~" for none), created, number.
QUEUE_POSITION = re.compile(r"(~|[0-9T:.Z-]{27})#[0-9T:.Z-]{27}#[A-Za-z0-9-]{1,40}")


def _local_time(at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


def _root() -> str:
    return urlsplit(get_settings().public_base_url).path.rstrip("/")


def _see_other(path: str) -> Response:
    return Response(body="", status_code=303, headers={"Location": f"{_root()}{path}"})


# -- the queue ----------------------------------------------------------------------------------


@blueprint.route("/staff/queue", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *QUEUE_READERS)
def queue_page() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    query = {k: v for k, v in (request.query_params or {}).items() if k not in ("lang", "after")}
    try:
        filters = validate(QueueFilter, query, lang)
        errors: dict[str, str] = {}
    except InvalidFields as invalid:
        filters, errors = QueueFilter(), invalid.fields
    after = str((request.query_params or {}).get("after", "")) or None  # type: ignore[call-overload]
    if after is not None and not QUEUE_POSITION.fullmatch(after):
        after, errors = None, {**errors, "after": t(lang, "sup.queue.bad_page")}
    queue = wiring.services().queue
    page = queue.queue(filters, after)
    rows = page.rows
    # Of this page: counting every open ticket would read them all, which the queue never does.
    counts = {state: sum(1 for r in rows if r.state == state) for state in SEVERITY}
    user = current_staff()
    return render(
        request,
        "staff_queue.html",
        status=400 if errors else 200,
        rows=rows,
        next_page=page.after,
        counts=counts,
        states=SEVERITY,
        filters=query,
        errors=errors,
        statuses=sorted(OPEN_STATUSES),
        priorities=[p.value for p in Priority],
        technicians=queue.technicians(),
        may_enter=user.has_any(set(DESK)),
        now=wiring.services().clock.now(),
        local_time=_local_time,
    )


# -- one ticket ---------------------------------------------------------------------------------


def _readable_ticket(user: StaffUser, number: str) -> Ticket | None:
    """The ticket if this person may open it; None if there is no such ticket; Forbidden otherwise."""
    if len(number) > MAX_NUMBER_LENGTH:
        return None
    try:
        ticket = wiring.services().queue.get(number)
    except UnknownTicket:
        return None
    if not user.may_work_on(ticket):
        raise Forbidden()
    return ticket


def _not_found() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    return render(request, "message.html", status=404, heading=t(lang, "error.not_found"),
                  message=t(lang, "sup.ticket.not_found"))


def _ticket_page(
    number: str, *, status: int = 200, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
    problem: str | None = None, failed: str | None = None,
) -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    user = current_staff()
    if _readable_ticket(user, number) is None:
        return _not_found()
    queue = wiring.services().queue
    file = queue.ticket_file(number)
    ticket = file.ticket
    manage = user.has_any(set(MANAGERS))
    done = str((request.query_params or {}).get("done", ""))  # type: ignore[call-overload]
    agreed_local = (
        file.ticket.agreed_date.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%dT%H:%M")
        if file.ticket.agreed_date else ""
    )
    # A product the archive knows to be out of warranty is a paid job unless the supervisor says otherwise.
    out_of_warranty = ticket.billing is None and ticket.warranty is False
    defaults = {
        "kind": ticket.kind.value,
        "priority": ticket.priority.value if ticket.priority else "",
        "billing": ticket.billing.value if ticket.billing else ("paid" if out_of_warranty else ""),
        "billing_reason": (ticket.billing_reason.value if ticket.billing_reason
                           else ("out_of_warranty" if out_of_warranty else "")),
        "warranty": "unknown" if ticket.warranty is None else ("in" if ticket.warranty else "out"),
        "plan": ticket.plan,
        "in_province": "yes" if ticket.in_province else "no",
        "agreed_date": agreed_local,
        "technicians": list(ticket.assignees),
    }
    return render(
        request,
        "staff_ticket.html",
        status=status,
        file=file,
        ticket=ticket,
        schedule=file.schedule,
        timeline=file.timeline,
        errors=errors or {},
        values={**defaults, **(values or {})},
        problem=problem,
        done=t(lang, f"sup.done.{done}") if done in DONE_NOTICES else None,
        may_manage=manage and ticket.is_open,
        may_open_form=manage,  # the form's link is the approvals' (web/approvals.APPROVERS)
        may_contact=user.has_any(set(DESK)) and ticket.is_open,
        action_forms=action_forms(ticket.status, may_manage=manage and ticket.is_open,
                                  may_contact=user.has_any(set(DESK)) and ticket.is_open, failed=failed),
        next_step=ticket.status.value if ticket.is_open else None,
        paused=ticket.status.value == "waiting_on_customer",
        kinds=[k.value for k in Kind],
        priorities=[p.value for p in Priority],
        billing_reasons=[r.value for r in BillingReason],
        plans=queue.plan_names() if manage else [],
        technicians=queue.technicians() if manage else [],
        pause_reasons=PAUSE_REASONS,
        more_links=ticket_links.links_for(ticket, user, lang),
        local_time=_local_time,
    )


@blueprint.route("/staff/tickets/{number}", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint)
def ticket_page(number: str) -> Response:
    return _ticket_page(number)


DONE_NOTICES = ("classify", "contact", "agree_date", "dispatch", "pause", "resume", "cancel", "entered")


def _act(
    number: str, name: str, model: type[BaseModel] | None, do: Callable[[Any, str, StaffUser, str], None],
    list_fields: frozenset[str] = frozenset(),
) -> Response:
    """Read the form, run the move, and come back to the ticket: with the problem next to the field
    (400) or at the top (409) when it cannot be done, the typed values kept. The words of a refusal are
    ``errors.on_ticket_page``'s."""
    request = blueprint.current_request
    lang = language_of(request)
    user = current_staff()
    if _readable_ticket(user, number) is None:
        return _not_found()
    form = read_form(request.raw_body, list_fields=list_fields)
    own = on_ticket_page(name)
    try:
        parsed = validate(model, form, lang) if model else None
        do(parsed, number, user, lang)
    except InvalidFields as invalid:
        return _ticket_page(number, status=400, errors=invalid.fields, values=form, failed=name)
    except refusals(own) as error:
        refused = refusal(error, lang, own)
        if refused.fields:
            return _ticket_page(number, status=refused.status, errors=refused.fields, values=form, failed=name)
        return _ticket_page(number, status=refused.status, values=form, problem=refused.message, failed=name)
    return _see_other(f"/staff/tickets/{quote(number)}?done={name}")


def _classify(form: ClassifyForm, number: str, actor: StaffUser, lang: str) -> None:
    wiring.services().desk.classify(
        number, actor=actor, kind=form.kind, priority=form.priority, billing=form.billing,
        billing_reason=form.billing_reason, warranty=form.warranty_flag(), plan=form.plan,
        in_province=form.in_province == "yes",
    )


def _contact(form: ContactForm, number: str, actor: StaffUser, lang: str) -> None:
    wiring.services().desk.record_contact(number, actor=actor, note=form.contact_note)


def _agree_date(form: AgreeDateForm, number: str, actor: StaffUser, lang: str) -> None:
    services = wiring.services()
    try:
        at = form.at(get_settings().timezone)
    except ValueError:  # the form's text is no date and time: the field says so
        raise InvalidFields({"agreed_date": t(lang, "sup.error.date_invalid")}) from None
    if at < services.clock.now():
        raise InvalidFields({"agreed_date": t(lang, "sup.error.date_past")})
    services.desk.classify(number, actor=actor, agreed_date=at)


def _dispatch(form: DispatchForm, number: str, actor: StaffUser, lang: str) -> None:
    wiring.services().queue.dispatch(number, actor=actor, technicians=form.technicians)


def _pause(form: PauseForm, number: str, actor: StaffUser, lang: str) -> None:
    if form.pause_reason == "other" and not form.pause_note:
        raise InvalidFields({"pause_note": t(lang, "error.required")})
    wiring.services().desk.pause(number, actor=actor, reason=PauseReason(form.pause_reason), note=form.pause_note)


def _resume(form: None, number: str, actor: StaffUser, lang: str) -> None:
    wiring.services().desk.resume(number, actor=actor)


def _cancel(form: CancelForm, number: str, actor: StaffUser, lang: str) -> None:
    wiring.services().desk.cancel(number, actor=actor, reason=form.cancel_reason)


_FORM = ["application/x-www-form-urlencoded"]


@blueprint.route("/staff/tickets/{number}/classify", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *MANAGERS)
@answered_once(blueprint)
def classify(number: str) -> Response:
    return _act(number, "classify", ClassifyForm, _classify)


@blueprint.route("/staff/tickets/{number}/contact", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *DESK)
@answered_once(blueprint)
def record_contact(number: str) -> Response:
    return _act(number, "contact", ContactForm, _contact)


@blueprint.route("/staff/tickets/{number}/agreed-date", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *MANAGERS)
@answered_once(blueprint)
def agree_date(number: str) -> Response:
    return _act(number, "agree_date", AgreeDateForm, _agree_date)


@blueprint.route("/staff/tickets/{number}/dispatch", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *MANAGERS)
@answered_once(blueprint)
def dispatch(number: str) -> Response:
    return _act(number, "dispatch", DispatchForm, _dispatch, list_fields=frozenset({"technicians"}))


@blueprint.route("/staff/tickets/{number}/pause", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *MANAGERS)
@answered_once(blueprint)
def pause(number: str) -> Response:
    return _act(number, "pause", PauseForm, _pause)


@blueprint.route("/staff/tickets/{number}/resume", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *MANAGERS)
@answered_once(blueprint)
def resume(number: str) -> Response:
    return _act(number, "resume", None, _resume)


@blueprint.route("/staff/tickets/{number}/cancel", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *MANAGERS)
@answered_once(blueprint)
def cancel(number: str) -> Response:
    return _act(number, "cancel", CancelForm, _cancel)


# -- the desk's entry of a request ---------------------------------------------------------------


def _entry_page(values: dict[str, Any], errors: dict[str, str], key: str | None = None, status: int = 200) -> Response:
    return render(blueprint.current_request, "desk_entry.html", status=status, values=values, errors=errors,
                  channels=[c.value for c in DESK_CHANNELS], **report_form_context(key))


@blueprint.route("/staff/requests/new", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *DESK)
def entry_page() -> Response:
    return _entry_page({"channel": "phone"}, {})


@blueprint.route("/staff/requests/new", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *DESK)
def enter_request() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    try:
        form = read_form(request.raw_body, list_fields=frozenset({"photos"}))
    except BadRequest as error:
        return render(request, "message.html", status=error.status, heading=t(lang, "sup.entry.title"),
                      message=t(lang, f"error.{error.code}"))
    key = str(form.get("idempotency_key") or "")[:100] or None
    values = {k: v for k, v in form.items() if k in REQUEST_FIELDS}
    channel_errors: dict[str, str] = {}
    try:
        validate(DeskChannelForm, values, lang)
    except InvalidFields as invalid:
        channel_errors = invalid.fields
    try:
        if channel_errors:
            validate(ServiceRequestInput, values, lang)  # say everything that is wrong at once
            raise InvalidFields(channel_errors)
        receipt = submit_report(values, lang=lang, idempotency_key=key, staff=current_staff().username)
    except InvalidFields as invalid:
        return _entry_page(values, {**channel_errors, **invalid.fields}, key=key, status=400)
    return _see_other(f"/staff/tickets/{quote(receipt['number'])}?done=entered")
