"""Complaints (002 §4.3, 003 §3): the list of open complaints with the form the desk records one on, and a
page per complaint with the step its flow is at. Who may take which step is ``STEP_ROLES``
(``chalicelib/domain/complaint_roles.py``, which the service checks too); approvals belong to the approver
the flow waits for.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from chalicelib import wiring
from chalicelib.domain.complaint_roles import APPROVER_ROLE, STEP_ROLES
from chalicelib.domain.complaints import (
    CapaKind,
    CapaStatus,
    Cause,
    ComplaintDetails,
    Severity,
)
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import t
from chalicelib.services.complaints import NotAComplaint
from chalicelib.services.desk import UnknownTicket
from chalicelib.settings import get_settings
from chalicelib.web.auth import Forbidden, current_staff, staff_only
from chalicelib.web.errors import REFUSALS, guarded, refusal
from chalicelib.web.forms import InvalidFields, query_of, read_form, validate
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
S = StaffRole
VIEWERS = (S.DESK, S.SUPERVISOR, S.QUALITY, S.GENERAL_MANAGER, S.ADMIN)


def _blank(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ReplyForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reply_by: datetime  # the browser's datetime-local: the service's wall clock


class AnalyseForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    cause: Cause
    department: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    analysis: Annotated[Annotated[str, StringConstraints(max_length=2000)] | None, BeforeValidator(_blank)] = None


class ProposeForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: Text
    # The bounds apply to an amount, not to "none offered" (a blank field).
    compensation: Annotated[
        Annotated[Decimal, Field(ge=0, le=100_000_000, decimal_places=2)] | None, BeforeValidator(_blank)
    ] = None


class DecideForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class CapaForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kind: CapaKind
    description: Text
    owner: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    due: date


class CapaUpdateForm(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)]
    status: CapaStatus
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


def _root() -> str:
    return urlsplit(get_settings().public_base_url).path.rstrip("/")


def _local(at: datetime) -> datetime:
    zone = ZoneInfo(get_settings().timezone)
    return at.replace(tzinfo=zone) if at.tzinfo is None else at


# -- the list and a new complaint ------------------------------------------------------------------

@blueprint.route("/staff/complaints", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *VIEWERS)
def complaints_page() -> Response:
    return _list()


@blueprint.route("/staff/complaints", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
@staff_only(blueprint, *VIEWERS)
@answered_once(blueprint)
def new_complaint() -> Response:
    user = current_staff()
    if not user.has_any(STEP_ROLES["record"]):
        raise Forbidden()
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body)
    request_fields = {k: v for k, v in form.items() if k in ServiceRequestInput.model_fields}
    errors: dict[str, str] = {}
    try:
        report = validate(ServiceRequestInput, {**request_fields, "channel": form.get("channel") or "phone",
                                                "kind": "complaint"}, lang)
    except InvalidFields as invalid:
        errors.update(invalid.fields)
    details = _details(form, lang, errors)
    if errors:
        return _list(errors=errors, values=form, status=400)
    number = wiring.services().complaints.open(report, details, actor=user, language=lang)
    return _to(number, "record", lang)


def _details(form: dict[str, Any], lang: str, errors: dict[str, str]) -> ComplaintDetails:
    try:
        details = validate(ComplaintDetails, form, lang)
    except InvalidFields as invalid:
        errors.update(invalid.fields)
        return None  # type: ignore[return-value]
    errors.update({f: t(lang, f"complaints.error.{code}") for f, code in details.check().items()})
    return details


def _list(*, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None, status: int = 200) -> Response:
    return render(blueprint.current_request, "complaints.html", status=status,
                  complaints=wiring.services().complaints.open_complaints(), may_record=current_staff().has_any(
                      STEP_ROLES["record"]), severities=[s.value for s in Severity], errors=errors or {},
                  values=values or {})


# -- one complaint ---------------------------------------------------------------------------------

@blueprint.route("/staff/complaints/{number}", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *VIEWERS)
def complaint_page(number: str) -> Response:
    query = query_of(blueprint.current_request)
    return _detail(number, done=query.get("done", "")[:20])


@blueprint.route("/staff/complaints/{number}/{step}", methods=["POST"],
                 content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
@staff_only(blueprint, *VIEWERS)
@answered_once(blueprint)
def complaint_step(number: str, step: str) -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    user = current_staff()
    form = read_form(request.raw_body)
    complaints = wiring.services().complaints
    try:
        view = complaints.view(number)
    except (UnknownTicket, NotAComplaint):
        return _missing(lang)
    if step in ("approve", "reject"):
        expected = view.ticket.complaint.next_approval() if view.ticket.complaint else None
        if expected is None or not user.has_any({APPROVER_ROLE[expected]}):
            raise Forbidden()
    elif step not in STEP_ROLES:
        return _missing(lang)
    elif not user.has_any(STEP_ROLES[step]):
        raise Forbidden()
    actor = user  # the service checks the step against the roles too, on the record as it is then
    try:
        if step == "record":
            errors: dict[str, str] = {}
            details = _details(form, lang, errors)
            if errors:
                raise InvalidFields(errors)
            complaints.record(number, details, actor=actor)
        elif step == "reply":
            complaints.commit_reply(number, _local(validate(ReplyForm, form, lang).reply_by), actor=actor)
        elif step == "analyse":
            data = validate(AnalyseForm, form, lang)
            complaints.analyse(number, data.cause, data.department, data.analysis, actor=actor)
        elif step == "propose":
            data = validate(ProposeForm, form, lang)
            complaints.propose(number, data.text, data.compensation, actor=actor)
        elif step in ("approve", "reject"):
            note = validate(DecideForm, form, lang).note
            assert view.ticket.complaint is not None
            step_of = view.ticket.complaint.next_approval()
            assert step_of is not None
            complaints.decide(number, step_of, step == "approve", actor=actor, note=note)
        elif step == "agree":
            complaints.agree(number, actor=actor)
        elif step == "capa":
            data = validate(CapaForm, form, lang)
            complaints.plan_capa(number, data.kind, data.description, data.owner, data.due, actor=actor)
        elif step == "capa_update":
            data = validate(CapaUpdateForm, form, lang)
            complaints.update_capa(number, data.action, data.status, actor=actor, note=data.note,
                                   verifier=user.has_any({S.QUALITY}))
        elif step == "close":
            complaints.close(number, actor=actor)
    except InvalidFields as invalid:
        return _detail(number, errors={step: invalid.fields}, values={step: form}, status=400)
    except REFUSALS as error:
        refused = refusal(error, lang)
        return _detail(number, errors={step: {"_form": refused.message}}, values={step: form}, status=refused.status)
    return _to(number, step, lang)


def _detail(number: str, *, errors: dict[str, dict[str, str]] | None = None,
            values: dict[str, dict[str, Any]] | None = None, done: str = "", status: int = 200) -> Response:
    lang = language_of(blueprint.current_request)
    try:
        view = wiring.services().complaints.view(number)
    except (UnknownTicket, NotAComplaint):
        return _missing(lang)
    user = current_staff()
    complaint = view.ticket.complaint
    expected = complaint.next_approval() if complaint else None
    may = {step: user.has_any(roles) for step, roles in STEP_ROLES.items()}
    may["approve"] = expected is not None and user.has_any({APPROVER_ROLE[expected]})
    today = wiring.services().aftercare.today()
    return render(blueprint.current_request, "complaint.html", status=status, view=view, ticket=view.ticket,
                  complaint=complaint, expected=expected, may=may, errors=errors or {}, values=values or {},
                  done=done, today=today, causes=[c.value for c in Cause], severities=[s.value for s in Severity],
                  capa_kinds=[k.value for k in CapaKind], capa_statuses=[s.value for s in CapaStatus],
                  deadlines=[d for d in view.schedule.deadlines if d.due_at is not None])


def _to(number: str, step: str, lang: str) -> Response:
    return Response(body="", status_code=303, headers={
        "Location": f"{_root()}/staff/complaints/{quote(number)}?done={step}&lang={lang}"})


def _missing(lang: str) -> Response:
    return render(blueprint.current_request, "message.html", status=404, heading=t(lang, "complaints.title"),
                  message=t(lang, "complaints.not_found"))

