"""Services wired to in-memory adapters, for service tests and for route tests that need no AWS."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib import wiring
from chalicelib.adapters.cognito import CognitoSignIn, CognitoTokens, InvalidToken
from chalicelib.adapters.memory import (
    FixedClock,
    MemoryConfig,
    MemoryDeadLetters,
    MemoryFiles,
    MemoryIdempotency,
    MemoryOutbox,
    MemoryStaffDirectory,
    MemoryTickets,
    RecordingNotifier,
)
from chalicelib.adapters.memory_aftercare import MemoryAftercare
from chalicelib.adapters.memory_archive import MemoryArchive, MemoryFileReader
from chalicelib.adapters.memory_uploads import MemoryUploadClaims
from chalicelib.adapters.memory_webhooks import MemoryWebhooks, ScriptedReceiver
from chalicelib.adapters.signed_links import JwtLinkSigner
from chalicelib.adapters.spreadsheets import SpreadsheetFiles
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.services.aftercare import AftercareConfig, AftercareService
from chalicelib.services.archive import ArchiveConfig, ArchiveService
from chalicelib.services.billing import BillingConfig, BillingService
from chalicelib.services.bus import MessageBus
from chalicelib.services.calendars import HolidayAwareConfig, HolidayCalendars
from chalicelib.services.complaints import ComplaintService
from chalicelib.services.desk import DeskService
from chalicelib.services.dispatch_notice import DispatchNotices
from chalicelib.services.field_work import FieldWorkService
from chalicelib.services.intake import IntakeConfig, IntakeService
from chalicelib.services.moves import TicketMoves
from chalicelib.services.notifications import NotificationService, RoutingNotifier
from chalicelib.services.ports import Notifier, StaffContact
from chalicelib.services.queue import QueueService
from chalicelib.services.sla import SlaConfig, SlaService
from chalicelib.services.sms_fallback import SmsFallback
from chalicelib.services.staff_names import StaffNames
from chalicelib.services.tracking import TrackingService
from chalicelib.services.webhooks import PublishingTickets, SubscriptionCache, WebhookSender, WebhookService
from ops.config import DEMO_ROSTER

# tech-li has no email on file: he is told by SMS only.
TECHNICIAN_CONTACTS = {"tech-wang": StaffContact(phone="+8613900000002", email="wang@desk.example.com"),
                       "tech-li": StaffContact(phone="+8613900000003")}
# tech-li has no name on file: pages show his login.
TECHNICIAN_NAMES = {"tech-wang": "王工"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 64


@dataclass
class FakeWorld:
    tickets: MemoryTickets
    files: MemoryFiles
    notifier: RecordingNotifier
    clock: FixedClock
    services: wiring.Services
    aftercare_store: MemoryAftercare
    dead_letters: MemoryDeadLetters
    # Outgoing webhooks: subscriptions and their log, the receiver's answers, the secrets they sign with.
    webhooks: MemoryWebhooks = field(default_factory=MemoryWebhooks)
    receiver: ScriptedReceiver = field(default_factory=ScriptedReceiver)
    secrets: dict[str, str] = field(default_factory=dict)
    webhook_service: WebhookService | None = None


# Every world a test made, so that the service tests can check the promise after each scenario.
WORLDS_MADE: list[FakeWorld] = []


def fake_world(
    *, desk_topic_arn: str | None = "arn:aws:sns:us-east-1:123456789012:desk", lookahead: timedelta = timedelta(0)
) -> FakeWorld:
    """``lookahead``: how far ahead the sweep also takes deadlines, waiting for each (the clock moves on)."""
    raw_tickets, files, notifier, clock = MemoryTickets(), MemoryFiles(), RecordingNotifier(), FixedClock()
    webhooks, receiver, secrets = MemoryWebhooks(), ScriptedReceiver(), dict[str, str]()
    # Every write's webhook deliveries go in with it; subscriptions are read afresh each time here.
    tickets = PublishingTickets(raw_tickets, SubscriptionCache(webhooks, seconds=0).current)
    # Every message to a person is recorded; a job (the approval's after-care) runs its subscribers, as on AWS.
    routes: dict[MessageChannel, Notifier] = {channel: notifier for channel in MessageChannel}
    bus = MessageBus()
    routes[MessageChannel.JOB] = routes[MessageChannel.AFTER_CARE] = bus
    routes[MessageChannel.WEBHOOK] = WebhookSender(webhooks, secrets.__getitem__, receiver, clock, max_attempts=3)
    dead_letters = MemoryDeadLetters()
    # Stored holiday schedules reach the calendars at once (no refresh interval in tests).
    stored_config = MemoryConfig(stored_rosters=[DEMO_ROSTER])
    config_store = HolidayAwareConfig(
        stored_config, HolidayCalendars(stored_config, timezone="Asia/Shanghai", refresh_seconds=0)
    )
    # A copy each: a test may take a contact away from its own world.
    staff = MemoryStaffDirectory({StaffRole.TECHNICIAN: ["tech-li", "tech-wang"]}, dict(TECHNICIAN_CONTACTS),
                                 names=TECHNICIAN_NAMES)
    notifications = NotificationService(MemoryOutbox(raw_tickets), RoutingNotifier(routes), clock, max_attempts=3,
                                        dead_letters=dead_letters, fallback=SmsFallback(tickets, config_store, staff))
    config = IntakeConfig(
        public_base_url="https://desk.example.com",
        desk_email="desk@example.com",
        desk_topic_arn=desk_topic_arn,
        timezone="Asia/Shanghai",
        max_photo_bytes=1024,
        upload_url_seconds=900,
    )
    sla = SlaService(
        tickets, config_store, notifications, JwtLinkSigner("test-secret-that-is-long-enough-for-hs256"), clock,
        SlaConfig(public_base_url="https://desk.example.com", timezone="Asia/Shanghai", climb_after=timedelta(hours=1),
                  lookahead=lookahead),
        staff=staff,
    )
    desk = DeskService(tickets, sla, clock,
                       notices=DispatchNotices(staff, notifications, "https://desk.example.com"))
    moves = TicketMoves(tickets, sla, clock)
    archive_store = MemoryArchive(raw_tickets)
    archive = ArchiveService(
        archive_store, files, MemoryFileReader(files), SpreadsheetFiles(), config_store, clock,
        ArchiveConfig(timezone="Asia/Shanghai"), bus=bus,
    )
    intake = IntakeService(tickets, files, notifications, sla, clock, config, archive=archive,
                           counters=raw_tickets.rate_counters, claims=MemoryUploadClaims())
    aftercare_store = MemoryAftercare(raw_tickets)
    aftercare = AftercareService(
        tickets, aftercare_store, archive_store, moves, intake, notifications,
        JwtLinkSigner("test-secret-that-is-long-enough-for-hs256"), clock,
        AftercareConfig(public_base_url="https://desk.example.com", timezone="Asia/Shanghai"),
    )
    services = wiring.Services(
        intake=intake,
        tracking=TrackingService(tickets, files, intake=intake, moves=moves),
        notifications=notifications,
        sla=sla,
        desk=desk,
        config=config_store,
        clock=clock,
        idempotency=MemoryIdempotency(),
        staff_tokens=CognitoTokens(region="us-east-1", user_pool_id="none", client_id="none"),
        staff_sign_in=CognitoSignIn("none"),
        queue=QueueService(tickets, sla, desk, files, staff, clock),
        field_work=FieldWorkService(tickets, moves, sla, files, intake, clock, notifications),
        billing=BillingService(
            tickets, moves, notifications, clock,
            BillingConfig(public_base_url="https://desk.example.com", timezone="Asia/Shanghai"),
        ),
        archive=archive,
        aftercare=aftercare,
        complaints=ComplaintService(tickets, moves, intake, sla, config_store, clock),
        staff_names=StaffNames(staff),
    )
    bus.connect(services)
    world = FakeWorld(raw_tickets, files, notifier, clock, services, aftercare_store, dead_letters, webhooks,
                      receiver, secrets, WebhookService(webhooks, secrets.__getitem__, clock))
    WORLDS_MADE.append(world)
    return world


class FakeStaffTokens:
    """Stands in for the staff pool's token check (``CognitoTokens.verify``) where a test has no pool: a token
    here is ``fake_staff_token(login, roles)``, and anything else is refused as an unsigned token is."""

    PREFIX = "fake-staff-token:"

    def verify(self, token: str) -> StaffUser:
        if not token.startswith(self.PREFIX):
            raise InvalidToken("not a token of the fake pool")
        username, _, roles = token.removeprefix(self.PREFIX).partition(":")
        return StaffUser(username=username, roles=frozenset(StaffRole(r) for r in roles.split(",") if r))


def fake_staff_token(username: str, roles: Iterable[StaffRole]) -> str:
    return FakeStaffTokens.PREFIX + f"{username}:{','.join(role.value for role in roles)}"


class UnreadableDirectory:
    """The staff directory when it cannot be read (a role that may not, Cognito throttling or out of reach)."""

    def contact(self, username: str) -> None:
        raise RuntimeError("the staff directory cannot be read")


def valid_report(**overrides: object) -> dict[str, object]:
    report: dict[str, object] = {
        "customer_name": "苏州精密机械有限公司",
        "contact_person": "王工",
        "phone": "13800138000",
        "email": "wang@example.cn",
        "province": "CN-JS",
        "city": "苏州",
        "address": "工业园区星湖街 328 号",
        "product_model": "KYN28-12",
        "serial_number": "SN-2026-0042",
        "description": "开关柜合闸后跳闸，车间停产。",
    }
    report.update(overrides)
    return report
