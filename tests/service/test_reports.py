"""The monthly report's use case over in-memory adapters: once per month, retried through the outbox,
and the email's MIME structure (charts inline by Content-ID, rows attached, Chinese subject encoded)."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header

from chalicelib.adapters.memory import (
    FixedClock,
    MemoryOutbox,
    MemoryReportArchive,
    MemoryTickets,
    RecordingRawSender,
)
from chalicelib.domain.notification import DeliveryState, MessageChannel
from chalicelib.domain.reports import ReportMonth
from chalicelib.domain.ticket import Channel, Kind, Product, Reporter, open_ticket
from chalicelib.reporting import tables
from chalicelib.services.notifications import NotificationService, RoutingNotifier
from chalicelib.services.reports import ReportConfig, ReportService, StoredEmailSender
from tests.fakes import fake_world

# Tickets are written straight into the store here (history for a month's report), not armed in the
# sweep's due index by the services: the due-index check after each scenario does not apply.
TICKETS_GO_THROUGH_THE_SERVICES = False

RUN_AT = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # 2026-04-01 01:00 Shanghai: the schedule's moment


class ListQueue:
    """The report-parts queue as a list; a test plays the ``report_part`` workers."""

    def __init__(self):
        self.jobs = []

    def send(self, jobs):
        self.jobs.extend(jobs)


class World:
    def __init__(self, recipients=("gm@example.com", "quality@example.com"), threshold=2, queue=None):
        base = fake_world()
        self.tickets: MemoryTickets = base.tickets
        self.clock: FixedClock = base.clock
        self.clock.at = RUN_AT
        self.archive = MemoryReportArchive()
        self.raw = RecordingRawSender()
        self.notifications = NotificationService(
            MemoryOutbox(self.tickets),
            RoutingNotifier({MessageChannel.STORED_EMAIL: StoredEmailSender(self.archive, self.raw)}),
            self.clock, max_attempts=5,
        )
        self.service = ReportService(
            self.tickets, base.services.sla, self.archive, self.notifications, self.clock,
            ReportConfig(recipients=tuple(recipients), sender="noreply@example.com",
                         public_base_url="https://desk.example.com", timezone="Asia/Shanghai",
                         recurring_threshold=threshold),
            queue,
        )

    def add(self, number: str, at: datetime, *, model: str = "KYN28-12", kind: Kind = Kind.FAULT) -> None:
        ticket, event = open_ticket(
            number=number,
            reporter=Reporter(customer_name="苏州精密机械", phone="+8613800138000", province="CN-JS", address="星湖街"),
            product=Product(model=model), description="跳闸", kind=kind, channel=Channel.WEB, at=at, actor="web",
        )
        self.tickets.create(ticket, event, f"token-{number}", [])


def test_the_report_of_the_month_before_goes_to_every_manager_once():
    world = World()
    world.add("SD-2026-000001", datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    first = world.service.send_monthly()
    assert (first.month, first.outcome, first.tickets) == ("2026-03", "sent", 1)
    assert sorted(r for r, _ in world.raw.sent) == ["gm@example.com", "quality@example.com"]

    again = world.service.send_monthly()
    assert again.outcome == "already_sent"
    assert len(world.raw.sent) == 2


def test_only_tickets_received_in_that_month_on_shanghai_clocks_are_in_it():
    world = World()
    world.add("SD-2026-000001", datetime(2026, 2, 28, 15, 59, tzinfo=UTC))  # 2026-02-28 23:59 Shanghai
    world.add("SD-2026-000002", datetime(2026, 2, 28, 16, 0, tzinfo=UTC))  # 2026-03-01 00:00 Shanghai
    world.add("SD-2026-000003", datetime(2026, 3, 31, 15, 59, tzinfo=UTC))  # 2026-03-31 23:59 Shanghai
    world.add("SD-2026-000004", datetime(2026, 3, 31, 16, 0, tzinfo=UTC))  # 2026-04-01 00:00 Shanghai
    report = world.service.build(ReportMonth.parse("2026-03"))
    assert [r.number for r in report.rows] == ["SD-2026-000002", "SD-2026-000003"]


def test_a_send_that_fails_stays_in_the_outbox_and_is_retried_from_the_stored_email():
    world = World(recipients=("gm@example.com",))
    world.add("SD-2026-000001", datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    world.raw.failures = 1
    run = world.service.send_monthly()
    assert run.outcome == "sent" and run.messages[0].state == DeliveryState.PENDING
    assert world.raw.sent == []

    world.clock.advance(timedelta(minutes=2))
    world.notifications.deliver_due()
    assert [r for r, _ in world.raw.sent] == ["gm@example.com"]
    assert world.raw.sent[0][1] == world.archive.objects["reports/2026-03/report.eml"]
    assert world.service.send_monthly().outcome == "already_sent"


def test_without_recipients_nothing_is_claimed_or_sent():
    world = World(recipients=())
    assert world.service.send_monthly().outcome == "no_recipients"
    assert world.tickets.report_runs == {}


def test_the_email_is_html_with_inline_charts_by_content_id_and_the_rows_attached():
    world = World(recipients=("gm@example.com",))
    for i in range(1, 4):
        world.add(f"SD-2026-00000{i}", datetime(2026, 3, 5 + i, 2, 0, tzinfo=UTC))
    world.service.send_monthly()
    raw = world.archive.objects["reports/2026-03/report.eml"]
    message = message_from_bytes(raw, policy=policy.SMTP)

    assert message.get_content_type() == "multipart/mixed"
    assert "=?utf-8?" in raw.split(b"\r\n\r\n")[0].decode("ascii"), "the Chinese subject is RFC 2047 encoded"
    assert str(make_header(decode_header(message["Subject"]))) == "【售后服务】2026-03 月度服务报告"

    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    html = next(p for p in related.iter_parts() if p.get_content_type() == "text/html").get_content()
    images = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert {i.get_filename() for i in images} == {"kind.png", "priority.png", "deadlines.png"}  # no costs yet
    for image in images:
        assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
        assert image["Content-Disposition"].startswith("inline")
        content_id = str(image["Content-ID"]).strip()
        assert content_id.startswith("<") and content_id.endswith(">")
        assert f'src="cid:{content_id[1:-1]}"' in html

    attachments = {p.get_filename(): p for p in message.iter_attachments()}
    assert set(attachments) == {"service-report-2026-03.csv", "service-report-2026-03.xlsx"}
    csv_text = attachments["service-report-2026-03.csv"].get_content()
    csv_text = csv_text.decode("utf-8-sig") if isinstance(csv_text, bytes) else csv_text.lstrip("\ufeff")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("服务单号,受理时间,服务类型")
    assert len(lines) == 4
    assert attachments["service-report-2026-03.xlsx"].get_content()[:2] == b"PK"  # a zip: the XLSX


def test_recurring_problems_and_no_data_sections_show_in_the_email():
    world = World(recipients=("gm@example.com",), threshold=2)
    world.add("SD-2026-000001", datetime(2026, 3, 5, 2, 0, tzinfo=UTC), model="GCS")
    world.add("SD-2026-000002", datetime(2026, 3, 6, 2, 0, tzinfo=UTC), model="GCS")
    world.service.send_monthly()
    message = message_from_bytes(world.archive.objects["reports/2026-03/report.eml"], policy=policy.SMTP)
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert 'id="recurring"' in html and "GCS" in html
    assert 'id="satisfaction-none"' in html and "暂无数据" in html
    assert "/staff/reports?month=2026-03&amp;lang=en" in html, "the English version is one click away"


# -- built in parts, by workers off the queue --------------------------------------------------------


def test_the_scheduled_build_queues_one_part_per_day_and_sends_nothing_until_every_part_is_in():
    queue = ListQueue()
    world = World(recipients=("gm@example.com",), queue=queue)
    world.add("SD-2026-000001", datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    world.add("SD-2026-000002", datetime(2026, 3, 20, 2, 0, tzinfo=UTC))
    run = world.service.send_monthly()
    assert run.outcome == "started"
    assert len(queue.jobs) == 31 and [j.index for j in queue.jobs] == list(range(31))

    last, *others = reversed(queue.jobs)  # workers finish in any order
    for job in others:
        world.service.run_part_message(job.model_dump_json())
    assert world.raw.sent == [] and world.service.stored(ReportMonth.parse("2026-03")) is None
    world.service.run_part_message(last.model_dump_json())

    assert [r for r, _ in world.raw.sent] == ["gm@example.com"]
    report = world.service.stored(ReportMonth.parse("2026-03"))
    assert report.tickets == 2 and report.computed_at == RUN_AT


def march_sent_through_the_queue() -> tuple[ListQueue, World]:
    """March with one ticket, built in parts by the nightly job and sent to the GM."""
    queue = ListQueue()
    world = World(recipients=("gm@example.com",), queue=queue)
    world.add("SD-2026-000001", datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    world.service.send_monthly()
    for job in queue.jobs:
        world.service.run_part(job)
    return queue, world


def test_a_part_delivered_twice_counts_once_and_the_report_goes_out_once():
    queue, world = march_sent_through_the_queue()
    world.service.run_part(queue.jobs[4])  # SQS delivers at least once
    assert len(world.raw.sent) == 1
    assert world.service.stored(ReportMonth.parse("2026-03")).tickets == 1


def test_while_a_build_runs_the_nightly_job_waits_and_a_build_stuck_for_six_hours_is_started_again():
    queue = ListQueue()
    world = World(recipients=("gm@example.com",), queue=queue)
    assert world.service.send_monthly().outcome == "started"
    world.clock.advance(timedelta(hours=1))
    assert world.service.send_monthly().outcome == "in_progress"
    assert len(queue.jobs) == 31

    world.clock.advance(timedelta(hours=5, minutes=1))  # a part failed for good: the build never completes
    assert world.service.send_monthly().outcome == "started"
    assert len(queue.jobs) == 62
    for job in queue.jobs[31:]:
        world.service.run_part(job)
    assert len(world.raw.sent) == 1
    assert world.service.send_monthly().outcome == "already_sent"


def test_the_app_builds_a_month_never_built_and_shows_it_while_a_rebuild_runs():
    queue = ListQueue()
    world = World(queue=queue)
    world.add("SD-2026-000001", datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    march = ReportMonth.parse("2026-03")
    report, building = world.service.show(march)
    assert report is None and building is not None and building.send is False and len(queue.jobs) == 31
    for job in queue.jobs:
        world.service.run_part(job)
    report, building = world.service.show(march)
    assert report.tickets == 1 and building is None
    assert world.raw.sent == [], "a build started from the app is not emailed"

    world.add("SD-2026-000002", datetime(2026, 3, 6, 2, 0, tzinfo=UTC))
    world.clock.advance(timedelta(days=2))
    world.service.start(march, send=False)
    report, building = world.service.show(march)
    assert report.tickets == 1 and building is not None, "the last report stays on show while the new one builds"
    for job in queue.jobs[31:]:
        world.service.run_part(job)
    assert world.service.show(march)[0].tickets == 2


def test_a_queue_message_that_is_not_a_report_part_is_dropped_not_retried_forever():
    world = World(queue=ListQueue())
    world.service.run_part_message('{"hello": "world"}')
    world.service.run_part_message("not json")
    assert world.tickets.report_builds == {}


def test_built_in_parts_or_in_one_go_the_report_is_the_same():
    queue = ListQueue()
    world = World(queue=queue)
    for i in range(1, 10):
        world.add(f"SD-2026-00000{i}", datetime(2026, 3, 3 * i, 2, 0, tzinfo=UTC), model="GCS" if i % 2 else "MNS")
    march = ReportMonth.parse("2026-03")
    world.service.start(march, send=False)
    for job in queue.jobs:
        world.service.run_part(job)
    whole = world.service.build(march)
    assert world.service.stored(march) == whole.model_copy(update={"rows": ()}), "the figures are stored"
    assert world.archive.objects["reports/2026-03/en/service-report-2026-03.csv"] == tables.to_csv(whole, "en")
    assert world.archive.objects["reports/2026-03/zh-CN/service-report-2026-03.xlsx"][:2] == b"PK"


def test_the_rows_download_is_made_once_when_the_report_is_assembled_not_when_asked_for():
    world = World()
    world.add("SD-2026-000001", datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    march = ReportMonth.parse("2026-03")
    assert world.service.download(march, "en", "csv") is None, "nothing to download before the month is built"
    world.service.show(march)
    made = dict(world.archive.objects)
    link = world.service.download(march, "zh-CN", "xlsx")
    assert link == "memory://reports/2026-03/zh-CN/service-report-2026-03.xlsx?filename=service-report-2026-03.xlsx"
    assert world.archive.objects == made, "a download writes nothing"


def test_a_dry_run_builds_the_report_and_its_email_of_a_month_already_sent_and_sends_nothing():
    queue, world = march_sent_through_the_queue()
    sent_email = world.archive.objects["reports/2026-03/report.eml"]
    queue.jobs.clear()
    world.add("SD-2026-000002", datetime(2026, 3, 6, 2, 0, tzinfo=UTC))

    run = world.service.send_monthly(dry_run=True)
    assert run.outcome == "dry_run_started"
    for job in queue.jobs:
        world.service.run_part(job)

    assert len(world.raw.sent) == 1, "only the real send of the nightly build"
    assert world.service.stored(ReportMonth.parse("2026-03")).tickets == 2
    assert world.archive.objects["reports/2026-03/report.eml"] == sent_email, "retries still read the real email"
    assert world.service.running(ReportMonth.parse("2026-03")) is None


def test_a_dry_run_without_a_queue_is_built_here_and_says_so():
    world = World(recipients=("gm@example.com",))
    world.add("SD-2026-000001", datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    run = world.service.send_monthly(dry_run=True)
    assert (run.month, run.outcome, run.tickets) == ("2026-03", "rehearsed", 1)
    assert world.raw.sent == [] and world.tickets.report_runs == {}
    assert world.service.send_monthly().outcome == "sent", "the real run still goes out"
