"""The technician's phone: my jobs, and one job's page with every step from check-in to closure.

Only technicians get in (``staff_only``), and on a job's page only the technicians it is assigned to
(the service checks it on the freshly read ticket). Each step is a plain form POST that redirects
back to the job page; bad input re-renders the page with the message next to the field and the
input kept. Files go straight to S3 (``static/tech.js``); the app hands out presigned POSTs and
checks what landed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from chalicelib import wiring
from chalicelib.domain.closure import (
    MAX_FORM_BYTES,
    MAX_PROGRESS_PHOTOS,
    SIGNATURE_CANVAS,
    ArrivalReport,
    BadSignature,
    Costs,
    Departure,
    Location,
    Satisfaction,
    WorkReport,
)
from chalicelib.domain.overtime import OvertimeError
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Action
from chalicelib.i18n import t
from chalicelib.services.desk import UnknownTicket
from chalicelib.services.field_work import FormRejected, JobView, NotYourJob, ProgressPhotosRejected
from chalicelib.settings import get_settings
from chalicelib.web.auth import Forbidden, current_staff, staff_only
from chalicelib.web.errors import REFUSALS, guarded, refusal
from chalicelib.web.forms import InvalidFields, read_form, read_json, validate
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render, staff_name

blueprint = Blueprint(__name__)

MAX_CLOSURE_BODY = 1024 * 1024  # the closure form may carry a drawn signature (a PNG data URL)
FORM_POST = ["application/x-www-form-urlencoded"]


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _blank_is_zero(value: Any) -> Any:
    return 0 if isinstance(value, str) and not value.strip() else value


OptionalFloat = Annotated[float | None, BeforeValidator(_blank_is_none)]
Amount = Annotated[Decimal, BeforeValidator(_blank_is_zero), Field(ge=0, le=10_000_000, decimal_places=2)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class CheckInForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    lat: OptionalFloat = None
    lon: OptionalFloat = None
    accuracy: OptionalFloat = None

    def location(self) -> Location | None:
        if self.lat is None or self.lon is None:
            return None
        return Location(lat=self.lat, lon=self.lon, accuracy_m=self.accuracy)


class ProgressForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: Long
    photos: list[str] = Field(default_factory=list, max_length=MAX_PROGRESS_PHOTOS)


class ClosureForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    work_done: Long
    parts_used: Short = ""
    hours: Amount = Decimal(0)
    travel_hours: Amount = Decimal(0)
    materials: Amount = Decimal(0)
    labour: Amount = Decimal(0)
    travel: Amount = Decimal(0)
    transport: Amount = Decimal(0)
    form_key: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    signature: Annotated[str, StringConstraints(max_length=MAX_CLOSURE_BODY)] = ""
    signer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    opinion: Short = ""  # written on the rendered form; the uploaded paper form carries its own
    satisfaction: Annotated[Satisfaction | None, BeforeValidator(_blank_is_none)] = None

    def work(self) -> WorkReport:
        return WorkReport(
            work_done=self.work_done, parts_used=self.parts_used, hours=self.hours, travel_hours=self.travel_hours,
            costs=Costs(materials=self.materials, labour=self.labour, travel=self.travel, transport=self.transport),
        )


class RefusalForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: Long


class DepartureForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    planned_return: date
    note: Short = ""


class OvertimeForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    visit_starts: datetime  # as the phone's datetime-local field sends it: local time, no zone
    visit_ends: datetime
    overtime_note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""

    def local(self, field: str) -> datetime:
        moment: datetime = getattr(self, field)
        return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(get_settings().timezone))


class FormUploadRequest(BaseModel):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    content_type: Annotated[str, StringConstraints(max_length=100)]


class FormCheckRequest(BaseModel):
    key: Annotated[str, StringConstraints(min_length=1, max_length=300)]


# ---- pages ---------------------------------------------------------------------------------------


@blueprint.route("/staff/jobs", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, StaffRole.TECHNICIAN)
def my_jobs() -> Response:
    jobs = wiring.services().field_work.my_jobs(current_staff())
    return render(blueprint.current_request, "tech_jobs.html", jobs=jobs, local_time=_local_time,
                  user=current_staff())


@blueprint.route("/staff/jobs/{number}", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, StaffRole.TECHNICIAN)
def job_page(number: str) -> Response:
    query: Mapping[str, str] = blueprint.current_request.query_params or {}
    done = query.get("done")
    return _job_page(number, done=done if done in _STEPS else None)


@blueprint.route("/staff/jobs/{number}/{step}", methods=["POST"], content_types=FORM_POST)
@guarded(blueprint)
@staff_only(blueprint, StaffRole.TECHNICIAN)
@answered_once(blueprint)
def job_step(number: str, step: str) -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    if step not in _STEPS:
        return _not_found(lang)
    form = read_form(request.raw_body, frozenset({"photos"}),
                     max_bytes=MAX_CLOSURE_BODY if step == "acceptance" else 64 * 1024)
    try:
        _STEPS[step](number, form, lang)
    except InvalidFields as error:
        return _job_page(number, errors=error.fields, values=_kept(form, refused=error.fields), status=400)
    except REFUSALS as error:
        refused = refusal(error, lang)
        return _job_page(number, errors={"_form": refused.message}, values=_kept(form), status=refused.status)
    return Response(body="", status_code=303,
                    headers={"Location": f"{_root()}/staff/jobs/{quote(number)}?done={step}"})


@blueprint.route("/staff/jobs/{number}/{step}", methods=["GET"])
@guarded(blueprint)
def job_step_opened(number: str, step: str) -> Response:
    """A step's address only takes posts; opened (an old sign-in link, a reload) it leads to the job."""
    return Response(body="", status_code=303, headers={"Location": f"{_root()}/staff/jobs/{quote(number)}"})


# ---- uploads of the signed form (JSON, called by tech.js) ----------------------------------------


@blueprint.route("/staff/jobs/{number}/uploads/form", methods=["POST"], content_types=["application/json"])
@guarded(blueprint)
@staff_only(blueprint, StaffRole.TECHNICIAN)
def start_form_upload(number: str) -> Response:
    lang = language_of(blueprint.current_request)
    body = validate(FormUploadRequest, read_json(blueprint.current_request.raw_body), lang)
    try:
        ticket = _field_work(lambda fw: fw.start_form_upload(number, current_staff(), body.filename,
                                                             body.content_type))
    except FormRejected as error:
        return _json_problem(lang, error.problem.value)
    return Response(body={"url": ticket.url, "fields": ticket.fields, "key": ticket.key,
                          "max_bytes": MAX_FORM_BYTES}, status_code=201)


@blueprint.route("/staff/jobs/{number}/uploads/form-check", methods=["POST"], content_types=["application/json"])
@guarded(blueprint)
@staff_only(blueprint, StaffRole.TECHNICIAN)
def check_form_upload(number: str) -> Response:
    lang = language_of(blueprint.current_request)
    body = validate(FormCheckRequest, read_json(blueprint.current_request.raw_body), lang)
    _field_work(lambda fw: fw.job(number, current_staff()))
    problem = wiring.services().field_work.check_form(number, body.key)
    if problem:
        return _json_problem(lang, problem.value)
    return Response(body={"ok": True, "key": body.key}, status_code=200)


# ---- the steps -----------------------------------------------------------------------------------


def _set_out(number: str, form: dict[str, Any], lang: str) -> None:
    _field_work(lambda fw: fw.set_out(number, current_staff()))


def _check_in(number: str, form: dict[str, Any], lang: str) -> None:
    request = validate(CheckInForm, form, lang)
    try:
        location = request.location()
    except ValueError:
        location = None  # a browser that sends nonsense coordinates still checks in; time is what counts
    _field_work(lambda fw: fw.check_in(number, current_staff(), location))


def _arrival(number: str, form: dict[str, Any], lang: str) -> None:
    report = validate(ArrivalReport, _only(form, "situation", "lodging", "contact_phone"), lang)
    _field_work(lambda fw: fw.report_arrival(number, current_staff(), report))


def _progress(number: str, form: dict[str, Any], lang: str) -> None:
    request = validate(ProgressForm, form, lang)
    try:
        _field_work(lambda fw: fw.report_progress(number, current_staff(), request.text, request.photos))
    except ProgressPhotosRejected as error:
        raise InvalidFields({"photos": t(lang, "tech.error.photos", name=error.problems[0][0])}) from None


def _start_repair(number: str, form: dict[str, Any], lang: str) -> None:
    _field_work(lambda fw: fw.start_repair(number, current_staff()))


def _resolve(number: str, form: dict[str, Any], lang: str) -> None:
    _field_work(lambda fw: fw.resolve(number, current_staff()))


def _acceptance(number: str, form: dict[str, Any], lang: str) -> None:
    request = validate(ClosureForm, form, lang)
    work = request.work()
    try:
        if request.form_key:
            _field_work(lambda fw: fw.file_uploaded_form(number, current_staff(), work, request.form_key))
        elif request.signature:
            if not request.signer:
                raise InvalidFields({"signer": t(lang, "error.required")})
            _field_work(lambda fw: fw.file_drawn_signature(number, current_staff(), work, request.signature,
                                                           request.signer, request.opinion, request.satisfaction,
                                                           technician=staff_name(current_staff().username)))
        else:
            raise InvalidFields({"form_key": t(lang, "tech.error.form_needed")})
    except FormRejected as error:
        raise InvalidFields({"form_key": _problem_text(lang, error.problem.value)}) from None
    except BadSignature as error:
        width, height = SIGNATURE_CANVAS
        raise InvalidFields({"signature": t(lang, f"tech.error.{error.code}", width=width, height=height)}) from None


def _refusal(number: str, form: dict[str, Any], lang: str) -> None:
    request = validate(RefusalForm, form, lang)
    _field_work(lambda fw: fw.refuse_signature(number, current_staff(), request.reason))


def _departure(number: str, form: dict[str, Any], lang: str) -> None:
    request = validate(DepartureForm, _only(form, "planned_return", "note"), lang)
    _field_work(lambda fw: fw.report_departure(
        number, current_staff(), Departure(planned_return=request.planned_return, note=request.note)))


def _overtime(number: str, form: dict[str, Any], lang: str) -> None:
    """A visit on a holiday or outside working hours is reported to the supervisor first (000 §4.4.3)."""
    request = validate(OvertimeForm, _only(form, "visit_starts", "visit_ends", "overtime_note"), lang)
    try:
        _field_work(lambda fw: fw.request_overtime(
            number, current_staff(), starts_at=request.local("visit_starts"), ends_at=request.local("visit_ends"),
            note=request.overtime_note))
    except OvertimeError as error:
        raise InvalidFields({"visit_ends": t(lang, f"tech.error.{error.code}")}) from None


_STEPS = {
    "set-out": _set_out,
    "check-in": _check_in,
    "arrival": _arrival,
    "progress": _progress,
    "start-repair": _start_repair,
    "resolve": _resolve,
    "acceptance": _acceptance,
    "refusal": _refusal,
    "departure": _departure,
    "overtime": _overtime,
}


# ---- helpers -------------------------------------------------------------------------------------


def _field_work(call: Any) -> Any:
    """Runs a field-work use case; a job not assigned to this technician is Forbidden (403)."""
    try:
        return call(wiring.services().field_work)
    except NotYourJob:
        raise Forbidden() from None


def _job_page(number: str, *, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
              done: str | None = None, status: int = 200) -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    try:
        view: JobView = _field_work(lambda fw: fw.job(number, current_staff()))
    except UnknownTicket:
        return _not_found(lang)
    settings = get_settings()
    return render(
        request, "tech_job.html", status=status, view=view, ticket=view.ticket, Action=Action,
        signature_canvas=SIGNATURE_CANVAS, satisfactions=list(Satisfaction),
        deadlines=[d for d in view.schedule.deadlines if d.is_open or d.state.value == "met_late"],
        errors=errors or {}, values=values or {}, done=done, local_time=_local_time,
        max_photos=MAX_PROGRESS_PHOTOS, max_form_mb=MAX_FORM_BYTES // (1024 * 1024),
        max_photo_bytes=settings.max_photo_bytes, today=datetime.now(ZoneInfo(settings.timezone)).date(),
    )


def _not_found(lang: str) -> Response:
    return render(blueprint.current_request, "message.html", status=404, heading=t(lang, "app.title"),
                  message=t(lang, "tech.error.not_found"))


def _json_problem(lang: str, code: str) -> Response:
    message = _problem_text(lang, code)
    return Response(body={"error": code, "message": message, "fields": {"form_key": message}}, status_code=400)


def _problem_text(lang: str, code: str) -> str:
    return t(lang, f"tech.error.{code}", mb=MAX_FORM_BYTES // (1024 * 1024))


def _only(form: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in form.items() if k in names}


def _kept(form: dict[str, Any], refused: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What the technician typed, shown again. A drawn signature comes back too, to be redrawn on the
    pad: the customer must not sign twice because of a missing name. Not a signature that was refused."""
    kept = dict(form)
    signature = kept.get("signature")
    if not isinstance(signature, str) or not signature.startswith("data:image/png;base64,") or "signature" in (
            refused or {}):
        kept.pop("signature", None)
    return kept


def _local_time(at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.astimezone(ZoneInfo(get_settings().timezone)).strftime("%m-%d %H:%M")


def _root() -> str:
    return urlsplit(get_settings().public_base_url).path.rstrip("/")
