"""A month's after-care shows in that month's report (SPEC "After closure" and "Reports", 001 §5.4, 000 §4.6).

On the running local stack, with its clock moved to a month no other test uses: a job is approved and the
customer answers the survey on the phone; six days later the desk's callback finds the customer unhappy
and opens a complaint, whose cause quality classifies; when the clock passes 01:00 on the 1st (Shanghai)
the scheduler emails that month's report, and it lands in the local outbox with its charts inline, the
CSV and XLSX attached, and the survey, the callback and the complaint counted. A manager sees the same on
the report page.
"""

from __future__ import annotations

import csv
import email
import io
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page

from chalicelib.adapters.clock import OffsetClock
from chalicelib.adapters.local_sent_messages import sent_messages
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.reports import ReportMonth
from chalicelib.domain.ticket import Action
from chalicelib.i18n import t
from tests.e2e.stack import LocalStack
from tests.e2e.test_aftercare_flow import signed_in
from tests.e2e.test_escalation_clock import open_ticket, wait_for

pytestmark = pytest.mark.e2e
LANG = "zh-CN"  # the report's language (ReportConfig.language)
SURVEY = {"overall": 4, "timeliness": 5, "attitude": 5, "quality": 3}
REPORT_SECONDS = 300  # a safety net: the wait ends as soon as both copies are sent


class StackClock:
    """The shared stack's clock (``CLOCK_FILE``, read by the app, the scheduler and ``desk``), moved to given
    moments; the fixture puts it back, so the session's other tests run on the time they expect."""

    def __init__(self, stack: LocalStack) -> None:
        self.file = OffsetClock(str(stack.state_dir / "clock.json"))

    def now(self) -> datetime:
        return self.file.now()

    def move_to(self, moment: datetime) -> None:
        self.file.set_offset(moment - datetime.now(UTC))


@pytest.fixture
def stack_clock(local_stack: LocalStack) -> Iterator[StackClock]:
    clock = StackClock(local_stack)
    before = clock.file.offset()
    yield clock
    clock.file.set_offset(before)


@pytest.fixture
def staff(browser, local_stack: LocalStack) -> Iterator[Callable[[str], Page]]:
    """Signs a demo user in on a phone-sized page of its own; the pages are closed afterwards."""
    pages: list[Page] = []

    def sign_in(username: str) -> Page:
        page = signed_in(browser, local_stack, username)
        pages.append(page)
        return page

    yield sign_in
    for page in pages:
        page.context.close()


def test_a_months_survey_callback_and_complaint_are_in_its_emailed_report(
    local_stack: LocalStack,
    desk,
    stack_clock: StackClock,
    staff,
    browser,
    phone_page,
) -> None:
    # A month of its own, two months on: no other test's tickets are in it, and moving into it sends the
    # report of the (empty) month before, never of the current one test_monthly_report sends.
    month = ReportMonth.of(stack_clock.now()).next().next()
    closed_at = month.start() + timedelta(days=2, hours=10)  # 10:00 on the 3rd, Shanghai
    stack_clock.move_to(closed_at)

    # 1. The job is done (the technician's steps, driven in the browser by test_technician_phone, taken here
    # through the desk's use case) and the supervisor approves it on the phone: the customer gets the survey
    # link by SMS and answers it on the phone.
    job = open_ticket(local_stack, "月报回访测试公司")
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE):
        desk.move(job, action, actor=SystemActor("supervisor"), summary=action.value)
    supervisor = staff("supervisor")
    supervisor.goto(local_stack.app_url + "/staff/approvals")
    supervisor.click(f"#approval-{job} button.approve")
    supervisor.wait_for_selector("#done")

    [(_, _, sms)] = wait_for(
        local_stack, lambda m: m[0] == "sms" and job in m[2] and "打分" in m[2], "the survey link to the customer"
    )
    [link] = re.findall(r"http\S+/l/\w+", sms)
    phone_page.goto(link)
    for name, score in SURVEY.items():
        phone_page.check(f"input[name={name}][value='{score}']")
    phone_page.click("#survey-submit")
    phone_page.wait_for_selector("#survey-thanks")

    # 2. Six days later (the 5-7 day window, 003 §2, §5) the desk calls back: unhappy, a complaint.
    stack_clock.move_to(closed_at + timedelta(days=6))
    desk_page = staff("desk")
    desk_page.goto(local_stack.app_url + "/staff/callbacks")
    task = desk_page.locator(f"section.callback[data-number='{job}']")
    task.locator("input[name=reached][value=yes]").check()
    task.locator("input[name=satisfied][value=no]").check()
    task.locator("select[name=problem]").select_option("complaint")
    task.locator("textarea[name=notes]").fill("设备运行一周后再次跳闸，客户不满意")
    task.locator("button.record-callback").click()
    desk_page.wait_for_selector("#done")
    [complaint] = parse_qs(urlsplit(desk_page.url).query)["follow_up"]
    assert complaint in desk_page.inner_text("#done")

    # 3. The desk records the complained-of goods; quality finds the cause: the product's quality.
    desk_page.goto(f"{local_stack.app_url}/staff/complaints/{complaint}")
    for field, value in {
        "order_number": "PO-2026-88",
        "part_number": "KYN28-12-CB",
        "ship_date": "2026-01-15",
        "quantity": "2",
        "defective_quantity": "1",
        "customer_request": "更换断路器",
    }.items():
        desk_page.fill(f"#r-{field}", value)
    desk_page.click("#record-form button[type=submit]")
    desk_page.wait_for_url(re.compile(r"\?done=record"))
    quality = staff("quality")
    quality.goto(f"{local_stack.app_url}/staff/complaints/{complaint}")
    quality.select_option("#cause-select", "quality")
    quality.fill("#department", "生产部")
    quality.click("#analyse-form button")
    quality.wait_for_selector("#done")
    assert t(LANG, "complaints.cause.quality") in quality.inner_text("#cause")

    # 4. 01:30 on the 1st of the next month in Shanghai: past the report's schedule (17:00 UTC on the last day).
    stack_clock.move_to(month.end() + timedelta(minutes=90))

    # 5. The nightly job starts the report (run now rather than at the scheduler's next tick), the
    # parts are built off their queue, and the report is emailed to the managers; the outbox shows it.
    local_stack.run_now("monthly_report")
    outbox = browser.new_page()
    try:
        emails = wait_for_report_emails(outbox, local_stack, month)
        # One copy per manager. moto lists the envelope recipient first, then the header's To (both managers).
        assert sorted(to.split(", ")[0] for to, _ in emails) == ["gm@service-desk.local", "quality@service-desk.local"]
        report = email.message_from_string(emails[0][1], policy=default)
        assert isinstance(report, EmailMessage)
        html = report_html_with_inline_charts(report)
        rows = attached_rows(report, month)
        outbox.set_content(html)
        assert_after_care_counted(outbox)
    finally:
        outbox.close()

    assert set(rows) == {job, complaint}, "the month's tickets, and only they"
    job_row, complaint_row = rows[job], rows[complaint]
    assert job_row[t(LANG, "report.col.satisfaction")] == str(SURVEY["overall"])
    assert job_row[t(LANG, "report.col.callbacks")] == "1"
    assert complaint_row[t(LANG, "report.col.kind")] == t(LANG, "kind.complaint")
    assert complaint_row[t(LANG, "report.col.complaint_cause")] == t(LANG, "complaints.cause.quality")

    # The general manager reads the same figures on the report page.
    manager = staff("general_manager")
    manager.goto(f"{local_stack.app_url}/staff/reports?month={month.label}")
    manager.locator("div.report").wait_for(timeout=REPORT_SECONDS * 1000)  # a page still building reloads itself
    assert manager.get_attribute("#download-csv", "href").endswith(f"/staff/reports/{month.label}/csv")
    assert_after_care_counted(manager)


def reports_sent(stack: LocalStack, month: ReportMonth) -> int:
    """Copies of ``month``'s report the local SES has taken."""
    return sum(f"service-report-{month.label}.csv" in m.body for m in sent_messages(stack.aws_url, timeout=30))


def wait_for_report_emails(page: Page, stack: LocalStack, month: ReportMonth) -> list[tuple[str, str]]:
    """(recipient, raw MIME) of each copy of ``month``'s report on the outbox page, once both are sent.
    The sent messages are read only after SES took another email, so the wait does not slow the report
    it waits for."""
    ses = boto3.client(
        "ses",
        endpoint_url=stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    deadline = time.monotonic() + REPORT_SECONDS
    looked_at = None
    while time.monotonic() < deadline:
        count = ses.get_send_quota()["SentLast24Hours"]  # how many emails it took: a cheap question
        if count != looked_at:
            looked_at = count
            if reports_sent(stack, month) >= 2:
                break
        stack.run_now("deliver_notifications")  # an email waiting in the outbox goes now, not next minute
        time.sleep(0.5)
    page.goto(stack.app_url + "/local/outbox")
    found = page.locator("li.message.email").filter(has_text=f"service-report-{month.label}.csv")
    assert found.count() == 2, f"no report of {month.label} within {REPORT_SECONDS} s:\n{stack.log()[-3000:]}"
    return [
        (found.nth(i).locator(".to").inner_text(), found.nth(i).locator("pre.body").text_content() or "")
        for i in range(found.count())
    ]


def report_html_with_inline_charts(report: EmailMessage) -> str:
    """The email's HTML, having checked that every chart it shows travels inside the email."""
    body = report.get_body(preferencelist=("html",))
    assert body is not None
    html = body.get_content()
    cited = set(re.findall(r'src="cid:([^"]+)"', html))
    images = {
        str(part["Content-ID"]).strip().strip("<>"): part
        for part in report.walk()
        if part.get_content_type() == "image/png"
    }
    assert len(cited) >= 2 and cited == set(images), (cited, set(images))
    assert all(part.get_content_disposition() == "inline" for part in images.values())
    return html


def attached_rows(report: EmailMessage, month: ReportMonth) -> dict[str, dict[str, str]]:
    """The attached CSV's rows by ticket number; the XLSX attached beside it lists the same tickets."""
    files = {part.get_filename(): part.get_content() for part in report.iter_attachments()}
    assert set(files) == {f"service-report-{month.label}.csv", f"service-report-{month.label}.xlsx"}
    text = files[f"service-report-{month.label}.csv"]
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    rows = {row[t(LANG, "report.col.number")]: row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    book = load_workbook(io.BytesIO(files[f"service-report-{month.label}.xlsx"]), read_only=True)
    sheet = book[t(LANG, "report.sheet.rows")]
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == set(rows)
    return rows


def table(page: Page, name: str) -> dict[str, str]:
    """A two-column table of the report's body (label -> figure)."""
    return page.locator(f"div.report table#{name}").evaluate(
        "t => Object.fromEntries([...t.rows].map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()]))"
    )


def assert_after_care_counted(page: Page) -> None:
    """One survey answer with its scores, one callback that raised a problem, one complaint of quality."""
    satisfaction = table(page, "satisfaction")
    assert satisfaction[t(LANG, "report.answers")] == "1"
    for name, score in SURVEY.items():
        assert satisfaction[t(LANG, f"report.score.{name}")] == f"{score:.2f} / 5"
    assert table(page, "callbacks") == {
        t(LANG, "report.callback.satisfied"): "0",
        t(LANG, "report.callback.problem"): "1",
        t(LANG, "report.callback.unreachable"): "0",
    }
    complaints = table(page, "complaints")
    assert complaints[t(LANG, "report.complaints")] == "1"
    assert complaints["· " + t(LANG, "report.cause.quality")] == "1"
