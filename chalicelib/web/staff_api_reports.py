"""The staff API of the monthly report (001 §5.4, 000 §4.6): the months, one month's figures (built on
first asking, in parts, as on the page), building it again, and short-lived links to its rows as CSV
or Excel.

The roles are the report page's (``REPORT_READERS``); building and storing are ``ReportService``'s.
"""

from __future__ import annotations

from datetime import datetime

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.domain.reports import BadMonth, MonthlyReport, ReportMonth
from chalicelib.i18n import t
from chalicelib.web.auth import current_staff
from chalicelib.web.forms import InvalidFields
from chalicelib.web.reports import FORMATS, REPORT_READERS
from chalicelib.web.staff_api_kit import PAGE_QUERY, language, operation, page, problem

blueprint = Blueprint(__name__)
MONTHS_LISTED = 120  # ten years back from the month due
MONTHS_A_PAGE = 12
MONTH_SCHEMA = {"pattern": "^[0-9]{4}-[0-9]{2}$", "maxLength": 7}


class MonthRow(BaseModel):
    month: str = Field(examples=["2026-11"])
    files: dict[str, str | None] = Field(
        description="csv and xlsx: a short-lived download link in the requested language; null: not built"
    )


class MonthPage(BaseModel):
    items: list[MonthRow]
    cursor: str | None


class MonthReport(BaseModel):
    month: str
    state: str = Field(description="ready, or building (ask again shortly; a ready report may be rebuilding)")
    building_since: datetime | None
    report: MonthlyReport | None


class Download(BaseModel):
    month: str
    format: str
    url: str = Field(description="Valid for minutes; fetch it, do not store it")


def _month(text: str) -> ReportMonth:
    try:
        return ReportMonth.parse(text[:20])
    except (BadMonth, ValueError):
        raise InvalidFields({"month": t(language(blueprint), "report.bad_month")}) from None


def _index(month: ReportMonth) -> int:
    return month.year * 12 + month.month - 1


@operation(
    blueprint,
    "GET",
    "/reports",
    "The months, the one due first, each with its download links",
    roles=REPORT_READERS,
    response=MonthPage,
    query=PAGE_QUERY,
)
def months() -> MonthPage:
    reports, lang = wiring.reports(), language(blueprint)
    listed = [reports.month_due()]
    while len(listed) < MONTHS_LISTED:
        listed.append(listed[-1].previous())
    shown, cursor = page(blueprint, listed, lambda m: (-_index(m),), MONTHS_A_PAGE)
    return MonthPage(
        items=[MonthRow(month=m.label, files={ext: reports.download(m, lang, ext) for ext in FORMATS}) for m in shown],
        cursor=cursor,
    )


def _shown(month: ReportMonth, report: MonthlyReport | None, building: object) -> MonthReport:
    since = getattr(building, "started_at", None)
    return MonthReport(
        month=month.label,
        state="ready" if report is not None and since is None else "building",
        building_since=since,
        report=report,
    )


@operation(
    blueprint,
    "GET",
    "/reports/{month}",
    "A month's report (a month never built is built now: ask again while it says building)",
    roles=REPORT_READERS,
    response=MonthReport,
    parameter_schemas={"month": MONTH_SCHEMA},
)
def month_report(month: str) -> MonthReport:
    parsed = _month(month)
    report, building = wiring.reports().show(parsed)
    return _shown(parsed, report, building)


@operation(
    blueprint,
    "POST",
    "/reports/{month}/builds",
    "Build the month again as of now",
    roles=REPORT_READERS,
    response=MonthReport,
    status=202,
    parameter_schemas={"month": MONTH_SCHEMA},
)
def rebuild(month: str) -> MonthReport:
    parsed = _month(month)
    reports = wiring.reports()
    reports.rebuild(parsed, actor=current_staff())
    return _shown(parsed, reports.stored(parsed), reports.running(parsed))


@operation(
    blueprint,
    "GET",
    "/reports/{month}/files/{extension}",
    "A short-lived link to the month's rows as csv or xlsx, in the requested language",
    roles=REPORT_READERS,
    response=Download,
    parameter_schemas={"month": MONTH_SCHEMA, "extension": {"enum": list(FORMATS)}},
)
def download(month: str, extension: str) -> Download:
    parsed, lang = _month(month), language(blueprint)
    if extension not in FORMATS:
        raise InvalidFields({"extension": ", ".join(FORMATS)})
    url = wiring.reports().download(parsed, lang, extension)
    if url is None:
        raise problem(404, "report_not_built", lang, "report.not_built")
    return Download(month=parsed.label, format=extension, url=url)
