"""The staff API of the office's own desk work: a request the desk types in from a phone call, fax, email
or visit; the supervisor's approvals — filed closures, refusals to sign, and visits outside working
time, with his decision on such a visit (000 §4.4.3); and who is on call on the escalation ladder.

The roles are the pages' (``web/supervisor.py``'s desk entry, ``web/approvals.py``, ``web/on_call.py``);
the services are theirs (``submit_report``, ``FieldWorkService``, ``SlaService``). Approving or sending
back a closure is the ticket's ``approve`` / ``reject-closure`` move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib import wiring
from chalicelib.domain.closure import WorkReport
from chalicelib.domain.escalation import LADDER, Person, Roster
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.overtime import OvertimeVisit
from chalicelib.domain.ticket import Ticket
from chalicelib.i18n import t
from chalicelib.services.sla import StillChanging
from chalicelib.web.api import Receipt
from chalicelib.web.approvals import APPROVERS
from chalicelib.web.auth import current_staff
from chalicelib.web.errors import OVERTIME_DECISION
from chalicelib.web.forms import InvalidFields, validate
from chalicelib.web.on_call import ROTA_KEEPERS, OnCallForm
from chalicelib.web.staff_api_kit import IDEMPOTENCY_HEADER, PAGE_QUERY, language, operation, page, problem
from chalicelib.web.submission import submit_report
from chalicelib.web.supervisor import DESK, MAX_NUMBER_LENGTH
from chalicelib.web.supervisor_forms import DeskChannelForm

blueprint = Blueprint(__name__)
MAX_VISIT_ID = 20


class DeskRequest(ServiceRequestInput):
    """The customer's report, as the desk types it in; ``channel`` is how it came."""

    channel: Literal["phone", "fax", "email", "visit"]  # type: ignore[assignment]


class OvertimeDecision(BaseModel):
    model_config = ConfigDict(extra="ignore")

    decision: Literal["approve", "decline"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class Closure(BaseModel):
    number: str
    customer_name: str
    technicians: list[str]
    filed_at: datetime | None
    filed_by: str | None
    signer: str | None
    work: WorkReport | None
    form_url: str | None = Field(description="The filed form, valid for minutes")
    preview_url: str | None = Field(description="A picture of what the customer signed, valid for minutes")


class ClosurePage(BaseModel):
    items: list[Closure]
    cursor: str | None


class Refusal(BaseModel):
    number: str
    customer_name: str
    technicians: list[str]
    reason: str
    at: datetime
    by: str


class RefusalPage(BaseModel):
    items: list[Refusal]
    cursor: str | None


class OvertimeRequest(BaseModel):
    number: str
    customer_name: str
    visit: OvertimeVisit


class OvertimePage(BaseModel):
    items: list[OvertimeRequest]
    cursor: str | None


def _desk_request(body: dict[str, Any], lang: str) -> dict[str, Any]:
    """Everything wrong with the request at once: the report's fields and the channel the desk chose."""
    errors: dict[str, str] = {}
    for model in (ServiceRequestInput, DeskChannelForm):
        try:
            validate(model, body, lang)
        except InvalidFields as invalid:
            errors.update(invalid.fields)
    if errors:
        raise InvalidFields(errors)
    return body


@operation(
    blueprint,
    "POST",
    "/requests",
    "Type in a request received by phone, fax, email or visit (opens a ticket, the desk its first actor)",
    roles=DESK,
    request=DeskRequest,
    response=Receipt,
    status=201,
    read=_desk_request,
)
def enter_request(body: dict[str, Any]) -> Receipt:
    key = (blueprint.current_request.headers.get(IDEMPOTENCY_HEADER.lower()) or "")[:100] or None
    receipt = submit_report(body, lang=language(blueprint), idempotency_key=key, staff=current_staff().username)
    return Receipt(**receipt)


def _technicians(ticket: Ticket) -> list[str]:
    return list(ticket.assignees)


@operation(
    blueprint,
    "GET",
    "/approvals/closures",
    "Jobs whose signed acceptance form is filed, waiting for approval",
    roles=APPROVERS,
    response=ClosurePage,
    query=PAGE_QUERY,
)
def closures() -> ClosurePage:
    rows = []
    for item in wiring.services().field_work.awaiting_approval():
        ticket, filed = item.ticket, item.ticket.acceptance
        rows.append(
            Closure(
                number=ticket.number,
                customer_name=ticket.reporter.customer_name,
                technicians=_technicians(ticket),
                filed_at=filed.filed_at if filed else None,
                filed_by=filed.filed_by if filed else None,
                signer=filed.signer if filed else None,
                work=filed.work if filed else None,
                form_url=item.form_url,
                preview_url=item.preview_url,
            )
        )
    shown, cursor = page(blueprint, rows, lambda r: (r.filed_at.isoformat() if r.filed_at else "", r.number))
    return ClosurePage(items=shown, cursor=cursor)


@operation(
    blueprint,
    "GET",
    "/approvals/refusals",
    "Jobs on site whose customer refused to sign, with the technician's reason report",
    roles=APPROVERS,
    response=RefusalPage,
    query=PAGE_QUERY,
)
def refusals() -> RefusalPage:
    rows = [
        Refusal(
            number=ticket.number,
            customer_name=ticket.reporter.customer_name,
            technicians=_technicians(ticket),
            reason=ticket.refusal.reason,
            at=ticket.refusal.at,
            by=ticket.refusal.by,
        )
        for ticket in wiring.services().field_work.refusals()
        if ticket.refusal is not None
    ]
    shown, cursor = page(blueprint, rows, lambda r: (r.at.isoformat(), r.number))
    return RefusalPage(items=shown, cursor=cursor)


@operation(
    blueprint,
    "GET",
    "/approvals/overtime",
    "Visits on a holiday or outside working hours waiting for the supervisor's decision",
    roles=APPROVERS,
    response=OvertimePage,
    query=PAGE_QUERY,
)
def overtime_requests() -> OvertimePage:
    rows = [
        OvertimeRequest(number=ticket.number, customer_name=ticket.reporter.customer_name, visit=visit)
        for ticket, visit in wiring.services().field_work.overtime_requests()
    ]
    shown, cursor = page(blueprint, rows, lambda r: (r.visit.requested_at.isoformat(), r.number, r.visit.id))
    return OvertimePage(items=shown, cursor=cursor)


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/overtime/{visit_id}",
    "Approve or decline a visit outside working time (000 §4.4.3)",
    roles=APPROVERS,
    request=OvertimeDecision,
    response=OvertimeRequest,
    own=OVERTIME_DECISION,
)
def decide_overtime(form: OvertimeDecision, number: str, visit_id: str) -> OvertimeRequest:
    if len(number) > MAX_NUMBER_LENGTH:
        raise problem(404, "ticket_not_found", language(blueprint))
    ticket = wiring.services().field_work.decide_overtime(
        number,
        visit_id[:MAX_VISIT_ID],
        actor=current_staff(),
        approve=form.decision == "approve",
        note=form.note,
    )
    decided = next(visit for visit in ticket.overtime if visit.id == visit_id[:MAX_VISIT_ID])
    return OvertimeRequest(number=ticket.number, customer_name=ticket.reporter.customer_name, visit=decided)


# -- who is on call -----------------------------------------------------------------------------------


class RosterView(BaseModel):
    """One scope's ladder: who holds each level, and who answers for it out of working hours."""

    scope: str = Field(description="default, region:CN-XX or product:<line>")
    version: int
    levels: dict[str, list[Person]]
    on_call: dict[str, list[Person]]


class RosterPage(BaseModel):
    items: list[RosterView]
    cursor: str | None


def _roster(roster: Roster) -> RosterView:
    return RosterView(
        scope=roster.scope,
        version=roster.version,
        levels={role.value: list(people) for role, people in roster.levels.items()},
        on_call={role.value: list(people) for role, people in roster.on_call.items()},
    )


@operation(
    blueprint,
    "GET",
    "/on-call",
    "The escalation ladder's holders and who is on call, per scope",
    roles=ROTA_KEEPERS,
    response=RosterPage,
    query=PAGE_QUERY,
)
def rosters() -> RosterPage:
    shown, cursor = page(blueprint, [_roster(r) for r in wiring.services().sla.rosters()], lambda r: (r.scope,))
    return RosterPage(items=shown, cursor=cursor)


@operation(
    blueprint,
    "POST",
    "/on-call",
    "Put someone on call for a level (a name and a phone or email), or nobody with clear",
    roles=ROTA_KEEPERS,
    request=OnCallForm,
    response=RosterView,
)
def set_on_call(form: OnCallForm) -> RosterView:
    lang = language(blueprint)
    if form.level not in LADDER:
        raise InvalidFields({"level": t(lang, "sup.on_call.bad_level")})
    try:
        return _roster(wiring.services().sla.set_on_call(form.scope, form.level, form.holder(lang), actor=current_staff()))
    except StillChanging:
        raise problem(409, "on_call_busy", lang, "sup.on_call.busy") from None
