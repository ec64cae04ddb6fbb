"""The report's rows as CSV and XLSX: one row per ticket with its key figures, headed in the reader's
language. The CSV is UTF-8 with a byte-order mark so that Excel opens Chinese text correctly.

Text cells carry what customers typed (names, models), so none may become a formula when a manager
opens the file: in the CSV a text that a spreadsheet would read as a formula is prefixed with ``'``,
and in the XLSX every text is written as a string cell, never as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.regions import province_name
from chalicelib.domain.reports import MonthlyReport, RuleTally, TicketRow
from chalicelib.i18n import t

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cost(part: str) -> Callable[[TicketRow], Any]:
    return lambda row: row.costs[part] if row.costs else None


# (column key, value of a row); the header is t(lang, "report.col.<key>").
COLUMNS: tuple[tuple[str, Callable[[TicketRow], Any]], ...] = (
    ("number", lambda r: r.number),
    ("created", lambda r: r.created_at),
    ("kind", lambda r: r.kind),
    ("priority", lambda r: r.priority),
    ("status", lambda r: r.status),
    ("province", lambda r: r.province),
    ("model", lambda r: r.model),
    ("customer", lambda r: r.customer),
    ("hours_to_contact", lambda r: r.hours_to_contact),
    ("hours_to_dispatch", lambda r: r.hours_to_dispatch),
    ("hours_to_arrival", lambda r: r.hours_to_arrival),
    ("hours_to_resolution", lambda r: r.hours_to_resolution),
    ("deadlines_met", lambda r: r.deadlines_met),
    ("deadlines_met_late", lambda r: r.deadlines_met_late),
    ("deadlines_missed", lambda r: r.deadlines_missed),
    ("person_times", lambda r: r.person_times),
    ("days_on_site", lambda r: r.days_on_site),
    ("person_days", lambda r: r.person_days),
    ("overtime_visits", lambda r: r.overtime_visits),
    ("overtime_hours", lambda r: r.overtime_hours),
    ("materials", _cost("materials")),
    ("labour", _cost("labour")),
    ("travel", _cost("travel")),
    ("transport", _cost("transport")),
    ("cost_total", _cost("total")),
    ("revenue", lambda r: r.revenue),
    ("unpaid", lambda r: r.unpaid),
    ("satisfaction", lambda r: r.satisfaction),
    ("complaint_cause", lambda r: r.complaint_cause),
    ("capa_status", lambda r: r.capa_status),
    ("callbacks", lambda r: r.callbacks),
)


# What Excel, LibreOffice and Google Sheets start a formula (or a DDE call) with.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """``value`` for a CSV cell: a text that would start a formula gets a leading ``'``, which
    spreadsheets show as plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_cells(sheet: Any, values: list[Any]) -> list[Any]:
    """``values`` for a write-only XLSX row: each text a string cell (openpyxl would otherwise store
    a text starting with ``=`` as a formula, and ``#N/A`` and the like as errors)."""
    from openpyxl.cell import WriteOnlyCell  # loaded only when a spreadsheet is made: it slows every cold start

    cells: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(float(value) if isinstance(value, Decimal) else value)
    return cells


def headers(lang: str) -> list[str]:
    return [t(lang, f"report.col.{key}") for key, _ in COLUMNS]


# Columns that hold a code: a manager reads the word for it in the file's language, never the code.
_WORDS: dict[str, Callable[[str, str], str]] = {
    "kind": lambda lang, code: t(lang, f"kind.{code}"),
    "priority": lambda lang, code: t(lang, f"priority.{code}"),
    "status": lambda lang, code: t(lang, f"status.{code}"),
    "province": lambda lang, code: province_name(code, lang),
    "complaint_cause": lambda lang, code: t(lang, f"complaints.cause.{code}"),
    "capa_status": lambda lang, code: t(lang, f"complaints.capa.status.{code}"),
}


def _cells(report: MonthlyReport, row: TicketRow, lang: str) -> list[Any]:
    zone = ZoneInfo(report.timezone)
    cells = []
    for key, value_of in COLUMNS:
        value = value_of(row)
        if key == "created":
            value = value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        elif key in _WORDS and value is not None:
            value = _WORDS[key](lang, str(value))
        cells.append(value)
    return cells


def to_csv(report: MonthlyReport, lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers(lang))
    for row in report.rows:
        writer.writerow(["" if v is None else csv_text(v) for v in _cells(report, row, lang)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: MonthlyReport, lang: str) -> bytes:
    from openpyxl import Workbook  # as in xlsx_cells

    book = Workbook(write_only=True)
    summary = book.create_sheet(t(lang, "report.sheet.summary"))
    summary.append(xlsx_cells(summary, [t(lang, "report.title", month=report.month.label)]))
    for label, value in _summary(report, lang):
        summary.append(xlsx_cells(summary, [label, value]))
    # The breakdowns the email shows, each under its heading after a blank row.
    for heading, table in _breakdowns(report, lang):
        summary.append([])
        summary.append(xlsx_cells(summary, [heading]))
        for line in table:
            summary.append(xlsx_cells(summary, line))
    rows = book.create_sheet(t(lang, "report.sheet.rows"))
    rows.append(xlsx_cells(rows, headers(lang)))
    for row in report.rows:
        rows.append(xlsx_cells(rows, _cells(report, row, lang)))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _breakdowns(report: MonthlyReport, lang: str) -> list[tuple[str, list[list[Any]]]]:
    """By kind, priority and rule (met, late, missed, running, share met), and the survey's answers."""

    def share(tally: RuleTally) -> float | None:
        return None if tally.met_share is None else round(tally.met_share * 100, 1)

    tables: list[tuple[str, list[list[Any]]]] = [
        (t(lang, "report.by_kind"), [[t(lang, f"kind.{k}"), n] for k, n in report.by_kind.items()]),
        (t(lang, "report.by_priority"),
         [[t(lang, "priority.none" if k == "none" else f"priority.{k}"), n] for k, n in report.by_priority.items()]),
        (t(lang, "report.section.deadlines"), [
            [t(lang, key) for key in ("report.rule", "report.met", "report.met_late", "report.missed",
                                      "report.pending", "report.met_share")],
            *([t(lang, f"milestone.{d.milestone.value}"), d.met, d.met_late, d.missed, d.pending, share(d)]
              for d in report.deadlines),
        ]),
    ]
    answers = report.satisfaction
    tables.append((t(lang, "report.section.satisfaction"), [
        [t(lang, "report.answers"), answers.answers],
        *([t(lang, f"report.score.{name}"), mean] for name, mean in answers.averages.items()),
    ] if answers else [[t(lang, "report.no_data")]]))
    return tables


def _summary(report: MonthlyReport, lang: str) -> list[tuple[str, Any]]:
    costs = report.costs
    return [
        (t(lang, "report.tickets"), report.tickets),
        (t(lang, "report.met"), report.deadlines_met),
        (t(lang, "report.missed"), report.deadlines_missed),
        (t(lang, "report.dispatches"), report.dispatches),
        (t(lang, "report.person_times"), report.person_times),
        (t(lang, "report.days_on_site"), report.days_on_site),
        (t(lang, "report.overtime_visits"), report.overtime_visits),
        (t(lang, "report.cost.total"), float(costs.total)),
        (t(lang, "report.revenue"), float(report.money.revenue)),
        (t(lang, "report.unpaid"), float(report.money.unpaid)),
        (t(lang, "report.complaints"), report.complaints.count),
    ]
