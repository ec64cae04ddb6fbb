"""Pages that exist only in local mode, for a person trying the product:

- the outbox: every email and SMS the system sent, newest first, so you see what customers and staff
  would receive;
- the clock: move the app's time forward to watch deadlines warn and escalate without waiting hours.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from chalice import Blueprint, Response

from chalicelib.adapters.clock import OffsetClock
from chalicelib.adapters.local_sent_messages import sent_messages
from chalicelib.i18n import t
from chalicelib.settings import get_settings
from chalicelib.web.errors import guarded
from chalicelib.web.forms import read_form
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)


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
    return render(blueprint.current_request, "outbox.html", messages=sent_messages(settings.aws_endpoint_url))


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
    if advance is not None:
        try:
            hours = float(advance.get("advance_hours", "0"))
        except ValueError:
            hours = 0.0
        offset = timedelta(0) if advance.get("reset") else local_clock.offset() + timedelta(hours=max(hours, 0))
        local_clock.set_offset(offset)
    now = local_clock.now().astimezone(ZoneInfo(settings.timezone))
    return render(blueprint.current_request, "clock.html", now=now.strftime("%Y-%m-%d %H:%M"),
                  offset=local_clock.offset())
