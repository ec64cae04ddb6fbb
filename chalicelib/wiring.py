"""Builds the services from settings and adapters, once per process and only when first needed.

Tests replace the whole set with ``use(...)`` (fakes) or let it build AWS adapters under moto.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from chalicelib.adapters.clock import OffsetClock, SystemClock
from chalicelib.adapters.cognito import CognitoSignIn, CognitoTokens
from chalicelib.adapters.dynamodb_config import DynamoConfig
from chalicelib.adapters.dynamodb_tickets import DynamoOutbox, DynamoTickets
from chalicelib.adapters.idempotency import IdempotentRunner
from chalicelib.adapters.s3_files import S3FileStore
from chalicelib.adapters.ses_email import SesEmailSender
from chalicelib.adapters.signed_links import JwtLinkSigner
from chalicelib.adapters.smtp_email import SmtpEmailSender
from chalicelib.adapters.sns_sms import SnsSender
from chalicelib.domain.notification import MessageChannel
from chalicelib.services.desk import DeskService
from chalicelib.services.intake import IntakeConfig, IntakeService
from chalicelib.services.notifications import NotificationService, RoutingNotifier
from chalicelib.services.ports import Clock, ConfigStore, Idempotency, Notifier
from chalicelib.services.sla import SlaConfig, SlaService
from chalicelib.services.tracking import TrackingService
from chalicelib.settings import Settings, get_settings


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


_override: Services | None = None


def use(services: Services | None) -> None:
    """Swap in other services (tests); ``None`` returns to the real ones."""
    global _override
    _override = services


def services() -> Services:
    return _override or _aws_services()


def clock_for(settings: Settings) -> Clock:
    if settings.local_mode and settings.clock_file:
        return OffsetClock(settings.clock_file)
    return SystemClock()


@cache
def _aws_services() -> Services:
    settings = get_settings()
    clock = clock_for(settings)
    tickets = DynamoTickets(settings.table_name, due_shards=settings.due_shards)
    config_store = DynamoConfig(settings.table_name)
    sns = SnsSender()
    notifications = NotificationService(
        DynamoOutbox(tickets),
        RoutingNotifier(
            {
                MessageChannel.EMAIL: email_sender(settings),
                MessageChannel.SMS: sns,
                MessageChannel.STAFF_TOPIC: sns,
            }
        ),
        clock,
        max_attempts=settings.notification_max_attempts,
    )
    sla = SlaService(
        tickets, config_store, notifications, JwtLinkSigner(settings.link_signing_secret), clock,
        sla_config(settings),
    )
    intake = IntakeService(
        tickets,
        S3FileStore(settings.bucket_name, upload_base_url=settings.upload_base_url),
        notifications,
        sla,
        clock,
        intake_config(settings, desk_topic_arn=settings.desk_topic_arn or sns.topic_arn(settings.desk_topic_name)),
    )
    return Services(
        intake=intake,
        tracking=TrackingService(tickets),
        notifications=notifications,
        sla=sla,
        desk=DeskService(tickets, sla, clock),
        config=config_store,
        clock=clock,
        idempotency=IdempotentRunner(settings.table_name, expires_after_seconds=settings.idempotency_seconds),
        staff_tokens=CognitoTokens(
            region=settings.cognito_region,
            user_pool_id=settings.cognito_user_pool_id,
            client_id=settings.cognito_client_id,
            jwks_url=settings.cognito_jwks_url,
        ),
        staff_sign_in=CognitoSignIn(settings.cognito_client_id),
    )


def email_sender(settings: Settings) -> Notifier:
    """SES by default; SMTP where SES does not exist (AWS China) or a company relay must be used."""
    if settings.email_provider == "smtp":
        return SmtpEmailSender(
            settings.sender_email, settings.smtp_host, settings.smtp_port, username=settings.smtp_username,
            password=settings.smtp_password, security=settings.smtp_security,
        )
    return SesEmailSender(settings.sender_email)


def intake_config(settings: Settings, *, desk_topic_arn: str | None) -> IntakeConfig:
    return IntakeConfig(
        public_base_url=settings.public_base_url,
        desk_email=settings.desk_email,
        desk_topic_arn=desk_topic_arn,
        timezone=settings.timezone,
        max_photo_bytes=settings.max_photo_bytes,
        upload_url_seconds=settings.upload_url_seconds,
        home_province=settings.home_province,
    )


def sla_config(settings: Settings) -> SlaConfig:
    return SlaConfig(
        public_base_url=settings.public_base_url,
        timezone=settings.timezone,
        climb_after=timedelta(minutes=settings.escalation_climb_minutes),
        warn_share=settings.warn_share,
    )


def reset() -> None:
    """Forget built services and settings (tests change the environment between cases)."""
    _aws_services.cache_clear()
    get_settings.cache_clear()
