"""The monthly report: built from a month's tickets and their timelines, viewed in the app, and
emailed to the managers on the 1st (001 §5.4, 000 §4.6).

Building, in parts. A month is cut into its days (Shanghai); each day is a *part*, built on its own
from the month index (never a Scan) and each ticket's timeline (read by ``REPORT_READ_WORKERS``
threads at once), and stored as JSON under ``reports/builds/<yyyy-mm>/<build>/`` (the bucket
expires them after a week). On AWS every part is a message on the report-parts SQS queue and a
``report_part`` Lambda builds it, so a month of 100,000 tickets is ~30 functions of ~3,000 tickets
each instead of one that would outrun its time limit; without a queue (tests, ``REPORT_QUEUE_URL``
empty) the parts are built one after another here. Every part marks itself done on the build's
record in the table (a set of part numbers, so a redelivered part counts once); whoever completes
the set assembles the report: merges the parts (``ReportBuilder.absorb``, which gives exactly the
report of building the month in one go), stores it as ``reports/<yyyy-mm>/report.json`` (what the
app shows and downloads) and, for the scheduled build, emails it.

Sending, exactly once per month, and never lost:

1. the nightly job starts a build of last month unless the month is claimed (already sent) or a
   build started less than ``STALE_AFTER`` ago is still running (a build stuck on a failed part is
   started afresh the next night);
2. the assembler builds the MIME email (charts inline, CSV + XLSX attached) and stores it in the
   archive (``reports/<yyyy-mm>/report.eml``);
3. claims the month and writes one outbox message per recipient **in one transaction** (conditional on
   the claim being new): a second assembler, or a second build, writes nothing and sends nothing;
4. delivers at once; a failed send stays in the outbox and the every-minute delivery job retries it,
   reading the same stored email (``StoredEmailSender``).

A dry run (``send_monthly(dry_run=True)``, the smoke test after a deploy) takes steps 1 and 2 but
stores no email, claims nothing and sends nothing.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from chalicelib.domain.notification import DeliveryState, MessageChannel, OutboxMessage
from chalicelib.domain.permissions import Actor, Work, check_work
from chalicelib.domain.plans import UnknownPlan
from chalicelib.domain.reports import MonthlyReport, ReportBuilder, ReportMonth, ReportPart, report_month_due
from chalicelib.domain.ticket import Ticket, TicketEvent
from chalicelib.i18n import LANGUAGES, t
from chalicelib.reporting import mail, tables
from chalicelib.services.notifications import NotificationService
from chalicelib.services.ports import (
    Clock,
    DeliveryError,
    MonthlyTickets,
    RawEmailSender,
    ReportArchive,
    ReportBuild,
    ReportPartJob,
    ReportQueue,
)
from chalicelib.services.sla import SlaService

logger = Logger(child=True)

PURPOSE = "monthly_report"
# A build whose parts have not all come back after this long is given up and started again.
STALE_AFTER = timedelta(hours=6)


def report_email_key(month: str) -> str:
    return f"reports/{month}/report.eml"


def report_key(month: str) -> str:
    """The month's latest assembled report (JSON, figures without the ticket rows): what the app shows."""
    return f"reports/{month}/report.json"


def rows_key(month: str, lang: str, extension: str) -> str:
    """The month's ticket rows as ``csv`` or ``xlsx`` in ``lang``, made when the report is assembled
    (a month of 100,000 rows takes longer to write than a page may wait)."""
    return f"reports/{month}/{lang}/{mail.rows_file_name(month, extension)}"


ROW_FILES = {"csv": tables.CSV_TYPE, "xlsx": tables.XLSX_TYPE}


# Parts are only needed until their build is assembled; the bucket expires everything under this prefix.
BUILD_PARTS_PREFIX = "reports/builds/"


def part_key(month: str, build_id: str, index: int) -> str:
    return f"{BUILD_PARTS_PREFIX}{month}/{build_id}/part-{index:02d}.json"


@dataclass(frozen=True)
class ReportConfig:
    recipients: tuple[str, ...]
    sender: str
    public_base_url: str
    timezone: str
    recurring_threshold: int
    language: str = "zh-CN"
    read_workers: int = 16


@dataclass
class ReportRun:
    month: str
    # "sent" (messages written and tried), "started" (parts queued), "in_progress" (a build of the month
    # is still running), "already_sent", "no_recipients"; for a dry run "rehearsed" (built with its
    # email, nothing sent) or "dry_run_started" (parts queued)
    outcome: str
    tickets: int = 0
    messages: list[OutboxMessage] = field(default_factory=list)


class ReportService:
    def __init__(
        self, tickets: MonthlyTickets, sla: SlaService, archive: ReportArchive, notifications: NotificationService,
        clock: Clock, config: ReportConfig, queue: ReportQueue | None = None,
    ):
        self._tickets = tickets
        self._sla = sla
        self._archive = archive
        self._notifications = notifications
        self._clock = clock
        self._config = config
        self._queue = queue
        self._sent: dict[str, ReportRun] = {}

    # -- building ------------------------------------------------------------------------------

    def build(self, month: ReportMonth, now: datetime | None = None) -> MonthlyReport:
        """The whole month in this process, part by part (tests, benchmarks, small desks)."""
        now = now or self._clock.now()
        zone = self._config.timezone
        builder = self._builder(month, now)
        for start, end in month.days(zone):
            builder.absorb(self._build_part(month, start, end, now))
        return builder.finish()

    def _builder(self, month: ReportMonth, now: datetime) -> ReportBuilder:
        return ReportBuilder(month, now, timezone=self._config.timezone,
                             recurring_threshold=self._config.recurring_threshold)

    def _build_part(self, month: ReportMonth, start: datetime, end: datetime, now: datetime) -> ReportPart:
        builder = self._builder(month, now)
        plans = self._sla.plans()
        for ticket, events in self._with_timelines(self._tickets.tickets_created_between(start, end)):
            try:
                schedule = self._sla.schedule(ticket, events, now, plans)
            except UnknownPlan:  # a plan since removed: count the ticket, judge no deadline
                logger.warning("report: unknown plan", extra={"ticket": ticket.number, "plan": ticket.plan})
                schedule = None
            builder.add(ticket, events, schedule)
        return builder.part()

    def _with_timelines(self, tickets: Iterable[Ticket]) -> Iterator[tuple[Ticket, list[TicketEvent]]]:
        """Each ticket with its timeline, in the index's order; up to ``read_workers`` timelines are
        read at once (the reads wait on the network, so threads overlap them)."""
        workers = max(1, self._config.read_workers)
        if workers == 1:
            for ticket in tickets:
                yield ticket, self._tickets.events(ticket.number)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="timeline") as pool:
            window: deque[tuple[Ticket, Future[list[TicketEvent]]]] = deque()
            for ticket in tickets:
                window.append((ticket, pool.submit(self._tickets.events, ticket.number)))
                if len(window) >= workers * 4:
                    ready, future = window.popleft()
                    yield ready, future.result()
            while window:
                ready, future = window.popleft()
                yield ready, future.result()

    # -- building in parts (the fan-out) -------------------------------------------------------

    def start(self, month: ReportMonth, *, send: bool, dry_run: bool = False) -> ReportBuild:
        """Starts a build of ``month`` as of now: one part per day, queued (or built here without a
        queue). ``send``: email it when assembled (the scheduled build); ``dry_run``: build that email
        but send nothing."""
        now = self._clock.now()
        days = month.days(self._config.timezone)
        build = ReportBuild(month=month.label, build_id=uuid.uuid4().hex, started_at=now, computed_at=now,
                            parts=len(days), send=send and not dry_run, dry_run=dry_run)
        self._tickets.start_report_build(build)
        jobs = [
            ReportPartJob(month=month.label, build_id=build.build_id, started_at=now, index=i, start=start, end=end,
                          computed_at=now)
            for i, (start, end) in enumerate(days)
        ]
        logger.info("report: build started", extra={"month": month.label, "build": build.build_id,
                                                     "parts": len(jobs), "send": send})
        if self._queue is None:
            for job in jobs:
                self.run_part(job)
        else:
            self._queue.send(jobs)
        return self._tickets.report_build(month.label, now, build.build_id) or build

    def run_part_message(self, body: str) -> None:
        """The ``report_part`` function's entry: one queued part. A message that is not a part is
        logged and dropped (it would fail the same way on every retry)."""
        try:
            job = ReportPartJob.model_validate_json(body)
        except ValidationError as error:
            logger.error("report: not a report part, dropped", extra={"body": body[:500], "error": str(error)})
            return
        self.run_part(job)

    def run_part(self, job: ReportPartJob) -> None:
        """Builds one part, stores it, marks it done; assembles the report if it was the last."""
        month = ReportMonth.parse(job.month)
        part = self._build_part(month, job.start, job.end, job.computed_at)
        self._archive.put(part_key(job.month, job.build_id, job.index), part.model_dump_json().encode(),
                          "application/json")
        build = self._tickets.finish_report_part(job.month, job.started_at, job.build_id, job.index)
        if build is not None and build.complete and build.assembled_at is None:
            self.assemble(build)

    def assemble(self, build: ReportBuild) -> MonthlyReport:
        """Merges a complete build's parts into the month's report, stores it, and sends it if asked."""
        month = ReportMonth.parse(build.month)
        builder = self._builder(month, build.computed_at)
        for index in range(build.parts):
            stored = self._archive.get(part_key(build.month, build.build_id, index))
            if stored is None:
                raise RuntimeError(f"report {build.month}: part {index} of build {build.build_id} is missing")
            builder.absorb(ReportPart.model_validate_json(stored))
        report = builder.finish()
        latest = self.stored(month)
        files: dict[str, dict[str, bytes]] = {}
        if latest is None or latest.computed_at <= report.computed_at:
            # Rows first: whoever reads report.json finds its downloads there.
            for lang in LANGUAGES:
                files[lang] = self._row_files(report, lang)
                for extension, body in files[lang].items():
                    self._archive.put(rows_key(build.month, lang, extension), body, ROW_FILES[extension])
            summary = report.model_copy(update={"rows": ()})
            self._archive.put(report_key(build.month), summary.model_dump_json().encode(), "application/json")
        made = files.get(self._config.language)
        rows = (made["csv"], made["xlsx"]) if made else None
        if build.send:
            self._send(report, rows=rows)
        elif build.dry_run:
            self._rehearse(report, rows)
        self._tickets.finish_report_build(build.month, build.started_at, build.build_id, self._clock.now())
        logger.info("report: assembled", extra={"month": build.month, "build": build.build_id,
                                                "tickets": report.tickets})
        return report

    @staticmethod
    def _row_files(report: MonthlyReport, lang: str) -> dict[str, bytes]:
        return {"csv": tables.to_csv(report, lang), "xlsx": tables.to_xlsx(report, lang)}

    def stored(self, month: ReportMonth) -> MonthlyReport | None:
        """The month's latest assembled report (its figures; the rows are in the row files), or None
        if none was built yet."""
        body = self._archive.get(report_key(month.label))
        return MonthlyReport.model_validate_json(body) if body is not None else None

    def running(self, month: ReportMonth) -> ReportBuild | None:
        """The month's latest build if it is still assembling and not yet given up on."""
        build = self._tickets.latest_report_build(month.label)
        if build is None or build.assembled_at is not None:
            return None
        return build if self._clock.now() - build.started_at < STALE_AFTER else None

    def show(self, month: ReportMonth) -> tuple[MonthlyReport | None, ReportBuild | None]:
        """What the app shows for ``month``: its stored report and the build still running, if any.
        A month never built is started now (and is there at once when there is no queue)."""
        report, running = self.stored(month), self.running(month)
        if report is None and running is None:
            self.start(month, send=False)
            report, running = self.stored(month), self.running(month)
        return report, running

    def rebuild(self, month: ReportMonth, *, actor: Actor) -> None:
        """A reader of the report (``domain/permissions.py``) builds ``month`` again as of now, unless a
        build of it is still running (a month whose tickets changed since, or one never built)."""
        check_work(actor, Work.BUILD_REPORT)
        if self.running(month) is None:
            self.start(month, send=False)

    def month_due(self) -> ReportMonth:
        return report_month_due(self._clock.now(), self._config.timezone)

    def download(self, month: ReportMonth, lang: str, extension: str) -> str | None:
        """A short-lived link to the rows of ``month``'s stored report as ``csv`` or ``xlsx`` in
        ``lang``; None before the month is built."""
        if extension not in ROW_FILES:
            raise ValueError(extension)
        key = rows_key(month.label, lang, extension)
        if not self._archive.exists(key):
            return None
        return self._archive.download_url(key, mail.rows_file_name(month.label, extension))

    def page_link(self, month: ReportMonth, lang: str | None = None) -> str:
        base = self._config.public_base_url.rstrip("/")
        return f"{base}/staff/reports?month={month.label}" + (f"&lang={lang}" if lang else "")

    # -- sending -------------------------------------------------------------------------------

    def send_monthly(self, month: ReportMonth | None = None, *, dry_run: bool = False) -> ReportRun:
        """Starts the build that emails last month's report (or ``month``'s) to the managers, once.

        ``dry_run``: the same build and email, for a month already sent too, but nothing is claimed or
        sent, so a smoke test can prove the nightly path on a live stage without mailing anyone."""
        month = month or self.month_due()
        recipients = list(self._config.recipients)
        if not recipients:
            logger.warning("report: REPORT_RECIPIENTS is empty, nothing sent", extra={"month": month.label})
            return ReportRun(month.label, "no_recipients")
        if dry_run:
            self._sent.pop(month.label, None)
            self.start(month, send=False, dry_run=True)
            return self._sent.pop(month.label, None) or ReportRun(month.label, "dry_run_started")
        if self._tickets.report_claimed(month.label):
            return ReportRun(month.label, "already_sent")
        running = self.running(month)
        if running is not None and running.send:
            return ReportRun(month.label, "in_progress")
        self._sent.pop(month.label, None)
        self.start(month, send=True)
        # Without a queue the build ran here and ``_send`` left its outcome; with one, it runs elsewhere.
        return self._sent.pop(month.label, None) or ReportRun(month.label, "started")

    def _send(self, report: MonthlyReport, rows: tuple[bytes, bytes] | None = None) -> ReportRun:
        month = report.month
        recipients = list(self._config.recipients)
        if not recipients:
            logger.warning("report: REPORT_RECIPIENTS is empty, nothing sent", extra={"month": month.label})
            return ReportRun(month.label, "no_recipients")
        if self._tickets.report_claimed(month.label):
            return ReportRun(month.label, "already_sent", tickets=report.tickets)
        now = self._clock.now()
        lang = self._config.language
        email = self._email(report, recipients, rows)
        key = report_email_key(month.label)
        self._archive.put(key, email.as_bytes(), "message/rfc822")
        subject = str(email["Subject"])
        messages = [
            OutboxMessage(
                id=uuid.uuid4().hex,
                ticket_number=f"REPORT-{month.label}",
                purpose=PURPOSE,
                channel=MessageChannel.STORED_EMAIL,
                recipient=recipient,
                subject=subject,
                text=t(lang, "report.title", month=month.label),
                created_at=now,
                next_attempt_at=now,
                body_key=key,
            )
            for recipient in recipients
        ]
        if not self._tickets.claim_report(month.label, now, messages):
            run = ReportRun(month.label, "already_sent", tickets=report.tickets)
        else:
            delivered = self._notifications.deliver(messages)
            failed = [m.recipient for m in delivered if m.state != DeliveryState.SENT]
            if failed:
                logger.warning("report: some sends failed, the outbox retries them", extra={"failed": failed})
            run = ReportRun(month.label, "sent", tickets=report.tickets, messages=delivered)
        self._sent[month.label] = run
        return run


    def _email(self, report: MonthlyReport, recipients: list[str], rows: tuple[bytes, bytes] | None) -> EmailMessage:
        lang = self._config.language
        other = "en" if lang == "zh-CN" else "zh-CN"
        return mail.build_email(
            report, lang, sender=self._config.sender, recipients=recipients,
            report_link=self.page_link(report.month, lang), other_language_link=self.page_link(report.month, other),
            rows=rows,
        )

    def _rehearse(self, report: MonthlyReport, rows: tuple[bytes, bytes] | None) -> None:
        """A dry run's email: made like the real one (charts, attachments), then only measured. It is not
        stored either: the stored email is what retries of the real sends read."""
        email = self._email(report, list(self._config.recipients), rows)
        logger.info("report: dry run, email built and not sent", extra={
            "month": report.month.label, "recipients": len(self._config.recipients), "bytes": len(email.as_bytes()),
        })
        self._sent[report.month.label] = ReportRun(report.month.label, "rehearsed", tickets=report.tickets)


class StoredEmailSender:
    """The ``Notifier`` of ``MessageChannel.STORED_EMAIL``: sends the MIME message kept in the archive."""

    def __init__(self, archive: ReportArchive, sender: RawEmailSender):
        self._archive = archive
        self._sender = sender

    def send(self, message: OutboxMessage) -> str:
        if not message.body_key:
            raise DeliveryError("stored email without a body key", permanent=True)
        try:
            mime = self._archive.get(message.body_key)
        except Exception as error:  # storage unreachable or refusing: try again later, like a send
            raise DeliveryError(f"stored email {message.body_key} unreadable: {error}") from error
        if mime is None:
            raise DeliveryError(f"stored email {message.body_key} is missing", permanent=True)
        return self._sender.send_raw(message.recipient, mime)
