"""The report as HTML, and as the email managers receive: HTML with its charts inline, CSV and XLSX
attached.

The email's structure (RFC 2387 ``multipart/related`` for inline images)::

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain                     a short summary, for clients without HTML
    │   └── multipart/related
    │       ├── text/html                  <img src="cid:kind.…"> …
    │       └── image/png × 4              Content-ID: <kind.…>, Content-Disposition: inline
    ├── text/csv                           attachment service-report-yyyy-mm.csv
    └── application/vnd…spreadsheetml…     attachment service-report-yyyy-mm.xlsx

The same bytes go out through SES (``SendRawEmail``) or SMTP. The subject is Chinese and goes out
RFC 2047 encoded (``email.policy.SMTP`` does it).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from functools import cache
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from chalicelib.domain.regions import PROVINCES
from chalicelib.domain.reports import COST_PARTS, MonthlyReport
from chalicelib.i18n import t
from chalicelib.reporting import charts, tables

CHARTS = ("kind", "priority", "deadlines", "costs")
# Above this the rows are not attached (SES takes 10 MB a message, base64 adds a third): a link instead.
MAX_ATTACHMENT_BYTES = 6 * 1024 * 1024


@cache
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]))


def chart_images(report: MonthlyReport) -> dict[str, bytes]:
    """The report's charts as PNG, by name (``CHARTS``); colours match ``render_html``'s legends.
    A section without data shows "no data" and has no chart (an email carries only images it shows)."""
    tallies = report.deadlines
    images = {
        "kind": charts.simple_bars(list(report.by_kind.values())),
        "priority": charts.simple_bars(list(report.by_priority.values())),
        "deadlines": charts.bar_chart([
            charts.Bar(((d.met, charts.MET), (d.met_late, charts.LATE), (d.missed, charts.MISSED)),
                       f"{d.met}-{d.met_late}-{d.missed}")
            for d in tallies
        ]),
        "costs": charts.simple_bars([float(getattr(report.costs, p)) for p in COST_PARTS],
                                    [str(int(getattr(report.costs, p))) for p in COST_PARTS]),
    }
    if not tallies:
        del images["deadlines"]
    if not report.costs.jobs:
        del images["costs"]
    return images


def render_html(
    report: MonthlyReport, lang: str, image: Callable[[str], str], *, other_language_link: str | None = None,
    footer: str | None = None,
) -> str:
    """The report's body. ``image(name)`` gives each chart's ``src`` (``cid:…`` or a ``data:`` URI)."""
    zone = ZoneInfo(report.timezone)
    start = report.month.start(report.timezone).astimezone(zone)
    end = (report.month.end(report.timezone) - timedelta(seconds=1)).astimezone(zone)

    def legend(counts: dict[str, int], prefix: str) -> list[tuple[str, int, str]]:
        return [(t(lang, f"{prefix}{key}"), value, charts.hex_colour(charts.colour_of(i)))
                for i, (key, value) in enumerate(counts.items())]

    return _env().get_template("report.html").render(
        t=lambda key, **values: t(lang, key, **values),
        report=report,
        image=image,
        period_start=start.strftime("%Y-%m-%d %H:%M"),
        period_end=end.strftime("%Y-%m-%d %H:%M"),
        computed=report.computed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        kind_legend=legend(report.by_kind, "kind."),
        priority_legend=[(t(lang, "priority.none" if k == "none" else f"priority.{k}"), v,
                          charts.hex_colour(charts.colour_of(i))) for i, (k, v) in enumerate(report.by_priority.items())],
        cost_legend=[(t(lang, f"report.cost.{p}"), _yuan(getattr(report.costs, p)),
                      charts.hex_colour(charts.colour_of(i))) for i, p in enumerate(COST_PARTS)],
        colours={"met": charts.hex_colour(charts.MET), "late": charts.hex_colour(charts.LATE),
                 "missed": charts.hex_colour(charts.MISSED)},
        province=lambda code: PROVINCES.get(code, (code, code))[0 if lang == "zh-CN" else 1],
        hours=lambda value: "-" if value is None else f"{value:.1f}",
        yuan=_yuan,
        other_language_link=other_language_link,
        footer=footer,
    )


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def rows_file_name(month: str, extension: str) -> str:
    """What the month's rows are called as an attachment and as a download."""
    return f"service-report-{month}.{extension}"


def attachment_name(report: MonthlyReport, extension: str) -> str:
    return rows_file_name(report.month.label, extension)


def build_email(
    report: MonthlyReport, lang: str, *, sender: str, recipients: list[str], report_link: str,
    other_language_link: str | None = None, max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
    rows: tuple[bytes, bytes] | None = None,
) -> EmailMessage:
    """The whole message, ready for SES ``SendRawEmail`` or SMTP ``send_message``. ``rows``: the CSV
    and XLSX of the report's rows in ``lang`` when already made (else made here)."""
    domain = sender.rpartition("@")[2] or None
    images = chart_images(report)
    cids = {name: make_msgid(idstring=f"chart-{name}", domain=domain) for name in images}
    csv_bytes, xlsx_bytes = rows or (tables.to_csv(report, lang), tables.to_xlsx(report, lang))
    attach = len(csv_bytes) + len(xlsx_bytes) <= max_attachment_bytes
    footer = t(lang, "report.attached") if attach else t(lang, "report.too_big", link=report_link)
    html = render_html(report, lang, lambda name: f"cid:{cids[name][1:-1]}",
                       other_language_link=other_language_link, footer=footer)

    message = EmailMessage(policy=SMTP)
    message["Subject"] = t(lang, "report.subject", month=report.month.label)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(report.computed_at.timestamp(), localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"report-{report.month.label}", domain=domain)
    message.set_content(_plain_text(report, lang, footer), cte="base64")
    message.add_alternative(html, subtype="html", cte="base64")
    html_part = cast(EmailMessage, message.get_payload()[1])  # type: ignore[index]  # add_alternative made it
    for name, png in images.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=cids[name], disposition="inline",
                              filename=f"{name}.png")
    if attach:
        message.add_attachment(csv_bytes, maintype="text", subtype="csv", filename=attachment_name(report, "csv"),
                               params={"charset": "utf-8"})
        message.add_attachment(xlsx_bytes, maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               filename=attachment_name(report, "xlsx"))
    return message


def _plain_text(report: MonthlyReport, lang: str, footer: str) -> str:
    lines = [
        t(lang, "report.title", month=report.month.label),
        "",
        f"{t(lang, 'report.tickets')}: {report.tickets}",
        f"{t(lang, 'report.met')}: {report.deadlines_met} · {t(lang, 'report.missed')}: {report.deadlines_missed}",
        f"{t(lang, 'report.person_times')}: {report.person_times} · {t(lang, 'report.days_on_site')}: "
        f"{report.days_on_site}",
        f"{t(lang, 'report.cost.total')}: {_yuan(report.costs.total)}",
        f"{t(lang, 'report.unpaid')}: {_yuan(report.money.unpaid)}",
        "",
        footer,
    ]
    return "\n".join(lines)


def _yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"
