"""The monthly report in the app: any month as a page, and its rows as CSV or Excel (001 §5.4).

Managers, the chief engineer, quality and supervisors read it; technicians and customers do not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import t
from chalicelib.settings import get_settings
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import guarded
from chalicelib.web.forms import query_of
from chalicelib.web.rendering import language_of, render

# The report's model and its charts and mail load with the first report asked for, not at a cold start.
if TYPE_CHECKING:
    from chalicelib.domain.reports import ReportMonth

blueprint = Blueprint(__name__)

REPORT_READERS = (
    StaffRole.GENERAL_MANAGER, StaffRole.CHIEF_ENGINEER, StaffRole.QUALITY, StaffRole.SUPERVISOR, StaffRole.ADMIN,
)
FORMATS = ("csv", "xlsx")


def _month(text: str | None) -> ReportMonth | None:
    from chalicelib.domain.reports import BadMonth, ReportMonth

    service = wiring.reports()
    if not text:
        return service.month_due()
    try:
        return ReportMonth.parse(text)
    except (BadMonth, ValueError):
        return None


def _bad_month() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    return render(request, "message.html", status=400, heading=t(lang, "report.page"),
                  message=t(lang, "report.bad_month"))


@blueprint.route("/staff/reports", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *REPORT_READERS)
def report_page() -> Response:
    """The month's stored report; a month never built is built now (in parts, on the queue), and the
    page refreshes itself until it is there."""
    request = blueprint.current_request
    lang = language_of(request)
    month = _month(query_of(request).get("month"))
    if month is None:
        return _bad_month()
    report, building = wiring.reports().show(month)
    body = None
    if report is not None:
        from chalicelib.reporting import mail

        images = mail.chart_images(report)
        body = mail.render_html(report, lang, lambda name: mail.data_uri(images[name]))
    return render(request, "reports.html", report=report, month=month.label, report_body=body, building=building)


@blueprint.route("/staff/report-builds/{month}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
@staff_only(blueprint, *REPORT_READERS)
def report_rebuild(month: str) -> Response:
    """Builds the month again as of now (a month still running, or one whose tickets changed since)."""
    request = blueprint.current_request
    parsed = _month(month)
    if parsed is None:
        return _bad_month()
    wiring.reports().rebuild(parsed, actor=current_staff())
    location = f"{_root()}/staff/reports?{urlencode({'month': parsed.label, 'lang': language_of(request)})}"
    return Response(body="", status_code=303, headers={"Location": location, "Cache-Control": "no-store"})


@blueprint.route("/staff/reports/{month}/{extension}", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *REPORT_READERS)
def report_download(month: str, extension: str) -> Response:
    request = blueprint.current_request
    parsed = _month(month)
    if parsed is None or extension not in FORMATS:
        return _bad_month()
    url = wiring.reports().download(parsed, language_of(request), extension)
    if url is None:
        lang = language_of(request)
        return render(request, "message.html", status=404, heading=t(lang, "report.page"),
                      message=t(lang, "report.not_built"))
    return Response(body="", status_code=303, headers={"Location": url, "Cache-Control": "no-store"})


def _root() -> str:
    return urlsplit(get_settings().public_base_url).path.rstrip("/")
