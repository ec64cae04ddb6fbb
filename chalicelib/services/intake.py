"""Opening a ticket from a customer's report, and handing out photo uploads for it.

The order matters: photos are checked before anything is stored; the ticket, its first event, its
tracking link and its messages are stored in one transaction; only then are messages sent, so a
provider outage can delay a confirmation but never lose a report.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from chalicelib.domain import uploads
from chalicelib.domain.escalation import DESK
from chalicelib.domain.intake import ServiceRequestInput, is_mobile_number
from chalicelib.domain.limits import Allowance, Limit
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.domain.regions import province_name
from chalicelib.domain.ticket import Product, Reporter, Ticket, TicketEvent, format_ticket_number, open_ticket
from chalicelib.i18n import t
from chalicelib.services.notifications import NotificationService
from chalicelib.services.ports import (
    Clock,
    FileStore,
    OverLimit,
    RateCounters,
    StaleTicket,
    TicketRepository,
    UploadClaims,
    UploadTicket,
)
from chalicelib.services.short_links import ShortLinks
from chalicelib.services.sla import SlaService

if TYPE_CHECKING:
    from chalicelib.services.archive import ArchiveLink

logger = Logger(child=True)

# Writes of a new ticket tried: once more after the SMS's own limit, once more should a drawn short link's
# id be taken.
STORE_ATTEMPTS = 3

@dataclass(frozen=True)
class IntakeLimits:
    """How often the anonymous front door may be used (``settings.py`` says why these defaults)."""

    reports_per_phone_hour: int = 5
    reports_per_ip_hour: int = 20
    sms_per_phone_day: int = 3
    international_sms: bool = False

    @property
    def per_phone(self) -> Limit:
        return Limit("intake_phone", self.reports_per_phone_hour, timedelta(hours=1))

    @property
    def per_ip(self) -> Limit:
        return Limit("intake_ip", self.reports_per_ip_hour, timedelta(hours=1))

    @property
    def sms(self) -> Limit:
        return Limit("confirmation_sms", self.sms_per_phone_day, timedelta(days=1))

    # What a customer adds to an open ticket from its tracking link, per ticket and per address.
    additions_per_ticket_hour: int = 10
    additions_per_ip_hour: int = 20

    @property
    def per_ticket_addition(self) -> Limit:
        return Limit("addition_ticket", self.additions_per_ticket_hour, timedelta(hours=1))

    @property
    def per_ip_addition(self) -> Limit:
        return Limit("addition_ip", self.additions_per_ip_hour, timedelta(hours=1))


@dataclass(frozen=True)
class IntakeConfig:
    public_base_url: str
    desk_email: str
    desk_topic_arn: str | None
    timezone: str
    max_photo_bytes: int
    upload_url_seconds: int
    home_province: str = "CN-JS"
    limits: IntakeLimits = field(default_factory=IntakeLimits)


@dataclass(frozen=True)
class PublicOrigin:
    """A report from the anonymous front door (the customer's form or the JSON API), from ``ip`` when
    known: it is limited per phone number and per address, and so are its confirmation SMS. Reports the
    desk types in, and tickets the office opens itself, have no origin and no limits."""

    ip: str | None = None


class TooManyReports(Exception):
    """The phone number (``scope`` "phone") or address ("ip") sent its reports for this window."""

    def __init__(self, scope: str, most: int, retry_after: int):
        super().__init__(f"over {most} reports from this {scope}; retry after {retry_after} s")
        self.scope = scope
        self.most = most
        self.retry_after = retry_after


@dataclass(frozen=True)
class Receipt:
    number: str
    tracking_token: str
    tracking_url: str


class PhotoRejected(Exception):
    """One or more attached photos cannot be accepted; each problem names the photo by its index."""

    def __init__(self, problems: list[tuple[int, str, uploads.UploadProblem]]):
        super().__init__(", ".join(f"{name}: {p.value}" for _, name, p in problems))
        self.problems = problems


class KnownCustomers(Protocol):
    """Who a new report is about, when the archive knows them (``ArchiveService`` does it)."""

    def link_for(self, serial_number: str | None, phone: str, now: datetime) -> ArchiveLink | None: ...


class IntakeService:
    def __init__(
        self,
        tickets: TicketRepository,
        files: FileStore,
        notifications: NotificationService,
        sla: SlaService,
        clock: Clock,
        config: IntakeConfig,
        *,
        archive: KnownCustomers | None = None,
        counters: RateCounters | None = None,
        claims: UploadClaims | None = None,
        short_links: ShortLinks | None = None,
    ):
        # ``archive``: when given, a report is linked to the customer and product on file.
        self._archive = archive
        # ``counters``: where the limits on anonymous reports count; without them nothing is limited.
        self._counters = counters
        # ``claims``: where each photo's one ticket is recorded; without them a photo is not tied to one.
        self._claims = claims
        # ``short_links``: the confirmation SMS's link is made short here and kept with the ticket.
        self._short_links = short_links
        self._tickets = tickets
        self._files = files
        self._notifications = notifications
        self._sla = sla
        self._clock = clock
        self._config = config

    def tracking_url(self, token: str) -> str:
        return f"{self._config.public_base_url.rstrip('/')}/t/{token}"

    def start_photo_upload(self, filename: str, content_type: str) -> UploadTicket:
        if content_type not in uploads.PHOTO_TYPES:
            raise PhotoRejected([(0, filename, uploads.UploadProblem.NOT_IMAGE)])
        return self._files.presign_upload(
            uploads.new_photo_key(filename),
            content_type,
            self._config.max_photo_bytes,
            self._config.upload_url_seconds,
        )

    def check_photo(self, key: str) -> uploads.UploadProblem | None:
        """Checks a landed photo and deletes it if refused, so nothing unchecked stays stored."""
        if not uploads.is_photo_key(key):
            return uploads.UploadProblem.BAD_KEY
        stored = self._files.inspect(key)
        problem = uploads.photo_problem(
            stored.size if stored else None, stored.head if stored else b"", self._config.max_photo_bytes,
            stored.content_type if stored else None,
        )
        if problem and stored:
            self._files.delete(key)
        return problem

    def reserve_number(self) -> str:
        year = self._clock.now().astimezone(ZoneInfo(self._config.timezone)).year
        return format_ticket_number(year, self._tickets.next_number(year))

    def give_back(self, number: str) -> None:
        """``number`` (of ``reserve_number``) goes to the next ticket, if no number was taken after it."""
        _, year, sequence = number.split("-")
        self._tickets.give_back_number(int(year), int(sequence))

    def open_reserved(
        self, request: ServiceRequestInput, *, number: str, language: str, actor: str,
        outbox: Sequence[OutboxMessage] = (),
    ) -> bool:
        """Opens ticket ``number`` (of ``reserve_number``) unless it is open already (False then, nothing
        written): the number is what makes opening it for one request twice open one ticket."""
        if self._tickets.get(number) is not None:
            return False
        try:
            self.submit(request, language=language, actor=actor, reserved=number, outbox=outbox)
        except StaleTicket:
            if self._tickets.get(number) is not None:
                return False
            raise
        return True

    def submit(
        self, request: ServiceRequestInput, *, language: str, actor: str = "customer",
        origin: PublicOrigin | None = None, submission: str | None = None, reserved: str | None = None,
        outbox: Sequence[OutboxMessage] = (),
    ) -> Receipt:
        """Raises ``PhotoRejected`` (also for a photo attached to another submission), or ``TooManyReports``
        for a report from ``origin`` over its limits. ``submission``: what identifies this report across
        retries (the form's idempotency key), so a retry may attach its own photos again. ``reserved``: the
        ticket's number, handed out before (``StaleTicket`` if it is taken); ``outbox``: jobs to write with
        the ticket."""
        self.check_photos(request.photos)

        now = self._clock.now()
        phone_is_mobile = is_mobile_number(request.phone)
        report, confirmation = self._limited_uses(request.phone, origin, sms=phone_is_mobile)
        sms_withheld = "international" if phone_is_mobile and self._international(request.phone) else None
        # Counted once the report is otherwise acceptable: a customer correcting a photo spends nothing. A
        # report without photos is counted in its ticket's own write; one with photos before its photos are
        # claimed, so a refused report holds none of them.
        together = not request.photos
        if not together and not self._count((*report, *confirmation), now, refused_may_be=("sms",)):
            self._count(report, now)  # the SMS's limit alone was reached: the report still counts
            sms_withheld = "limit"
        year = now.astimezone(ZoneInfo(self._config.timezone)).year
        sequence = self._tickets.next_number(year) if reserved is None else 0
        number = reserved or format_ticket_number(year, sequence)
        self._claim_photos(request.photos, submission or number)
        # Kept before the ticket is stored: a failure in between leaves a photo kept for nothing, never a
        # ticket whose photo expires.
        if request.photos:
            self._files.mark_attached(request.photos)
        link = self._archive.link_for(request.serial_number, request.phone, now) if self._archive else None

        def opened(sms_withheld: str | None) -> tuple[Ticket, TicketEvent]:
            return open_ticket(
                **(link.ticket_fields() if link else {}),
                number=number,
                reporter=Reporter(
                    customer_name=request.customer_name,
                    contact_person=request.contact_person,
                    phone=request.phone,
                    phone_is_mobile=phone_is_mobile,
                    email=request.email,
                    province=request.province,
                    city=request.city,
                    address=request.address,
                ),
                product=Product(
                    model=request.product_model,
                    serial_number=request.serial_number,
                    order_number=request.order_number,
                    project_name=request.project_name,
                ),
                description=request.description,
                suspected_cause=request.suspected_cause,
                preferred_time=request.preferred_time,
                photo_keys=tuple(dict.fromkeys(request.photos)),
                kind=request.kind,
                channel=request.channel,
                language=language,
                in_province=request.province == self._config.home_province,
                at=now,
                actor=actor,
                # On the ticket's timeline, so the desk can tell why a customer says no SMS came.
                sms_withheld=sms_withheld,
            )

        counted = (*report, *confirmation) if together else ()
        for _ in range(STORE_ATTEMPTS):
            try:
                receipt = self._store(*opened(sms_withheld), sms=phone_is_mobile and not sms_withheld, counted=counted,
                                      jobs=outbox)
                break
            except OverLimit as over:
                try:
                    self._judge(counted, over.answers, now, refused_may_be=("sms",))
                except TooManyReports:
                    # Nothing was stored under the number: it goes to the next report unless one took another.
                    if reserved is None:
                        self._tickets.give_back_number(year, sequence)
                    raise
                sms_withheld, counted = "limit", report  # the SMS's alone: the report still counts, no SMS
            except StaleTicket:
                if reserved is not None and self._tickets.get(reserved) is not None:
                    raise  # opened already (by an earlier delivery of the same request)
                continue  # a fresh number is never taken: a drawn short link's id was; draw again
        else:
            raise StaleTicket(number)
        token, sending = receipt
        if self._claims is not None and request.photos:
            self._claims.attach(request.photos, submission or number, number)
        self._notifications.deliver_claimed(sending)
        return Receipt(number=number, tracking_token=token, tracking_url=self.tracking_url(token))

    def _store(
        self, ticket: Ticket, event: TicketEvent, *, sms: bool, counted: tuple[tuple[str, Limit, str], ...],
        jobs: Sequence[OutboxMessage] = (),
    ) -> tuple[str, list[OutboxMessage]]:
        """The new ticket with its tracking link, messages and ``jobs`` (written claimed by this request, which
        sends them once it is stored), the SMS's short link and the ``counted`` uses, in one write: (token, to
        send)."""
        token = secrets.token_urlsafe(24)
        links = self._short_links if sms else None
        short = links.draft(f"/t/{token}") if links is not None else None
        messages = [*self._messages_for_new_ticket(ticket, self.tracking_url(token), sms=sms,
                                                   sms_link=links.address(short) if links and short else None),
                    *jobs]
        ticket, wake = self._sla.projected(ticket, [event], ticket.created_at)
        stored, sending = self._notifications.claimed_now(messages)
        self._tickets.create(ticket, event, token, stored, wake, short_links=[short] if short else (),
                             uses=[(limit, subject) for _, limit, subject in counted])
        return token, sending

    def admit_addition(self, number: str, photos: list[str], *, origin: PublicOrigin, submission: str) -> None:
        """Before a customer's addition to ticket ``number`` is recorded: its photos checked by their bytes
        (``PhotoRejected``), the addition counted per ticket and per address (``TooManyReports``, scope
        "ticket" or "ip"), then the photos claimed for ``submission`` and kept for the ticket."""
        self.check_photos(photos)
        limits = self._config.limits
        self._count((("ip", limits.per_ip_addition, origin.ip), ("ticket", limits.per_ticket_addition, number)),
                    self._clock.now())
        if not photos:
            return
        self._claim_photos(photos, submission)
        self._files.mark_attached(photos)
        if self._claims is not None:
            self._claims.attach(photos, submission, number)

    def _claim_photos(self, keys: list[str], owner: str) -> None:
        taken = set(self._claims.claim(keys, owner)) if self._claims is not None and keys else set()
        if taken:
            raise PhotoRejected([(i, uploads.display_name(key), uploads.UploadProblem.IN_USE)
                                 for i, key in enumerate(keys) if key in taken])

    def check_photos(self, keys: list[str]) -> None:
        """Raises ``PhotoRejected`` for any of ``keys`` not stored, too large or not an image."""
        problems = [(i, uploads.display_name(key), problem) for i, key in enumerate(keys)
                    if (problem := self.check_photo(key))]
        if problems:
            raise PhotoRejected(problems)

    def _limited_uses(
        self, phone: str, origin: PublicOrigin | None, *, sms: bool
    ) -> tuple[tuple[tuple[str, Limit, str], ...], tuple[tuple[str, Limit, str], ...]]:
        """What a report from the front door counts: against its address's and phone's limits and, when it
        would send one, its confirmation SMS against the number's. Only this SMS is limited: the desk's
        and the escalations' messages never count against it."""
        if origin is None or self._counters is None:
            return (), ()
        limits = self._config.limits
        # The address first: a script rotating phone numbers is stopped without spending their counters.
        report = tuple((scope, limit, subject) for scope, limit, subject in
                       (("ip", limits.per_ip, origin.ip), ("phone", limits.per_phone, phone)) if subject is not None)
        confirmation = (("sms", limits.sms, phone),) if sms and not self._international(phone) else ()
        return report, confirmation

    def _international(self, phone: str) -> bool:
        """An SMS to this number is not sent (confirmations go to China only, unless allowed)."""
        return not phone.startswith("+86") and not self._config.limits.international_sms

    def _count(self, checks: tuple[tuple[str, Limit, str | None], ...], now: datetime,
               refused_may_be: tuple[str, ...] = ()) -> bool:
        """Takes one from each (scope, limit, subject) in one write, or from none: the first limit reached
        raises, unless its scope is one that ``refused_may_be`` (then False, nothing counted)."""
        checks = tuple(check for check in checks if check[2] is not None)
        if self._counters is None or not checks:
            return True
        answers = self._counters.take_all([(limit, str(subject)) for _, limit, subject in checks], now)
        return self._judge(checks, answers, now, refused_may_be)

    def _judge(self, checks: Sequence[tuple[str, Limit, str | None]], answers: Sequence[Allowance], now: datetime,
               refused_may_be: tuple[str, ...] = ()) -> bool:
        """Raises ``TooManyReports`` for the first refused check whose scope is not one ``refused_may_be``;
        False when one of those was refused."""
        refused = [(scope, limit, answer) for (scope, limit, _), answer in zip(checks, answers, strict=True)
                   if not answer.allowed]
        for scope, limit, answer in refused:
            if scope not in refused_may_be:
                logger.warning("report over a limit", extra={"scope": scope})  # never who: no number, no address
                raise TooManyReports(scope, limit.most, answer.retry_after(now))
        return not refused

    def _messages_for_new_ticket(
        self, ticket: Ticket, link: str, *, sms: bool = True, sms_link: str | None = None
    ) -> list[OutboxMessage]:
        """``sms_link``: the link as the SMS carries it (short), when not ``link``."""
        lang, r, p = ticket.language, ticket.reporter, ticket.product
        now = ticket.created_at

        def message(purpose: str, channel: MessageChannel, to: str, subject: str, text: str) -> OutboxMessage:
            return OutboxMessage(
                id=uuid.uuid4().hex,
                ticket_number=ticket.number,
                purpose=purpose,
                channel=channel,
                recipient=to,
                subject=subject,
                text=text,
                created_at=now,
                next_attempt_at=now,
            )

        out = []
        if r.email:
            out.append(
                message(
                    "customer_confirmation",
                    MessageChannel.EMAIL,
                    r.email,
                    t(lang, "msg.customer.subject", number=ticket.number),
                    t(lang, "msg.customer.body", name=r.contact_person or r.customer_name, number=ticket.number,
                      model=p.model, link=link),
                )
            )
        if r.phone_is_mobile and sms:
            out.append(
                message(
                    "customer_confirmation",
                    MessageChannel.SMS,
                    r.phone,
                    "",
                    t(lang, "msg.customer.sms", number=ticket.number, link=sms_link or link),
                )
            )
        # Staff read Chinese; the desk copy carries every field so nobody has to open the system first.
        desk_subject = t(
            "zh-CN", "msg.desk.subject", number=ticket.number, customer=r.customer_name,
            province=province_name(r.province, "zh-CN"), model=p.model,
        )
        desk_body = t(
            "zh-CN", "msg.desk.body", number=ticket.number, channel=t("zh-CN", f"channel.{ticket.channel.value}"),
            kind=t("zh-CN", f"kind.{ticket.kind.value}"), customer=r.customer_name, contact=r.contact_person or "-",
            phone=r.phone, email=r.email or "-", province=province_name(r.province, "zh-CN"), city=r.city or "",
            address=r.address, model=p.model, serial=p.serial_number or "-", order=p.order_number or "-",
            project=p.project_name or "-", description=ticket.description, cause=ticket.suspected_cause or "-",
            preferred=ticket.preferred_time or "-", photos=len(ticket.photo_keys),
            staff_link=f"{self._config.public_base_url.rstrip('/')}/staff/tickets/{ticket.number}",
        )
        out.append(message("desk_new_ticket", MessageChannel.EMAIL, self._config.desk_email, desk_subject, desk_body))
        if self._config.desk_topic_arn:
            out.append(
                # SNS subjects must be ASCII.
                message("desk_new_ticket", MessageChannel.STAFF_TOPIC, self._config.desk_topic_arn,
                        t("zh-CN", "msg.desk.subject.ascii", number=ticket.number), desk_body)
            )
        out.extend(self._desk_chat_messages(ticket, message))
        return out

    def _desk_chat_messages(
        self, ticket: Ticket, message: Callable[[str, MessageChannel, str, str, str], OutboxMessage]
    ) -> list[OutboxMessage]:
        """The desk's team chats of the ticket's region (the roster's ``desk`` chats) hear of it in one
        short line with the staff link: the whole report is in the desk's email."""
        chats = self._sla.roster_book().chats(DESK, province=ticket.reporter.province)
        if not chats:
            return []
        text = t(
            "zh-CN", "msg.desk.chat", number=ticket.number, customer=ticket.reporter.customer_name,
            province=province_name(ticket.reporter.province, "zh-CN"), model=ticket.product.model,
            link=f"{self._config.public_base_url.rstrip('/')}/staff/tickets/{ticket.number}",
        )
        return [message("desk_new_ticket", MessageChannel.TEAM_CHAT, chat.address, "", text) for chat in chats]
