"""The supervisor's closure approvals: jobs whose signed acceptance form is filed, and refusals to sign.

A filed form is shown only through presigned links that expire in minutes (the bucket is private): a
photo of it, or the signature drawn on the phone, inline on the page, and the form itself through
``/staff/approvals/<number>/form``, which makes a fresh link at each tap (a page left open never holds a
dead one). Each job's number leads to its ticket page.
Approving closes the job, which the customer's tracking page then shows as completed, and books its
after-care (the callback task and the survey link, ``FieldWorkService.approve``); sending it back needs a
reason and returns the job to the technician on site.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from chalicelib import wiring
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import t
from chalicelib.services.desk import UnknownTicket
from chalicelib.settings import get_settings
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import OVERTIME_DECISION, REFUSALS, Refusal, guarded, refusal, refusals
from chalicelib.web.forms import InvalidFields, read_form, validate
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
APPROVERS = (StaffRole.SUPERVISOR, StaffRole.ADMIN)


class RejectForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


@blueprint.route("/staff/approvals", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *APPROVERS)
def approvals_page() -> Response:
    query: Mapping[str, str] = blueprint.current_request.query_params or {}
    done = query.get("done") if query.get("done") in ("approve", "reject", "overtime_approve",
                                                      "overtime_decline") else None
    return _page(done=done, number=query.get("number", ""))


@blueprint.route("/staff/approvals/{number}/{decision}", methods=["POST"],
                 content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
@staff_only(blueprint, *APPROVERS)
@answered_once(blueprint)
def decide(number: str, decision: str) -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    field_work = wiring.services().field_work
    actor = current_staff()
    form = read_form(request.raw_body)
    try:
        if decision == "approve":
            field_work.approve(number, actor=actor)  # and, through the outbox, the survey and the callback
        elif decision == "reject":
            reason = validate(RejectForm, form, lang).reason
            field_work.reject(number, actor=actor, reason=reason)
        else:
            return _missing(lang)
    except InvalidFields as error:
        return _page(errors={number: error.fields.get("reason", t(lang, "form.errors"))},
                     values={number: form.get("reason", "")}, status=400)
    except REFUSALS as error:
        return _refused(refusal(error, lang), lang)
    root = urlsplit(get_settings().public_base_url).path.rstrip("/")
    return Response(body="", status_code=303,
                    headers={"Location": f"{root}/staff/approvals?done={decision}&number={quote(number)}"})


@blueprint.route("/staff/approvals/{number}/overtime/{visit_id}", methods=["POST"],
                 content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
@staff_only(blueprint, *APPROVERS)
@answered_once(blueprint)
def decide_overtime(number: str, visit_id: str) -> Response:
    """A technician's visit on a holiday or outside working hours, approved or declined (000 §4.4.3)."""
    lang = language_of(blueprint.current_request)
    form = read_form(blueprint.current_request.raw_body)
    decision = form.get("decision")
    if decision not in ("approve", "decline"):
        return _missing(lang)
    try:
        wiring.services().field_work.decide_overtime(
            number, visit_id[:20], actor=current_staff(), approve=decision == "approve",
            note=str(form.get("note") or "").strip()[:500])
    except refusals(OVERTIME_DECISION) as error:
        return _refused(refusal(error, lang, OVERTIME_DECISION), lang)
    root = urlsplit(get_settings().public_base_url).path.rstrip("/")
    return Response(body="", status_code=303, headers={
        "Location": f"{root}/staff/approvals?done=overtime_{decision}&number={quote(number)}"})


# GET and POST are separate routes: the dev server refuses a GET on a route that names content types.
@blueprint.route("/staff/approvals/{number}/{decision}", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *APPROVERS)
def filed_form(number: str, decision: str) -> Response:
    """``form``: the filed form, by a link made now; any other address leads back to the approvals."""
    lang = language_of(blueprint.current_request)
    root = urlsplit(get_settings().public_base_url).path.rstrip("/")
    if decision != "form":
        return Response(body="", status_code=303, headers={"Location": f"{root}/staff/approvals"})
    try:
        url = wiring.services().field_work.form_url_of(number)
    except UnknownTicket:
        return _missing(lang)
    if url is None:
        return _missing(lang)
    return Response(body="", status_code=303, headers={"Location": url, "Cache-Control": "no-store"})


def _page(*, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None, done: str | None = None,
          number: str = "", status: int = 200) -> Response:
    decisions = wiring.services().field_work.decisions()
    return render(
        blueprint.current_request, "approvals.html", status=status, items=decisions.closures,
        refusals=decisions.refusals, overtime=decisions.overtime, errors=errors or {},
        values=values or {}, done=done, number=number,
        local_time=_local_time,
    )


def _refused(refused: Refusal, lang: str) -> Response:
    """No such job (or visit) is a page of its own; any other refusal is said above the lists."""
    if refused.status == 404:
        return _missing(lang)
    return _page(errors={"_form": refused.message}, status=refused.status)


def _missing(lang: str) -> Response:
    return render(blueprint.current_request, "message.html", status=404, heading=t(lang, "app.title"),
                  message=t(lang, "tech.error.not_found"))


def _local_time(at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")
