"""The staff API of complaints (002 §4.3, 003 §3): the open complaints, a new one taken on the phone, one
complaint with the step its flow is at, and each step of the complaint page as JSON.

The roles are the page's (``chalicelib/domain/complaint_roles.py``: ``STEP_ROLES``; an approval belongs to the
approver the flow waits for), checked again by ``ComplaintService``; the rules are the service's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.domain.complaint_roles import APPROVER_ROLE, STEP_ROLES
from chalicelib.domain.complaints import Approver, Complaint, ComplaintDetails
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import Actor
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Channel, Ticket
from chalicelib.i18n import t
from chalicelib.web.auth import current_staff
from chalicelib.web.complaints import (
    VIEWERS,
    AnalyseForm,
    CapaForm,
    CapaUpdateForm,
    DecideForm,
    ProposeForm,
    ReplyForm,
    _local,
)
from chalicelib.web.forms import InvalidFields
from chalicelib.web.staff_api_kit import PAGE_QUERY, forbidden_unless, language, operation, page, problem
from chalicelib.web.supervisor import MAX_NUMBER_LENGTH

blueprint = Blueprint(__name__)
APPROVERS = tuple(APPROVER_ROLE.values())


class NewComplaint(BaseModel):
    """A complaint taken on the phone: who and what (as a report; the channel is the phone unless said),
    and what is recorded about the complained-of goods."""

    report: ServiceRequestInput
    details: ComplaintDetails


class ComplaintRow(BaseModel):
    number: str
    status: str
    customer_name: str
    product_model: str
    created_at: datetime
    severity: str | None = Field(description="minor or severe; null: not recorded yet")
    reply_by: datetime | None
    next_approval: str | None = Field(description="supervisor or general_manager, while a resolution waits")
    capa_status: str | None


class ComplaintPage(BaseModel):
    items: list[ComplaintRow]
    cursor: str | None


class ComplaintDeadline(BaseModel):
    milestone: str
    state: str
    due_at: datetime | None


class ComplaintFile(ComplaintRow):
    version: int
    complaint: Complaint | None = Field(
        description="The record, analysis, resolution and CAPA; null: not recorded yet (a complaint from the web form)"
    )
    deadlines: list[ComplaintDeadline]


def _row(ticket: Ticket) -> dict[str, object]:
    complaint = ticket.complaint
    approval = complaint.next_approval() if complaint else None
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "customer_name": ticket.reporter.customer_name,
        "product_model": ticket.product.model,
        "created_at": ticket.created_at,
        "severity": complaint.details.severity.value if complaint else None,
        "reply_by": complaint.reply_by if complaint else None,
        "next_approval": approval.value if approval else None,
        "capa_status": complaint.capa_status.value if complaint and complaint.capa_status else None,
    }


def _file(number: str) -> ComplaintFile:
    if len(number) > MAX_NUMBER_LENGTH:
        raise problem(404, "not_a_complaint", language(blueprint), "complaints.not_found")
    view = wiring.services().complaints.view(number)
    return ComplaintFile(
        **_row(view.ticket),
        version=view.ticket.version,
        complaint=view.ticket.complaint,
        deadlines=[
            ComplaintDeadline(milestone=d.milestone.value, state=d.state.value, due_at=d.due_at)
            for d in view.schedule.deadlines
            if d.due_at is not None
        ],
    )


def _checked(details: ComplaintDetails) -> ComplaintDetails:
    lang = language(blueprint)
    problems = details.check()
    if problems:
        raise InvalidFields({field: t(lang, f"complaints.error.{code}") for field, code in problems.items()})
    return details


@operation(
    blueprint,
    "GET",
    "/complaints",
    "Open complaints, oldest first",
    roles=VIEWERS,
    response=ComplaintPage,
    query=PAGE_QUERY,
)
def open_complaints() -> ComplaintPage:
    rows = [ComplaintRow(**_row(ticket)) for ticket in wiring.services().complaints.open_complaints()]  # type: ignore[arg-type]
    shown, cursor = page(blueprint, rows, lambda r: (r.created_at.isoformat(), r.number))
    return ComplaintPage(items=shown, cursor=cursor)


@operation(
    blueprint,
    "POST",
    "/complaints",
    "Record a complaint taken on the phone (opens a ticket)",
    roles=tuple(STEP_ROLES["record"]),
    request=NewComplaint,
    response=ComplaintFile,
    status=201,
)
def new_complaint(body: NewComplaint) -> ComplaintFile:
    report = body.report
    if "channel" not in report.model_fields_set:
        report = report.model_copy(update={"channel": Channel.PHONE})
    number = wiring.services().complaints.open(
        report, _checked(body.details), actor=current_staff(), language=language(blueprint)
    )
    return _file(number)


@operation(
    blueprint,
    "GET",
    "/complaints/{number}",
    "One complaint: its record, the step its flow is at, its deadlines",
    roles=VIEWERS,
    response=ComplaintFile,
)
def complaint_file(number: str) -> ComplaintFile:
    return _file(number)


def _step(
    name: str,
    summary: str,
    request: type[BaseModel] | None,
    act: Callable[..., object],
    roles: tuple[StaffRole, ...] | None = None,
) -> None:
    """One step of the complaint page; ``act(number, actor, form)`` calls the service."""

    def view(*args: BaseModel, number: str) -> ComplaintFile:
        _file(number)  # a complaint, else 404
        act(number, current_staff(), *args)
        return _file(number)

    view.__name__ = f"complaint_{name.replace('-', '_')}"
    operation(
        blueprint,
        "POST",
        f"/complaints/{{number}}/{name}",
        summary,
        roles=roles or tuple(sorted(STEP_ROLES[name.replace("-", "_")])),
        request=request,
        response=ComplaintFile,
    )(view)


def _complaints():  # type: ignore[no-untyped-def]
    return wiring.services().complaints


def _decide(approved: bool) -> Callable[[str, Actor, DecideForm], object]:
    def decide(number: str, actor: Actor, form: DecideForm) -> object:
        complaint = _complaints().view(number).ticket.complaint
        expected: Approver | None = complaint.next_approval() if complaint else None
        forbidden_unless(expected is not None and current_staff().has_any({APPROVER_ROLE[expected]}))
        assert expected is not None
        return _complaints().decide(number, expected, approved, actor=actor, note=form.note)

    return decide


_step(
    "record",
    "Record the complaint's details (one from the web form)",
    ComplaintDetails,
    lambda number, actor, form: _complaints().record(number, _checked(form), actor=actor),
)
_step(
    "reply",
    "Commit the time the customer gets a reply by (service's wall clock without a zone)",
    ReplyForm,
    lambda number, actor, form: _complaints().commit_reply(number, _local(form.reply_by), actor=actor),
)
_step(
    "analyse",
    "Root cause and responsible department",
    AnalyseForm,
    lambda number, actor, form: _complaints().analyse(number, form.cause, form.department, form.analysis, actor=actor),
)
_step(
    "propose",
    "Propose a resolution (compensation needs the general manager)",
    ProposeForm,
    lambda number, actor, form: _complaints().propose(number, form.text, form.compensation, actor=actor),
)
_step("approve", "Approve the resolution (the approver the flow waits for)", DecideForm, _decide(True), roles=APPROVERS)
_step("reject", "Reject the resolution (the approver the flow waits for)", DecideForm, _decide(False), roles=APPROVERS)
_step(
    "agree",
    "The customer agreed to the resolution",
    None,
    lambda number, actor: _complaints().agree(number, actor=actor),
)
_step(
    "capa",
    "Plan a corrective or preventive action",
    CapaForm,
    lambda number, actor, form: _complaints().plan_capa(
        number, form.kind, form.description, form.owner, form.due, actor=actor
    ),
)
_step(
    "capa-update",
    "Move a corrective or preventive action on (verified only by quality)",
    CapaUpdateForm,
    lambda number, actor, form: _complaints().update_capa(
        number,
        form.action,
        form.status,
        actor=actor,
        note=form.note,
        verifier=current_staff().has_any({StaffRole.QUALITY}),
    ),
)
_step("close", "Close the complaint", None, lambda number, actor: _complaints().close(number, actor=actor))
