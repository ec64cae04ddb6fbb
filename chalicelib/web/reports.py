"""The monthly report in the app: any month as a page, and its rows as CSV or Excel (001 §5.4).

Managers, the chief engineer, quality and supervisors read it; technicians and customers do not.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.reports import BadMonth, ReportMonth
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import t
from chalicelib.reporting import mail
from chalicelib.web.auth import staff_only
from chalicelib.web.errors import guarded
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)

REPORT_READERS = (
    StaffRole.GENERAL_MANAGER, StaffRole.CHIEF_ENGINEER, StaffRole.QUALITY, StaffRole.SUPERVISOR, StaffRole.ADMIN,
)
FORMATS = ("csv", "xlsx")


def _month(text: str | None) -> ReportMonth | None:
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
    request = blueprint.current_request
    lang = language_of(request)
    month = _month((request.query_params or {}).get("month"))
    if month is None:
        return _bad_month()
    report = wiring.reports().build(month)
    images = mail.chart_images(report)
    body = mail.render_html(report, lang, lambda name: mail.data_uri(images[name]))
    return render(request, "reports.html", report=report, month=month.label, report_body=body)


@blueprint.route("/staff/reports/{month}/{extension}", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *REPORT_READERS)
def report_download(month: str, extension: str) -> Response:
    request = blueprint.current_request
    parsed = _month(month)
    if parsed is None or extension not in FORMATS:
        return _bad_month()
    url = wiring.reports().download(parsed, language_of(request), extension)
    return Response(body="", status_code=303, headers={"Location": url, "Cache-Control": "no-store"})
