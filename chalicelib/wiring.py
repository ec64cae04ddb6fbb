"""Builds the services from settings and adapters, once per process and only when first needed.

Tests replace the whole set with ``use(...)`` (fakes) or let it build AWS adapters under moto.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from chalicelib.settings import Settings, get_settings

# Adapters (boto3, JWT, crypto) and services are imported where they are built, not here: every page
# module imports this one, and a cold start should pay only for what its first request uses.
if TYPE_CHECKING:
    from chalicelib.adapters.cognito import CognitoSignIn, CognitoTokens
    from chalicelib.adapters.ses_email import SesEmailSender
    from chalicelib.adapters.signed_links import JwtLinkSigner
    from chalicelib.adapters.smtp_email import SmtpEmailSender
    from chalicelib.domain.holidays import HolidayBasis
    from chalicelib.services.aftercare import AftercareConfig, AftercareService
    from chalicelib.services.archive import ArchiveService
    from chalicelib.services.billing import BillingService
    from chalicelib.services.complaints import ComplaintService
    from chalicelib.services.desk import DeskService
    from chalicelib.services.field_work import FieldWorkService
    from chalicelib.services.intake import IntakeConfig, IntakeService
    from chalicelib.services.nameplates import NameplateService
    from chalicelib.services.notifications import NotificationService
    from chalicelib.services.ports import Clock, ConfigStore, Idempotency, Notifier, RawEmailSender
    from chalicelib.services.queue import QueueService
    from chalicelib.services.reports import ReportConfig, ReportService
    from chalicelib.services.search import SearchService
    from chalicelib.services.short_links import ShortLinks
    from chalicelib.services.sla import SlaConfig, SlaService
    from chalicelib.services.staff_names import StaffNames
    from chalicelib.services.tracking import TrackingService
    from chalicelib.services.webhooks import SubscriptionCache, WebhookService, WebhookStore


@dataclass(frozen=True)
class Services:
    intake: IntakeService
    tracking: TrackingService
    notifications: NotificationService
    sla: SlaService
    desk: DeskService
    config: ConfigStore
    clock: Clock
    idempotency: Idempotency
    staff_tokens: CognitoTokens
    staff_sign_in: CognitoSignIn
    queue: QueueService
    field_work: FieldWorkService
    billing: BillingService
    archive: ArchiveService
    aftercare: AftercareService
    complaints: ComplaintService
    staff_names: StaffNames


_override: Services | None = None


def use(services: Services | None) -> None:
    """Swap in other services (tests); ``None`` returns to the real ones."""
    global _override
    _override = services


def services() -> Services:
    return _override or _aws_services()


def calendar_gaps() -> dict[int, HolidayBasis]:
    """Years that deadlines may reach soon without an official holiday schedule (staff pages warn)."""
    from chalicelib.services.calendars import HolidayAwareConfig

    built = services()
    config = built.config
    return config.holidays.gaps(built.clock.now()) if isinstance(config, HolidayAwareConfig) else {}


@cache
def file_origin() -> str:
    """The origin browsers upload files to and fetch them from (the pages' Content-Security-Policy)."""
    from chalicelib.adapters.s3_files import S3FileStore

    settings = get_settings()
    return S3FileStore(settings.bucket_name, upload_base_url=settings.upload_base_url).browser_origin()


def clock_for(settings: Settings) -> Clock:
    from chalicelib.adapters.clock import OffsetClock, SystemClock

    if settings.local_mode and settings.clock_file:
        return OffsetClock(settings.clock_file)
    return SystemClock()


@cache
def _aws_services() -> Services:
    from chalicelib.adapters.cognito import CognitoDirectory, CognitoSignIn, CognitoTokens
    from chalicelib.adapters.dynamodb_aftercare import DynamoAftercare
    from chalicelib.adapters.dynamodb_archive import DynamoArchive
    from chalicelib.adapters.dynamodb_config import DynamoConfig
    from chalicelib.adapters.dynamodb_limits import DynamoRateCounters
    from chalicelib.adapters.dynamodb_tickets import DynamoOutbox, DynamoTickets
    from chalicelib.adapters.dynamodb_uploads import DynamoUploadClaims
    from chalicelib.adapters.idempotency import IdempotentRunner
    from chalicelib.adapters.s3_files import S3FileStore
    from chalicelib.adapters.s3_reports import S3ReportArchive
    from chalicelib.adapters.secrets import read_secret
    from chalicelib.adapters.sms_metrics import EmfSmsCounter
    from chalicelib.adapters.sns_sms import SnsSender
    from chalicelib.adapters.spreadsheets import SpreadsheetFiles
    from chalicelib.adapters.sqs_dead_letters import SqsDeadLetters
    from chalicelib.adapters.team_chat import TeamChatSender
    from chalicelib.domain.notification import MessageChannel
    from chalicelib.services.aftercare import AftercareService
    from chalicelib.services.archive import ArchiveConfig, ArchiveService
    from chalicelib.services.billing import BillingConfig, BillingService
    from chalicelib.services.bus import MessageBus
    from chalicelib.services.calendars import HolidayAwareConfig, HolidayCalendars
    from chalicelib.services.complaints import ComplaintService
    from chalicelib.services.desk import DeskService
    from chalicelib.services.dispatch_notice import DispatchNotices
    from chalicelib.services.field_work import FieldWorkConfig, FieldWorkService
    from chalicelib.services.intake import IntakeService
    from chalicelib.services.notifications import NotificationService, RoutingNotifier
    from chalicelib.services.queue import QueueService
    from chalicelib.services.reports import StoredEmailSender
    from chalicelib.services.short_links import ShortLinkSms
    from chalicelib.services.sla import SlaService
    from chalicelib.services.staff_names import StaffNames
    from chalicelib.services.tracking import TrackingService
    from chalicelib.services.webhooks import PublishingTickets

    settings = get_settings()
    clock = clock_for(settings)
    stored = DynamoTickets(settings.table_name, due_shards=settings.due_shards)
    # The services write through this: each write's webhook deliveries go into its own transaction.
    tickets = PublishingTickets(stored, _webhook_subscriptions().current)
    stored_config = DynamoConfig(settings.table_name)
    config_store = HolidayAwareConfig(stored_config, HolidayCalendars(stored_config, timezone=settings.timezone))
    sns = SnsSender()
    bus = MessageBus()
    notifications = NotificationService(
        DynamoOutbox(stored),
        RoutingNotifier(
            {
                MessageChannel.EMAIL: email_sender(settings),
                MessageChannel.SMS: ShortLinkSms(sms_sender(settings, sns), short_links()),
                MessageChannel.STAFF_TOPIC: sns,
                MessageChannel.STORED_EMAIL: StoredEmailSender(
                    S3ReportArchive(settings.bucket_name), raw_email_sender(settings)
                ),
                # Jobs: their events go to the subscribers, who act through the services built below.
                MessageChannel.JOB: bus,
                MessageChannel.AFTER_CARE: bus,
                # Each message names the secret that holds its robot's webhook URL (read when sent).
                MessageChannel.TEAM_CHAT: TeamChatSender(read_secret),
                MessageChannel.WEBHOOK: webhook_sender(settings, clock),
            }
        ),
        clock,
        max_attempts=settings.notification_max_attempts,
        dead_letters=SqsDeadLetters(settings.notification_dlq_url) if settings.notification_dlq_url else None,
        workers=settings.sweep_workers,
        sms_counter=EmfSmsCounter(),  # customers' and staff's SMS apart, for their own alarms (infra/)
    )
    directory = CognitoDirectory(settings.cognito_user_pool_id)
    sla = SlaService(
        tickets, config_store, notifications, link_signer(settings), clock,
        sla_config(settings), staff=directory,
    )
    files = S3FileStore(settings.bucket_name, upload_base_url=settings.upload_base_url)
    archive = ArchiveService(
        DynamoArchive(settings.table_name), files, files, SpreadsheetFiles(), config_store, clock,
        ArchiveConfig(timezone=settings.timezone, upload_url_seconds=settings.upload_url_seconds), bus=bus,
    )
    intake = IntakeService(
        tickets,
        files,
        notifications,
        sla,
        clock,
        intake_config(settings, desk_topic_arn=settings.desk_topic_arn or sns.topic_arn(settings.desk_topic_name)),
        archive=archive,
        counters=DynamoRateCounters(settings.table_name),
        claims=DynamoUploadClaims(settings.table_name),
    )
    desk = DeskService(tickets, sla, clock,
                       notices=DispatchNotices(directory, notifications, settings.public_base_url))
    aftercare = AftercareService(
        tickets, DynamoAftercare(settings.table_name, stored), DynamoArchive(settings.table_name), desk, intake,
        notifications, link_signer(settings), clock, aftercare_config(settings),
    )
    built = Services(
        intake=intake,
        tracking=TrackingService(tickets, files, intake=intake, desk=desk),
        notifications=notifications,
        sla=sla,
        desk=desk,
        config=config_store,
        clock=clock,
        idempotency=IdempotentRunner(settings.table_name, expires_after_seconds=settings.idempotency_seconds,
                                     lock_seconds=settings.idempotency_lock_seconds,
                                     wait_seconds=settings.idempotency_wait_seconds),
        staff_tokens=CognitoTokens(
            region=settings.cognito_region,
            user_pool_id=settings.cognito_user_pool_id,
            client_id=settings.cognito_client_id,
            jwks_url=settings.cognito_jwks_url,
        ),
        staff_sign_in=CognitoSignIn(settings.cognito_client_id),
        queue=QueueService(tickets, sla, desk, files, directory, clock),
        field_work=FieldWorkService(
            tickets, desk, sla, files, intake, clock, notifications,
            FieldWorkConfig(timezone=settings.timezone, upload_url_seconds=settings.upload_url_seconds),
        ),
        billing=BillingService(
            tickets, desk, notifications, clock,
            BillingConfig(public_base_url=settings.public_base_url, timezone=settings.timezone),
        ),
        archive=archive,
        aftercare=aftercare,
        complaints=ComplaintService(tickets, desk, intake, sla, config_store, clock),
        staff_names=StaffNames(directory),
    )
    bus.connect(built)
    return built


def aftercare_config(settings: Settings) -> AftercareConfig:
    from chalicelib.services.aftercare import AftercareConfig

    return AftercareConfig(public_base_url=settings.public_base_url, timezone=settings.timezone,
                           survey_days=settings.survey_link_days)


def link_signer(settings: Settings) -> JwtLinkSigner:
    from chalicelib.adapters.secrets import secret
    from chalicelib.adapters.signed_links import JwtLinkSigner

    return JwtLinkSigner(secret(name=settings.link_signing_secret_name, local_value=settings.link_signing_secret))


def email_sender(settings: Settings) -> Notifier:
    """SES by default; SMTP where SES does not exist (AWS China) or a company relay must be used."""
    return _email_provider(settings)


def _email_provider(settings: Settings) -> SmtpEmailSender | SesEmailSender:
    from chalicelib.adapters.secrets import secret
    from chalicelib.adapters.ses_email import SesEmailSender
    from chalicelib.adapters.smtp_email import SmtpEmailSender

    if settings.email_provider == "smtp":
        password = secret(name=settings.smtp_password_secret_name, local_value=settings.smtp_password)
        return SmtpEmailSender(
            settings.sender_email, settings.smtp_host, settings.smtp_port, username=settings.smtp_username,
            password=password, security=settings.smtp_security,
        )
    return SesEmailSender(settings.sender_email)


def sms_sender(settings: Settings, sns: Notifier) -> Notifier:
    """SNS sends the text; Alibaba and Tencent Cloud, which mainland carriers take, send templates."""
    if settings.sms_provider == "sns":
        return sns
    from chalicelib.adapters.china_sms import AliyunSms, TencentSms
    from chalicelib.adapters.secrets import secret
    from chalicelib.services.sms_templates import TemplatedSms, parse_template_codes

    codes = parse_template_codes(settings.sms_template_codes)
    if settings.sms_provider == "aliyun":
        key = secret(name=settings.aliyun_sms_access_key_secret_name, local_value=settings.aliyun_sms_access_key_secret)
        return TemplatedSms(AliyunSms(settings.aliyun_sms_access_key_id, key, settings.sms_sign_name,
                                      endpoint=settings.aliyun_sms_endpoint), codes)
    key = secret(name=settings.tencent_sms_secret_key_secret_name, local_value=settings.tencent_sms_secret_key)
    return TemplatedSms(TencentSms(settings.tencent_sms_secret_id, key, settings.tencent_sms_app_id,
                                   settings.sms_sign_name, region=settings.tencent_sms_region,
                                   endpoint=settings.tencent_sms_endpoint), codes)


def intake_config(settings: Settings, *, desk_topic_arn: str | None) -> IntakeConfig:
    from chalicelib.services.intake import IntakeConfig, IntakeLimits

    return IntakeConfig(
        public_base_url=settings.public_base_url,
        desk_email=settings.desk_email,
        desk_topic_arn=desk_topic_arn,
        timezone=settings.timezone,
        max_photo_bytes=settings.max_photo_bytes,
        upload_url_seconds=settings.upload_url_seconds,
        home_province=settings.home_province,
        limits=IntakeLimits(
            reports_per_phone_hour=settings.intake_limit_phone_per_hour,
            reports_per_ip_hour=settings.intake_limit_ip_per_hour,
            sms_per_phone_day=settings.confirmation_sms_per_phone_per_day,
            international_sms=settings.international_sms,
        ),
    )


def sla_config(settings: Settings) -> SlaConfig:
    from chalicelib.services.sla import SlaConfig

    return SlaConfig(
        public_base_url=settings.public_base_url,
        timezone=settings.timezone,
        climb_after=timedelta(minutes=settings.escalation_climb_minutes),
        warn_share=settings.warn_share,
        workers=settings.sweep_workers,
        lookahead=timedelta(seconds=settings.sweep_lookahead_seconds),
    )


# -- SMS short links: built beside ``Services`` like the report; the SMS channel and ``/l/`` share it --

_short_links_override: ShortLinks | None = None


def use_short_links(links: ShortLinks | None) -> None:
    """Swap in other short links (tests); ``None`` returns to the real ones."""
    global _short_links_override
    _short_links_override = links


def short_links() -> ShortLinks:
    return _short_links_override or _aws_short_links()


@cache
def _aws_short_links() -> ShortLinks:
    from chalicelib.adapters.clock import SystemClock
    from chalicelib.adapters.dynamodb_short_links import DynamoShortLinks
    from chalicelib.services.short_links import ShortLinks

    settings = get_settings()
    # The real clock even on a local stack whose clock was moved: signed tokens expire by it (the JWT
    # library reads it), so the short links standing for them must too.
    return ShortLinks(DynamoShortLinks(settings.table_name), SystemClock(), settings.public_base_url,
                      link_signer(settings).expiry)


# -- the monthly report: built beside ``Services`` so that class keeps its fields ----------

_reports_override: ReportService | None = None


def use_reports(service: ReportService | None) -> None:
    """Swap in another report service (tests); ``None`` returns to the real one."""
    global _reports_override
    _reports_override = service


def reports() -> ReportService:
    return _reports_override or _aws_reports()


@cache
def _aws_reports() -> ReportService:
    from chalicelib.adapters.dynamodb_tickets import DynamoTickets
    from chalicelib.adapters.s3_reports import S3ReportArchive
    from chalicelib.adapters.sqs_report_queue import SqsReportQueue
    from chalicelib.services.reports import ReportService

    settings = get_settings()
    built = services()
    return ReportService(
        DynamoTickets(settings.table_name, due_shards=settings.due_shards), built.sla,
        S3ReportArchive(settings.bucket_name), built.notifications, built.clock, report_config(settings),
        SqsReportQueue(settings.report_queue_url) if settings.report_queue_url else None,
    )


def report_config(settings: Settings) -> ReportConfig:
    from chalicelib.services.reports import ReportConfig

    return ReportConfig(
        recipients=settings.report_recipient_list,
        sender=settings.sender_email,
        public_base_url=settings.public_base_url,
        timezone=settings.timezone,
        recurring_threshold=settings.report_recurring_faults,
        read_workers=settings.report_read_workers,
    )


# -- nameplate QR codes: built beside ``Services`` like the report ------------------------------------

_nameplates_override: NameplateService | None = None


def use_nameplates(service: NameplateService | None) -> None:
    """Swap in another nameplate service (tests); ``None`` returns to the real one."""
    global _nameplates_override
    _nameplates_override = service


def nameplates() -> NameplateService:
    return _nameplates_override or _aws_nameplates()


@cache
def _aws_nameplates() -> NameplateService:
    from chalicelib.adapters.dynamodb_archive import DynamoArchive
    from chalicelib.adapters.s3_files import S3FileStore
    from chalicelib.adapters.secrets import secret
    from chalicelib.adapters.signed_links import HmacLabelSigner
    from chalicelib.services.nameplates import NameplateConfig, NameplateService

    settings = get_settings()
    archive = DynamoArchive(settings.table_name)
    return NameplateService(
        archive, archive,
        HmacLabelSigner(secret(name=settings.link_signing_secret_name, local_value=settings.link_signing_secret)),
        S3FileStore(settings.bucket_name, upload_base_url=settings.upload_base_url), services().clock,
        NameplateConfig(public_base_url=settings.public_base_url, timezone=settings.timezone),
    )


# -- staff search: built beside ``Services`` like the nameplates ---------------------------------------

_search_override: SearchService | None = None


def use_search(service: SearchService | None) -> None:
    """Swap in another search service (tests); ``None`` returns to the real one."""
    global _search_override
    _search_override = service


def search() -> SearchService:
    return _search_override or _aws_search()


@cache
def _aws_search() -> SearchService:
    from chalicelib.adapters.dynamodb_search import DynamoTicketSearch
    from chalicelib.adapters.dynamodb_tickets import DynamoTickets
    from chalicelib.services.search import SearchService

    settings = get_settings()
    built = services()
    return SearchService(
        DynamoTicketSearch(settings.table_name), DynamoTickets(settings.table_name, due_shards=settings.due_shards),
        built.sla, link_signer(settings), built.clock,
    )


# -- outgoing webhooks: built beside ``Services`` like the search -------------------------------------

_webhooks_override: WebhookService | None = None


def use_webhooks(service: WebhookService | None) -> None:
    """Swap in another webhook service (tests); ``None`` returns to the real one."""
    global _webhooks_override
    _webhooks_override = service


def webhooks() -> WebhookService:
    return _webhooks_override or _aws_webhooks()


@cache
def _aws_webhooks() -> WebhookService:
    from chalicelib.adapters.secrets import read_secret
    from chalicelib.services.webhooks import WebhookService

    settings = get_settings()
    return WebhookService(webhook_store(settings), read_secret, services().clock, _webhook_subscriptions().clear)


@cache
def _webhook_subscriptions() -> SubscriptionCache:
    """One per function: its ticket writes read through it, and its own subscribing clears it."""
    from chalicelib.services.webhooks import SubscriptionCache

    settings = get_settings()
    return SubscriptionCache(webhook_store(settings), seconds=settings.webhook_cache_seconds)


def webhook_store(settings: Settings) -> WebhookStore:
    from chalicelib.adapters.dynamodb_webhooks import DynamoWebhooks

    return DynamoWebhooks(settings.table_name)


def webhook_sender(settings: Settings, clock: Clock) -> Notifier:
    """Signs with the subscription's secret, read from Secrets Manager when a delivery is sent."""
    from chalicelib.adapters.http_webhooks import HttpWebhookPoster
    from chalicelib.adapters.secrets import read_secret
    from chalicelib.services.webhooks import WebhookSender

    # Receivers on this machine are the local stack's own; on AWS only public addresses are posted to.
    poster = HttpWebhookPoster(allow_private=settings.local_mode)
    return WebhookSender(webhook_store(settings), read_secret, poster, clock,
                         max_attempts=settings.notification_max_attempts)


def raw_email_sender(settings: Settings) -> RawEmailSender:
    """The same provider as ``email_sender``, for whole MIME messages (the monthly report)."""
    return _email_provider(settings)


def reset() -> None:
    """Forget built services and settings (tests change the environment between cases)."""
    _aws_services.cache_clear()
    _webhook_subscriptions.cache_clear()
    _aws_reports.cache_clear()
    _aws_nameplates.cache_clear()
    _aws_search.cache_clear()
    _aws_short_links.cache_clear()
    _aws_webhooks.cache_clear()
    file_origin.cache_clear()
    get_settings.cache_clear()
