"""Builds the services from settings and adapters, once per process and only when first needed.

Tests replace the whole set with ``use(...)`` (fakes) or let it build AWS adapters under moto.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from chalicelib.settings import get_settings

# Adapters (boto3, JWT, crypto) and services are imported where they are built, not here: every page
# module imports this one, and a cold start should pay only for what its first request uses.
if TYPE_CHECKING:
    from chalicelib.adapters.cognito import ApiClient, CognitoDirectory, CognitoSignIn, CognitoTokens
    from chalicelib.adapters.dynamodb_archive import DynamoArchive
    from chalicelib.adapters.dynamodb_tickets import DynamoTickets
    from chalicelib.adapters.s3_files import S3FileStore
    from chalicelib.adapters.ses_email import SesEmailSender
    from chalicelib.adapters.signed_links import JwtLinkSigner
    from chalicelib.adapters.smtp_email import SmtpEmailSender
    from chalicelib.adapters.sns_sms import SnsSender
    from chalicelib.domain.holidays import HolidayBasis
    from chalicelib.domain.notification import MessageChannel
    from chalicelib.services.aftercare import AftercareConfig, AftercareService
    from chalicelib.services.api_clients import ApiClientsService
    from chalicelib.services.archive import ArchiveService
    from chalicelib.services.billing import BillingService
    from chalicelib.services.bus import MessageBus
    from chalicelib.services.complaints import ComplaintService
    from chalicelib.services.desk import DeskService
    from chalicelib.services.field_work import FieldWorkService
    from chalicelib.services.intake import IntakeConfig, IntakeService
    from chalicelib.services.moves import TicketMoves
    from chalicelib.services.nameplates import NameplateService
    from chalicelib.services.notifications import NotificationService
    from chalicelib.services.ports import Clock, ConfigStore, Idempotency, Notifier, RawEmailSender, TicketRepository
    from chalicelib.services.queue import QueueService
    from chalicelib.services.reports import ReportConfig, ReportService
    from chalicelib.services.search import SearchService
    from chalicelib.services.short_links import ShortLinks
    from chalicelib.services.sla import SlaConfig, SlaService
    from chalicelib.services.staff_names import StaffNames
    from chalicelib.services.tracking import TrackingService
    from chalicelib.services.webhooks import SubscriptionCache, WebhookService, WebhookStore
    from chalicelib.settings import Settings

T = TypeVar("T")


class _Built(Generic[T]):
    """A member of ``Services`` made by its method the first time it is read, then kept; a lock, because the
    sweep's and the delivery's threads share one container."""

    def __init__(self, build: Callable[[Services], T]) -> None:
        self._build = build
        self._name = build.__name__

    def __get__(self, container: Services, owner: type[Services]) -> T:
        # Once built the member is in the instance's dict, which Python reads before this (non-data) descriptor.
        with container._lock:
            if self._name not in container.__dict__:
                container.__dict__[self._name] = self._build(container)
                container.built.append(self._name)
        return cast(T, container.__dict__[self._name])


class Services:
    """The desk's services, each built from settings the first time a function uses it (a lazy container):
    the SLA sweep's Lambda builds the ticket store, the notifications and the SLA service, never the archive
    with its spreadsheet reader, billing or the report's mail. Tests hand in ready-made services by name
    (``Services(desk=..., ...)``); a member given is never built."""

    def __init__(self, settings: Settings | None = None, **given: object) -> None:
        self.__dict__.update(given)
        self._settings = settings
        self._lock = threading.RLock()
        self.built: list[str] = []  # what this container built, in order

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    # -- the services the pages, the API and the jobs use ----------------------------------------------

    @_Built
    def clock(self) -> Clock:
        return clock_for(self.settings)

    @_Built
    def config(self) -> ConfigStore:
        from chalicelib.adapters.dynamodb_config import DynamoConfig
        from chalicelib.services.calendars import HolidayAwareConfig, HolidayCalendars

        stored = DynamoConfig(self.settings.table_name)
        return HolidayAwareConfig(stored, HolidayCalendars(stored, timezone=self.settings.timezone))

    @_Built
    def notifications(self) -> NotificationService:
        from chalicelib.adapters.dynamodb_tickets import DynamoOutbox
        from chalicelib.adapters.sms_metrics import EmfSmsCounter
        from chalicelib.adapters.sqs_dead_letters import SqsDeadLetters
        from chalicelib.services.notifications import NotificationService, RoutingNotifier
        from chalicelib.services.sms_fallback import SmsFallback

        settings = self.settings
        return NotificationService(
            DynamoOutbox(self.stored_tickets),
            RoutingNotifier(_Senders(self)),
            self.clock,
            max_attempts=settings.notification_max_attempts,
            dead_letters=SqsDeadLetters(settings.notification_dlq_url) if settings.notification_dlq_url else None,
            workers=settings.sweep_workers,
            sms_counter=EmfSmsCounter(),  # customers' and staff's SMS apart, for their own alarms (infra/)
            # A technician's SMS refused for good reaches his supervisors by email and team chat.
            fallback=SmsFallback(self.stored_tickets, self.config, self.directory),
        )

    @_Built
    def sla(self) -> SlaService:
        from chalicelib.services.sla import SlaService

        return SlaService(self.tickets, self.config, self.notifications, link_signer(self.settings), self.clock,
                          sla_config(self.settings), staff=self.directory)

    @_Built
    def intake(self) -> IntakeService:
        from chalicelib.adapters.dynamodb_limits import DynamoRateCounters
        from chalicelib.adapters.dynamodb_uploads import DynamoUploadClaims
        from chalicelib.services.intake import IntakeService

        settings = self.settings
        topic = settings.desk_topic_arn or self.sns.topic_arn(settings.desk_topic_name)
        return IntakeService(
            self.tickets, self.files, self.notifications, self.sla, self.clock,
            intake_config(settings, desk_topic_arn=topic), archive=self.archive,
            counters=DynamoRateCounters(settings.table_name), claims=DynamoUploadClaims(settings.table_name),
            short_links=short_links(),
        )

    @_Built
    def desk(self) -> DeskService:
        from chalicelib.services.desk import DeskService
        from chalicelib.services.dispatch_notice import DispatchNotices

        return DeskService(self.tickets, self.sla, self.clock,
                           notices=DispatchNotices(self.directory, self.notifications, self.settings.public_base_url))

    @_Built
    def tracking(self) -> TrackingService:
        from chalicelib.services.tracking import TrackingService

        return TrackingService(self.tickets, self.files, intake=self.intake, moves=self.moves)

    @_Built
    def idempotency(self) -> Idempotency:
        from chalicelib.adapters.idempotency import IdempotentRunner

        settings = self.settings
        return IdempotentRunner(settings.table_name, expires_after_seconds=settings.idempotency_seconds,
                                lock_seconds=settings.idempotency_lock_seconds,
                                wait_seconds=settings.idempotency_wait_seconds)

    @_Built
    def staff_tokens(self) -> CognitoTokens:
        from chalicelib.adapters.cognito import CognitoTokens

        settings = self.settings
        return CognitoTokens(region=settings.cognito_region, user_pool_id=settings.cognito_user_pool_id,
                             client_id=settings.cognito_client_id, jwks_url=settings.cognito_jwks_url)

    @_Built
    def staff_sign_in(self) -> CognitoSignIn:
        from chalicelib.adapters.cognito import CognitoSignIn

        return CognitoSignIn(self.settings.cognito_client_id)

    @_Built
    def queue(self) -> QueueService:
        from chalicelib.services.queue import QueueService

        return QueueService(self.tickets, self.sla, self.desk, self.files, self.directory, self.clock)

    @_Built
    def field_work(self) -> FieldWorkService:
        from chalicelib.services.field_work import FieldWorkConfig, FieldWorkService

        settings = self.settings
        return FieldWorkService(
            self.tickets, self.moves, self.sla, self.files, self.intake, self.clock, self.notifications,
            FieldWorkConfig(timezone=settings.timezone, upload_url_seconds=settings.upload_url_seconds),
        )

    @_Built
    def billing(self) -> BillingService:
        from chalicelib.services.billing import BillingConfig, BillingService

        settings = self.settings
        return BillingService(self.tickets, self.moves, self.notifications, self.clock,
                              BillingConfig(public_base_url=settings.public_base_url, timezone=settings.timezone))

    @_Built
    def archive(self) -> ArchiveService:
        from chalicelib.adapters.spreadsheets import SpreadsheetFiles
        from chalicelib.services.archive import ArchiveConfig, ArchiveService

        settings = self.settings
        return ArchiveService(
            self.archive_store, self.files, self.files, SpreadsheetFiles(), self.config, self.clock,
            ArchiveConfig(timezone=settings.timezone, upload_url_seconds=settings.upload_url_seconds), bus=self.bus,
        )

    @_Built
    def aftercare(self) -> AftercareService:
        from chalicelib.adapters.dynamodb_aftercare import DynamoAftercare
        from chalicelib.services.aftercare import AftercareService

        settings = self.settings
        return AftercareService(
            self.tickets, DynamoAftercare(settings.table_name, self.stored_tickets), self.archive_store, self.moves,
            self.intake, self.notifications, link_signer(settings), self.clock, aftercare_config(settings),
        )

    @_Built
    def complaints(self) -> ComplaintService:
        from chalicelib.services.complaints import ComplaintService

        return ComplaintService(self.tickets, self.moves, self.intake, self.sla, self.config, self.clock)

    @_Built
    def staff_names(self) -> StaffNames:
        from chalicelib.services.staff_names import StaffNames

        return StaffNames(self.directory)

    # -- what the services share -----------------------------------------------------------------------

    @_Built
    def moves(self) -> TicketMoves:
        """How every use case saves a move of a ticket (they move tickets through this, not the desk)."""
        from chalicelib.services.moves import TicketMoves

        return TicketMoves(self.tickets, self.sla, self.clock)

    @_Built
    def stored_tickets(self) -> DynamoTickets:
        from chalicelib.adapters.dynamodb_tickets import DynamoTickets

        return DynamoTickets(self.settings.table_name, due_shards=self.settings.due_shards)

    @_Built
    def tickets(self) -> TicketRepository:
        """The services write through this: each write's webhook deliveries go into its own transaction."""
        from chalicelib.services.webhooks import PublishingTickets

        return PublishingTickets(self.stored_tickets, _webhook_subscriptions().current)

    @_Built
    def bus(self) -> MessageBus:
        from chalicelib.services.bus import MessageBus

        return MessageBus(self)

    @_Built
    def files(self) -> S3FileStore:
        return file_store(self.settings)

    @_Built
    def archive_store(self) -> DynamoArchive:
        from chalicelib.adapters.dynamodb_archive import DynamoArchive

        # The local stand-in's moto reads every item for a PartiQL select: two reads there instead.
        return DynamoArchive(self.settings.table_name, one_statement=not self.settings.aws_endpoint_url)

    @_Built
    def directory(self) -> CognitoDirectory:
        from chalicelib.adapters.cognito import CognitoDirectory

        return CognitoDirectory(self.settings.cognito_user_pool_id)

    @_Built
    def sns(self) -> SnsSender:
        from chalicelib.adapters.sns_sms import SnsSender

        return SnsSender()

    def sender(self, channel: MessageChannel) -> Notifier:
        """The provider of a channel (built when a function first sends on it)."""
        from chalicelib.domain.notification import MessageChannel

        settings = self.settings
        match channel:
            case MessageChannel.EMAIL:
                return email_sender(settings)
            case MessageChannel.SMS:
                from chalicelib.services.short_links import ShortLinkSms

                return ShortLinkSms(sms_sender(settings, self.sns), short_links())
            case MessageChannel.STAFF_TOPIC:
                return self.sns
            case MessageChannel.STORED_EMAIL:
                from chalicelib.adapters.s3_reports import S3ReportArchive
                from chalicelib.services.reports import StoredEmailSender

                return StoredEmailSender(S3ReportArchive(settings.bucket_name), raw_email_sender(settings))
            case MessageChannel.JOB | MessageChannel.AFTER_CARE:
                # Jobs: their events go to the subscribers, who act through this container.
                return self.bus
            case MessageChannel.TEAM_CHAT:
                from chalicelib.adapters.secrets import read_secret
                from chalicelib.adapters.team_chat import TeamChatSender

                # Each message names the secret that holds its robot's webhook URL (read when sent).
                return TeamChatSender(read_secret)
            case MessageChannel.WEBHOOK:
                return webhook_sender(settings, self.clock)
        raise KeyError(channel)


class _Senders(Mapping["MessageChannel", "Notifier"]):
    """Each channel's provider, built when the first message on it is sent (``RoutingNotifier`` reads it)."""

    def __init__(self, services: Services):
        self._services = services
        self._lock = threading.Lock()
        self._built: dict[MessageChannel, Notifier] = {}

    def __getitem__(self, channel: MessageChannel) -> Notifier:
        with self._lock:
            if channel not in self._built:
                self._built[channel] = self._services.sender(channel)
            return self._built[channel]

    def __iter__(self) -> Iterator[MessageChannel]:
        from chalicelib.domain.notification import MessageChannel

        return iter(MessageChannel)

    def __len__(self) -> int:
        from chalicelib.domain.notification import MessageChannel

        return len(MessageChannel)


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
    """The origin browsers upload files to (the pages' Content-Security-Policy)."""
    return file_store(get_settings()).browser_origin()


@cache
def download_origin() -> str:
    """The origin browsers fetch stored files from: the stage's CloudFront distribution on AWS."""
    return file_store(get_settings()).download_origin()


def file_store(settings: Settings) -> S3FileStore:
    """The files bucket; its links go through CloudFront, signed, where the stage has a distribution."""
    from chalicelib.adapters.cloudfront_links import CloudFrontLinks
    from chalicelib.adapters.s3_files import S3FileStore
    from chalicelib.adapters.secrets import read_secret

    downloads = None
    if settings.files_base_url:
        key_secret = settings.files_signing_key_secret_name
        downloads = CloudFrontLinks(settings.files_base_url, settings.files_signing_key_id,
                                    lambda: read_secret(key_secret))
    return S3FileStore(settings.bucket_name, upload_base_url=settings.upload_base_url, downloads=downloads)


def clock_for(settings: Settings) -> Clock:
    from chalicelib.adapters.clock import OffsetClock, SystemClock

    if settings.local_mode and settings.clock_file:
        return OffsetClock(settings.clock_file)
    return SystemClock()


@cache
def _aws_services() -> Services:
    return Services(get_settings())


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
    from chalicelib.adapters.secrets import secret
    from chalicelib.adapters.signed_links import HmacLabelSigner
    from chalicelib.services.nameplates import NameplateConfig, NameplateService

    settings = get_settings()
    archive = DynamoArchive(settings.table_name)
    return NameplateService(
        archive, archive,
        HmacLabelSigner(secret(name=settings.link_signing_secret_name, local_value=settings.link_signing_secret)),
        file_store(settings), services().clock,
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
    download_origin.cache_clear()
    get_settings.cache_clear()


def api_clients() -> ApiClientsService[ApiClient]:
    """The integrations' app clients, for the administrator's page (made on each use: it holds nothing)."""
    from chalicelib.adapters.cognito import CognitoApiClients
    from chalicelib.services.api_clients import ApiClientsService

    settings = get_settings()
    return ApiClientsService(CognitoApiClients(settings.cognito_user_pool_id, make_scopes=settings.local_mode))
