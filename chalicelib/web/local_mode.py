"""Pages that exist only in local mode, for a person trying the product:

- the outbox: every email and SMS the system sent, newest first, so you see what customers and staff
  would receive;
- the clock: move the app's time forward to watch deadlines warn and escalate without waiting hours;
- the jobs: run one scheduled function now (``python -m ops.smoke`` does, where on AWS it invokes the
  Lambda function).
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response
from chalice.app import CloudWatchEvent, EventSourceHandler

from chalicelib.adapters.clock import OffsetClock
from chalicelib.adapters.local_sent_messages import sent_messages
from chalicelib.i18n import t
from chalicelib.settings import get_settings
from chalicelib.web import jobs
from chalicelib.web.errors import guarded
from chalicelib.web.forms import query_of, read_form, read_json, typed_datetime
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
OUTBOX_PAGE = 50  # messages a page of the outbox shows, newest first


def _not_here() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    return render(request, "message.html", status=404, heading=t(lang, "error.not_found"),
                  message=t(lang, "error.local_only"))


@blueprint.route("/local/outbox", methods=["GET"])
@guarded(blueprint)
def outbox() -> Response:
    settings = get_settings()
    if not settings.local_mode or not settings.aws_endpoint_url:
        return _not_here()
    page_text = str(query_of(blueprint.current_request).get("page", "1"))
    page = int(page_text) if page_text.isdecimal() and 0 < int(page_text) < 100_000 else 1
    # One page more than shown says whether there are older ones.
    found = sent_messages(settings.aws_endpoint_url, limit=OUTBOX_PAGE + 1, skip=(page - 1) * OUTBOX_PAGE)
    return render(blueprint.current_request, "outbox.html", messages=found[:OUTBOX_PAGE], page=page,
                  older=len(found) > OUTBOX_PAGE)


@blueprint.route("/local/clock", methods=["GET"])
@guarded(blueprint)
def clock_page() -> Response:
    return _clock(advance=None)


@blueprint.route("/local/clock", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
def move_clock() -> Response:
    return _clock(advance=read_form(blueprint.current_request.raw_body))


def _clock(advance: dict[str, str] | None) -> Response:
    settings = get_settings()
    if not settings.local_mode or not settings.clock_file:
        return _not_here()
    local_clock = OffsetClock(settings.clock_file)
    zone = ZoneInfo(settings.timezone)
    error = None
    if advance is not None:
        if advance.get("reset"):
            local_clock.set_offset(timedelta(0))
        elif "to" in advance:
            error = _jump(local_clock, advance["to"], zone)
        else:
            hours = _hours(advance.get("advance_hours", "0"))
            if hours is None:
                error = "clock.bad_hours"
            else:
                local_clock.set_offset(local_clock.offset() + timedelta(hours=hours))
    now = local_clock.now().astimezone(zone)
    return render(blueprint.current_request, "clock.html", status=400 if error else 200,
                  now=now.strftime("%Y-%m-%d %H:%M"),
                  offset=local_clock.offset(), error=error, jump_to=(advance or {}).get("to", ""))


MAX_ADVANCE_HOURS = 24 * 366 * 10  # ten years: nan, inf or 1e308 would overflow the clock


def _hours(text: str) -> float | None:
    """Hours to move forward, or None for what no clock can move by."""
    try:
        hours = float(text or "0")
    except ValueError:
        return None
    return hours if math.isfinite(hours) and 0 <= hours <= MAX_ADVANCE_HOURS else None


def _jump(local_clock: OffsetClock, text: str, zone: ZoneInfo) -> str | None:
    """Moves the clock forward to a wall-clock moment in the service's zone (the next month's report,
    a callback due next week), typed as the other date fields take it (2026-12-31 09:30, 2026/12/31 9:30,
    2026年12月31日 9时30分); returns the message key of what was wrong, if anything."""
    try:
        target = datetime.strptime(typed_datetime(text), "%Y-%m-%dT%H:%M").replace(tzinfo=zone)
    except ValueError:
        return "clock.bad_moment"
    now = local_clock.now()
    if target <= now:
        return "clock.not_forward"
    local_clock.set_offset(local_clock.offset() + (target - now))
    return None


@blueprint.route("/local/jobs/{name}", methods=["POST"], content_types=["application/json"])
@guarded(blueprint)
def run_job(name: str) -> Response:
    """Runs one scheduled function now, in this process, with the event EventBridge would hand it; the
    body's ``dry_run`` goes into the event's detail (the monthly report's dry run)."""
    settings = get_settings()
    handler = getattr(jobs, name, None)
    if not settings.local_mode or not isinstance(handler, EventSourceHandler) or handler.event_class is not CloudWatchEvent:
        return _not_here()
    body = read_json(blueprint.current_request.raw_body)
    now = datetime.now(UTC)
    event = {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "local",
        "resources": [], "detail": {"dry_run": True} if body.get("dry_run") is True else {},
    }
    result = handler(event, blueprint.lambda_context)
    return Response(body={"job": name, "result": result}, status_code=200)
