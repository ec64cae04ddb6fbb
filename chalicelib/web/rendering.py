"""HTML pages: Jinja2 templates with autoescaping, in the visitor's language.

The language comes from ``?lang=`` (the switch link), then the ``lang`` cookie, then Chinese.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger
from chalice import Response
from chalice.app import Request
from markupsafe import Markup

from chalicelib.domain.regions import PROVINCES
from chalicelib.domain.sla import Deadline
from chalicelib.domain.ticket import TicketEvent
from chalicelib.i18n import deadlines, events, normalize_language, t
from chalicelib.settings import get_settings
from chalicelib.web.forms import IDEMPOTENCY_FIELD, query_of

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

logger = Logger(child=True)
TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _file_origins() -> tuple[str, str]:
    """Where browsers upload files, and where they fetch them from (a CloudFront distribution on AWS)."""
    from chalicelib import wiring

    try:
        return wiring.file_origin(), wiring.download_origin()
    except Exception:  # a page without uploads is better than no page
        logger.exception("could not tell where browsers upload files")
        return "", ""


def content_security_policy() -> str:
    """Scripts and styles only from our own files (no inline script, no inline handler, no eval).
    Browsers send photos and forms straight to storage (connect-src) and show them from there or from
    the files' distribution (img-src); a signature drawn on the pad is a data: URL. Forms post to the
    app itself, whose answer may send the browser on to the public address (form-action governs that
    redirect too)."""
    files, downloads = _file_origins()
    public = _origin(get_settings().public_base_url)
    sources = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", files, downloads],
        "connect-src": ["'self'", files],
        "form-action": ["'self'", public],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
    return "; ".join(" ".join([name, *dict.fromkeys(s for s in values if s)]) for name, values in sources.items())


def security_headers() -> dict[str, str]:
    return {**SECURITY_HEADERS, "Content-Security-Policy": content_security_policy()}


@cache
def _env() -> Environment:
    # Jinja2 loads with the first page rendered: a cold start serving JSON or a scheduled job skips it.
    from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["tojson_attr"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.globals["form_key"] = form_key
    env.globals["input_type"] = pass_context(input_type)  # templates call it with their context first
    env.globals["staff_name"] = staff_name
    env.filters["staff_name"] = staff_name
    return env


# A browser draws its date inputs in its own locale (mm/dd/yyyy on an English browser, even on a Chinese
# page), so dates are typed as year-month-day in a text field; ``forms.validate`` reads the usual ways of
# writing one (2026/12/8, 2026年12月8日, 20261208, full-width digits).
_TYPED_AS_TEXT = {"date": "date.placeholder", "datetime-local": "datetime.placeholder"}


def input_type(context: Context, kind: str) -> Markup:
    """An ``<input>``'s type attribute, a date's being a text field that shows the format it takes."""
    placeholder = _TYPED_AS_TEXT.get(kind)
    if placeholder is None:
        return Markup('type="{}"').format(kind)
    # Digits alone are a date (20261208): a phone's number pad has no dash.
    mode = "numeric" if kind == "date" else "text"
    return Markup('type="text" inputmode="{}" autocomplete="off" placeholder="{}" data-kind="{}"').format(
        mode, context["t"](placeholder), kind)


def form_key() -> Markup:
    """A form's hidden idempotency key, new at each rendering (``web/once.py`` answers it once)."""
    return Markup(f'<input type="hidden" name="{IDEMPOTENCY_FIELD}" value="{uuid.uuid4().hex}">')


def language_of(request: Request | None, default: str | None = None) -> str:
    """``default``: the language to use when the visitor has chosen none (e.g. the one a customer
    reported in, for the link in their messages)."""
    if request is None:
        return normalize_language(default)
    query = query_of(request)
    if query.get("lang"):
        return normalize_language(query["lang"])
    for part in (request.headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "lang":
            return normalize_language(value)
    return normalize_language(default)


def local_time(at: datetime | None) -> str:
    """Times are stored in UTC and shown in the service's time zone (Asia/Shanghai by default)."""
    if at is None:
        return "-"
    return at.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


def why(lang: str, deadline: Deadline, now: datetime) -> list[str]:
    """Why the deadline is where it is, in ``lang``, with times in the service's zone like ``local_time``;
    ``now``: when the schedule was computed."""
    return deadlines.explain(lang, deadline, timezone=get_settings().timezone, now=now)


def staff_name(login: str) -> str:
    """What pages call a staff member (王工): their name from the staff directory, else their login."""
    from chalicelib import wiring

    return wiring.services().staff_names.name(login) if login else login


def describe_event(lang: str, event: TicketEvent, *, customer: bool = False) -> events.EventLine:
    """A timeline line in ``lang``, with times in the service's zone like ``local_time``; ``customer``: in
    the words of the customer's tracking page (which names no staff member)."""
    return events.describe(lang, event, timezone=get_settings().timezone, customer=customer,
                           **({} if customer else {"names": staff_name}))


def calendar_banner(lang: str) -> str | None:
    """On staff pages: which coming years' deadlines rest on assumed working days, if any."""
    from chalicelib import wiring

    try:
        gaps = wiring.calendar_gaps()
    except Exception:  # a warning about data must never take the page down with it
        logger.exception("could not check the holiday calendars")
        return None
    if not gaps:
        return None
    years = [t(lang, f"calendar.gap.{basis.value}", year=year) for year, basis in gaps.items()]
    return t(lang, "calendar.gap.banner", years="; ".join(years))


def _resource_path(request: Request | None) -> str:
    # The route's own path, without the API Gateway stage in front of it.
    return str(((request.context or {}) if request is not None else {}).get("resourcePath", ""))


def _is_staff_page(request: Request | None) -> bool:
    return _resource_path(request).startswith("/staff")


def render(
    request: Request | None, template: str, *, status: int = 200, default_language: str | None = None, **context: Any
) -> Response:
    lang = language_of(request, default_language)
    if _is_staff_page(request):
        context.setdefault("calendar_banner", calendar_banner(lang))
        # Every staff page leads back to the staff home (which lists the pages a role may open).
        context.setdefault("staff_home_link", _resource_path(request) not in ("/staff", "/staff/sign-in"))
    other = "en" if lang == "zh-CN" else "zh-CN"
    query = {k: v for k, v in query_of(request).items() if k != "lang"} if request else {}
    html = _env().get_template(template).render(
        lang=lang,
        t=lambda key, **values: t(lang, key, **values),
        provinces=sorted(PROVINCES.items(), key=lambda item: item[0]),
        switch_url=f"?{urlencode({**query, 'lang': other})}",
        root=urlsplit(get_settings().public_base_url).path.rstrip("/"),
        deadline_target=lambda deadline: deadlines.target_text(lang, deadline),
        deadline_why=lambda deadline, now: why(lang, deadline, now),
        describe_event=lambda event, customer=False: describe_event(lang, event, customer=customer),
        **{"local_time": local_time, **context},
    )
    headers: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8", **security_headers()}
    if request is not None and query_of(request).get("lang"):
        headers["Set-Cookie"] = f"lang={lang}; Path=/; Max-Age=31536000; SameSite=Lax"
    return Response(body=html, status_code=status, headers=headers)
