"""The monthly report: built from a month's tickets and their timelines, viewed in the app, and
emailed to the managers on the 1st (001 §5.4, 000 §4.6).

Reading: the month's tickets from the month index (never a Scan), each ticket's timeline by one Query,
its SLA schedule by the sweep's own code with the plans loaded once. The tickets stream through
``ReportBuilder`` one at a time.

Sending, exactly once per month, and never lost:

1. if the month is already claimed, stop (a cheap read, so a re-run does not rebuild the report);
2. build the report and its MIME email (charts inline, CSV + XLSX attached) and store the email in the
   archive (``reports/<yyyy-mm>/report.eml``);
3. claim the month and write one outbox message per recipient **in one transaction** (conditional on
   the claim being new): a second run, or two at once, writes nothing and sends nothing;
4. deliver at once; a failed send stays in the outbox and the every-minute delivery job retries it,
   reading the same stored email (``StoredEmailSender``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from aws_lambda_powertools import Logger

from chalicelib.domain.notification import DeliveryState, MessageChannel, OutboxMessage
from chalicelib.domain.plans import UnknownPlan
from chalicelib.domain.reports import MonthlyReport, ReportBuilder, ReportMonth, report_month_due
from chalicelib.domain.ticket import TicketEvent
from chalicelib.i18n import t
from chalicelib.reporting import mail, tables
from chalicelib.services.notifications import NotificationService
from chalicelib.services.ports import Clock, DeliveryError, MonthlyTickets, RawEmailSender, ReportArchive
from chalicelib.services.sla import SlaService

logger = Logger(child=True)

PURPOSE = "monthly_report"


def report_email_key(month: str) -> str:
    return f"reports/{month}/report.eml"


@dataclass(frozen=True)
class ReportConfig:
    recipients: tuple[str, ...]
    sender: str
    public_base_url: str
    timezone: str
    recurring_threshold: int
    language: str = "zh-CN"


@dataclass
class ReportRun:
    month: str
    outcome: str  # "sent" (messages written and tried), "already_sent", "no_recipients"
    tickets: int = 0
    messages: list[OutboxMessage] = field(default_factory=list)


class ReportService:
    def __init__(
        self, tickets: MonthlyTickets, sla: SlaService, archive: ReportArchive, notifications: NotificationService,
        clock: Clock, config: ReportConfig,
    ):
        self._tickets = tickets
        self._sla = sla
        self._archive = archive
        self._notifications = notifications
        self._clock = clock
        self._config = config

    # -- building ------------------------------------------------------------------------------

    def build(self, month: ReportMonth, now: datetime | None = None) -> MonthlyReport:
        now = now or self._clock.now()
        zone = self._config.timezone
        builder = ReportBuilder(month, now, timezone=zone, recurring_threshold=self._config.recurring_threshold)
        plans = self._sla.plans()
        for ticket in self._tickets.tickets_created_between(month.start(zone), month.end(zone)):
            events: list[TicketEvent] = self._tickets.events(ticket.number)
            try:
                schedule = self._sla.schedule(ticket, events, now, plans)
            except UnknownPlan:  # a plan since removed: count the ticket, judge no deadline
                logger.warning("report: unknown plan", extra={"ticket": ticket.number, "plan": ticket.plan})
                schedule = None
            builder.add(ticket, events, schedule)
        return builder.finish()

    def month_due(self) -> ReportMonth:
        return report_month_due(self._clock.now(), self._config.timezone)

    def download(self, month: ReportMonth, lang: str, extension: str) -> str:
        """A link to ``month``'s rows as ``csv`` or ``xlsx``, computed now and kept under reports/
        (one file per month, language and format, replaced on each download)."""
        report = self.build(month)
        if extension == "csv":
            body, content_type = tables.to_csv(report, lang), tables.CSV_TYPE
        elif extension == "xlsx":
            body, content_type = tables.to_xlsx(report, lang), tables.XLSX_TYPE
        else:
            raise ValueError(extension)
        name = mail.attachment_name(report, extension)
        key = f"reports/{month.label}/{lang}/{name}"
        self._archive.put(key, body, content_type)
        return self._archive.download_url(key, name)

    def page_link(self, month: ReportMonth, lang: str | None = None) -> str:
        base = self._config.public_base_url.rstrip("/")
        return f"{base}/staff/reports?month={month.label}" + (f"&lang={lang}" if lang else "")

    # -- sending -------------------------------------------------------------------------------

    def send_monthly(self, month: ReportMonth | None = None) -> ReportRun:
        """Email last month's report (or ``month``'s) to the configured managers, once."""
        month = month or self.month_due()
        recipients = list(self._config.recipients)
        if not recipients:
            logger.warning("report: REPORT_RECIPIENTS is empty, nothing sent", extra={"month": month.label})
            return ReportRun(month.label, "no_recipients")
        if self._tickets.report_claimed(month.label):
            return ReportRun(month.label, "already_sent")
        now = self._clock.now()
        report = self.build(month, now)
        lang = self._config.language
        other = "en" if lang == "zh-CN" else "zh-CN"
        email = mail.build_email(
            report, lang, sender=self._config.sender, recipients=recipients,
            report_link=self.page_link(month, lang), other_language_link=self.page_link(month, other),
        )
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
            return ReportRun(month.label, "already_sent", tickets=report.tickets)
        delivered = self._notifications.deliver(messages)
        failed = [m.recipient for m in delivered if m.state != DeliveryState.SENT]
        if failed:
            logger.warning("report: some sends failed, the outbox retries them", extra={"failed": failed})
        return ReportRun(month.label, "sent", tickets=report.tickets, messages=delivered)


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
