"""The desk's after-care pages: callbacks due 5–7 days after a repair or a delivery (003 §2, §5) and the
maintenance visits coming up, with the form that gives a product its schedule (003 §4.1).

Roles: desk, supervisor and admin (``AFTERCARE_ROLES``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.aftercare import CallbackInput, MaintenanceInput, Problem
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import t
from chalicelib.services.aftercare import UnknownCallback, UnknownProduct
from chalicelib.settings import get_settings
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import REFUSALS, guarded, refusal
from chalicelib.web.forms import InvalidFields, query_of, read_form, validate
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
AFTERCARE_ROLES = (StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.ADMIN)
UPCOMING_DAYS = 30


def _root() -> str:
    return urlsplit(get_settings().public_base_url).path.rstrip("/")


# -- callbacks ------------------------------------------------------------------------------------

@blueprint.route("/staff/callbacks", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *AFTERCARE_ROLES)
def callbacks_page() -> Response:
    query = query_of(blueprint.current_request)
    done = query.get("done") if query.get("done") in ("satisfied", "problem", "unreachable") else None
    return _callbacks(done=done, follow_up=query.get("follow_up", "")[:40], pending=query.get("pending") == "1")


@blueprint.route("/staff/callbacks", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
@staff_only(blueprint, *AFTERCARE_ROLES)
@answered_once(blueprint)
def record_callback() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body)
    task = str(form.get("task", ""))[:200]
    try:
        data = validate(CallbackInput, form, lang)
        result = wiring.services().aftercare.record_callback(task, data, actor=current_staff())
    except InvalidFields as invalid:
        return _callbacks(errors={task: invalid.fields}, values={task: form}, status=400)
    except (UnknownCallback, UnknownProduct):  # done by someone else meanwhile, or its product is gone
        return _callbacks(errors={"_form": {"_form": t(lang, "aftercare.error.no_task")}}, status=404)
    except REFUSALS as error:
        refused = refusal(error, lang)
        # A refusal about no field of the form (the job changed meanwhile) is said above the list.
        errors = {task: refused.fields} if refused.fields else {"_form": {"_form": refused.message}}
        return _callbacks(errors=errors, values={task: form}, status=refused.status)
    query = {"done": result.outcome, "follow_up": result.follow_up or "", "lang": lang,
             **({"pending": "1"} if result.follow_up_pending else {})}
    return Response(body="", status_code=303, headers={"Location": f"{_root()}/staff/callbacks?{urlencode(query)}"})


def _callbacks(*, errors: dict[str, dict[str, str]] | None = None, values: dict[str, dict[str, Any]] | None = None,
               done: str | None = None, follow_up: str = "", pending: bool = False, status: int = 200) -> Response:
    aftercare = wiring.services().aftercare
    return render(blueprint.current_request, "callbacks.html", status=status, tasks=aftercare.due_callbacks(),
                  today=aftercare.today(), problems=[p.value for p in Problem], errors=errors or {},
                  values=values or {}, done=done, follow_up=follow_up, pending=pending)


# -- maintenance ----------------------------------------------------------------------------------

@blueprint.route("/staff/maintenance", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *AFTERCARE_ROLES)
def maintenance_page() -> Response:
    query = query_of(blueprint.current_request)
    return _maintenance(done=query.get("done") == "1", serial=query.get("serial", "")[:64])


@blueprint.route("/staff/maintenance", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
@staff_only(blueprint, *AFTERCARE_ROLES)
@answered_once(blueprint)
def set_schedule() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body)
    try:
        data = validate(MaintenanceInput, form, lang)
        schedule = wiring.services().aftercare.set_schedule(data, actor=current_staff())
    except InvalidFields as invalid:
        return _maintenance(errors=invalid.fields, values=form, status=400)
    except REFUSALS as error:
        refused = refusal(error, lang)
        return _maintenance(errors=refused.fields, values=form, status=refused.status)
    query = urlencode({"done": "1", "serial": schedule.serial_number, "lang": lang})
    return Response(body="", status_code=303, headers={"Location": f"{_root()}/staff/maintenance?{query}"})


def _maintenance(*, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None, done: bool = False,
                 serial: str = "", status: int = 200) -> Response:
    aftercare = wiring.services().aftercare
    return render(blueprint.current_request, "maintenance.html", status=status,
                  visits=aftercare.upcoming_visits(UPCOMING_DAYS), days=UPCOMING_DAYS, errors=errors or {},
                  values=values or {}, done=done, serial=serial,
                  schedule=aftercare.schedule_of(serial) if serial else None)
