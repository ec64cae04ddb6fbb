"""The narrow interfaces the services need from the outside world.

Adapters in ``chalicelib/adapters`` implement them over AWS; ``chalicelib/adapters/memory.py`` implements
them in memory for fast service tests. The services never import boto3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel

from chalicelib.domain.archive import Customer, InstalledProduct
from chalicelib.domain.escalation import Roster
from chalicelib.domain.holidays import YearSchedule
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.limits import Allowance, Limit
from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.plans import ServicePlan
from chalicelib.domain.queue import QueueFilter
from chalicelib.domain.short_links import ShortLink
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Status, Ticket, TicketEvent


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep_until(self, moment: datetime) -> None:
        """Returns once ``now()`` has reached ``moment`` (at once if it has)."""


class StaleTicket(Exception):
    """Someone else changed (or created) the ticket since it was read; reload and try again."""


class OverLimit(Exception):
    """A write that counted limited uses found no room for some (``answers``, one per use, in order):
    nothing was written."""

    def __init__(self, answers: list[Allowance]):
        super().__init__("over a limit")
        self.answers = answers


class TicketRepository(Protocol):
    def next_number(self, year: int) -> int:
        """A number never handed out before, even after failed writes (gaps are fine, reuse is not)."""

    def give_back_number(self, year: int, number: int) -> None:
        """``number`` (of ``next_number``, never stored) is handed out again if no later one was handed out
        meanwhile; otherwise it stays unused."""

    def create(
        self,
        ticket: Ticket,
        event: TicketEvent,
        tracking_token: str,
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None = None,
        *,
        short_links: Sequence[ShortLink] = (),
        uses: Sequence[tuple[Limit, str]] = (),
    ) -> None:
        """Store a new ticket, its first event, its tracking link and its first messages atomically.

        ``next_wake`` puts the ticket in the sweep's index: when its next deadline step is due.
        ``short_links``: its messages' short links, kept with it (``StaleTicket`` if an id is taken).
        ``uses``: limited uses counted in the same write, in the window of the ticket's creation
        (``RateCounters.take_all``): when any has no room, ``OverLimit`` and nothing is stored.
        """

    def save(
        self, ticket: Ticket, events: Sequence[TicketEvent], next_wake: datetime | None = None,
        outbox: Sequence[OutboxMessage] = (),
    ) -> None:
        """Store a changed ticket (``version`` one above the stored one) or raise ``StaleTicket``.

        ``outbox``: messages the change sends, written in the same transaction."""

    def add_tracking_link(self, number: str, token: str) -> None:
        """Another tracking link to the same ticket (e.g. in the message that sends a quote: only a
        hash of each token is stored, so the first link cannot be sent again)."""

    def receivable_tickets(self) -> list[Ticket]:
        """Paid jobs with a balance still to collect (``paid_work.has_balance_due``), open or closed;
        ``save`` keeps this list in step with the ticket."""

    def get(self, number: str) -> Ticket | None: ...

    def number_for_tracking_token(self, token: str) -> str | None: ...

    def events(self, number: str) -> list[TicketEvent]:
        """The timeline, oldest first."""

    def due_tickets(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        """(number, wake time) of tickets whose next deadline step is at or before ``now`` (an index
        query), earliest first."""

    def escalation_state(self, number: str) -> tuple[frozenset[str], frozenset[str]]:
        """The ladder steps already taken and the breaches acknowledged, for one ticket."""

    def history(self, number: str) -> tuple[list[TicketEvent], frozenset[str], frozenset[str]]:
        """``events`` and ``escalation_state`` in one read: what a move needs to reschedule the ticket."""

    def record_escalation(
        self,
        ticket: Ticket,
        step_keys: Sequence[str],
        events: Sequence[TicketEvent],
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None,
    ) -> bool:
        """Claim the steps and store their events and messages at once; False if any step was already
        claimed or the ticket changed meanwhile (then nothing is written)."""

    def record_acknowledgement(
        self, ticket: Ticket, breach: str, event: TicketEvent, next_wake: datetime | None
    ) -> bool:
        """False if this breach was already acknowledged (nothing is written then)."""

    def set_next_wake(self, ticket: Ticket, next_wake: datetime | None) -> bool:
        """Move the ticket in the sweep's index, unless it changed since it was read."""

    def open_tickets(self, statuses: Iterable[Status]) -> list[Ticket]:
        """Every ticket in one of ``statuses`` (an index query per status, never a scan), oldest first."""

    def queue_page(self, filters: QueueFilter, after: str | None, size: int) -> tuple[list[Ticket], str | None]:
        """Open tickets the filter keeps, the nearest running deadline first (``Ticket.sla``), tickets
        owing nothing last, oldest first among equals: ``size`` at most, from after the position
        ``after``, and the position to go on from (None: no more). A page costs a bounded number of
        index reads, so a rare filter may give a short page that still has a next one."""

    def open_complaints(self) -> list[Ticket]:
        """Open tickets of kind complaint, oldest first (the complaints list)."""

    def waiting_for_parts(self) -> list[Ticket]:
        """Open tickets with a parts requisition not yet received or rejected, oldest first."""

    def awaiting_supervisor(self) -> list[Ticket]:
        """Open jobs waiting for the supervisor's decision (``decisions.awaits_supervisor``), oldest first;
        ``save`` keeps this list in step with the ticket."""

    def tickets_for_technician(self, username: str) -> list[Ticket]:
        """Every ticket ``username`` is (or was last) dispatched to, open or not, oldest first.

        ``save`` keeps this in step with ``Ticket.assignees``: taken off a job, it leaves the list."""


@dataclass(frozen=True)
class StaffContact:
    """Where a staff member can be told something: a mobile number (E.164) and an email, if known."""

    phone: str | None = None
    email: str | None = None


class StaffDirectory(Protocol):
    """Who holds a staff role (Cognito groups on AWS), e.g. the technicians a supervisor can dispatch."""

    def list_staff(self, role: StaffRole) -> list[str]:
        """User names in ``role``, sorted."""

    def contact(self, username: str) -> StaffContact | None:
        """The person's phone and email as their account holds them; None if there is no such account."""

    def display_names(self) -> dict[str, str]:
        """Login -> the name people know them by (王工), for every account in a role that has one."""


class ConfigStore(Protocol):
    """Operator-editable configuration kept in the table: service plans, the escalation roster, and
    each year's holidays and make-up working days."""

    def plans(self) -> list[ServicePlan]: ...

    def rosters(self) -> list[Roster]: ...

    def calendars(self) -> list[YearSchedule]: ...

    def put_plan(self, plan: ServicePlan) -> None: ...

    def put_roster(self, roster: Roster) -> None: ...

    def replace_roster(self, roster: Roster) -> bool:
        """Store ``roster`` as the edit of the version it was read at (``roster.version``, 0: none stored),
        numbered one more; False, and nothing written, if another edit was stored meanwhile."""

    def put_calendar(self, schedule: YearSchedule) -> None: ...


class LinkSigner(Protocol):
    """Signed, expiring links in messages (e.g. "acknowledge this escalation")."""

    def sign(self, claims: dict[str, Any], expires_in: timedelta) -> str: ...

    def verify(self, token: str) -> dict[str, Any]:
        """The claims, or raises ``BadLink``."""


class BadLink(Exception):
    """A link that was tampered with, expired, or never issued by us."""


class Outbox(Protocol):
    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        """Messages to try (``notification.is_due``): pending ones whose time has come, and claimed ones
        whose sender did not finish within its lease."""

    def claim(self, seen: OutboxMessage, claimed: OutboxMessage, now: datetime) -> bool:
        """Store ``claimed`` (``notification.claim`` of ``seen``) if the stored message is still at
        ``seen``'s attempt and free: pending, or claimed with its lease run out at ``now``. False: another
        sender took it first, and nothing is written."""

    def finish(
        self, message: OutboxMessage, event: TicketEvent | None = None, follow_ups: Sequence[OutboxMessage] = ()
    ) -> bool:
        """Store the outcome of the claimed attempt ``message.attempts`` (and, when given, a timeline
        event of its ticket and new messages it causes, e.g. a fallback for a message given up on),
        unless another sender has claimed the message since; False then, and nothing is written."""

    def finish_all(self, outcomes: Sequence[tuple[OutboxMessage, TicketEvent | None]]) -> bool:
        """``finish`` for several attempts in one write: all of them, or (one was taken over) none."""


class Notifier(Protocol):
    """Sends one message. Raises ``DeliveryError`` when the provider refuses or fails."""

    def send(self, message: OutboxMessage) -> str:
        """Returns the provider's message id."""


class KeyReused(Exception):
    """An idempotency key came back with different content than the first time."""


class StillInProgress(Exception):
    """The first request with this idempotency key has not finished yet."""


class Idempotency(Protocol):
    def run(self, scope: str, key: str, payload: dict[str, Any], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run ``work`` once per (scope, key); repeats get the stored result. A repeat while the first
        run is still working waits for its result (``StillInProgress`` after a bounded wait); a first
        run that died holds the key for seconds only. ``KeyReused``: the key came with other content."""


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    head: bytes
    content_type: str | None


@dataclass(frozen=True)
class UploadTicket:
    """What a browser needs to upload one file straight to storage."""

    url: str
    fields: dict[str, str]
    key: str


class FileStore(Protocol):
    def presign_upload(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadTicket: ...

    def inspect(self, key: str) -> StoredFile | None:
        """Size, content type and the first bytes (for magic-number checks); None if absent."""

    def delete(self, key: str) -> None: ...

    def presigned_download(self, key: str, expires_in: int = 300) -> str: ...

    def put(self, key: str, body: bytes, content_type: str) -> None:
        """Store a file the app made itself (e.g. an acceptance form rendered from a drawn signature)."""

    def read(self, key: str, max_bytes: int) -> bytes | None:
        """The whole stored file, or None if it is missing or larger than ``max_bytes``."""

    def mark_attached(self, keys: Sequence[str]) -> None:
        """These uploads now belong to a ticket: storage must keep them. An upload never marked expires
        after a few days (the bucket's lifecycle rules)."""


class RateCounters(Protocol):
    """How often each anonymous caller (a phone number, an IP address) used something limited, per window
    (``domain/limits.py``). Counters expire with their window; nothing else reads them."""

    def take(self, limit: Limit, subject: str, now: datetime) -> Allowance:
        """Count one use by ``subject`` in the window of ``now``, unless ``limit.most`` uses were counted
        there already: then nothing is counted and the answer is not allowed. Safe under concurrency:
        two callers racing for the last use cannot both get it."""

    def take_all(self, uses: Sequence[tuple[Limit, str]], now: datetime) -> list[Allowance]:
        """``take`` for several (limit, subject) at once, all or none: each is counted unless any of them
        is at its limit; then none is, and the answers say which had no room left."""


class UploadClaims(Protocol):
    """Which submission each uploaded file was attached to: a key handed out once is attached once."""

    def claim(self, object_keys: Sequence[str], owner: str) -> list[str]:
        """Claim every key for ``owner`` at once, or none of them: returns the keys held by another owner,
        or already attached to a ticket, and then nothing is claimed. The same owner may claim its keys
        again until they are attached (a retry of a submission whose ticket was never stored)."""

    def attach(self, object_keys: Sequence[str], owner: str, number: str) -> None:
        """Record the ticket ``owner``'s keys now belong to: from then on nobody may claim them."""


# ---- the customer and product archive ----------------------------------------------------


class StaleRecord(Exception):
    """An archive record changed (or was created) since it was read; reload and try again."""


class SerialTaken(Exception):
    """Another installed product already has this serial number."""


class CustomerArchive(Protocol):
    """Customers and their installed products (keys and access patterns in ``adapters/keys.py``)."""

    def customer(self, customer_id: str) -> Customer | None: ...

    def customers(self, *, after: str | None = None, limit: int = 50) -> tuple[list[Customer], str | None]:
        """A page of customers in id order and the id to continue after (None on the last page)."""

    def search_names(self, text: str, limit: int = 50) -> list[Customer]:
        """Customers whose name or contact person contains ``text`` (case-insensitive)."""

    def customer_ids_by_phone(self, e164: str) -> list[str]: ...

    def for_report(self, serial_number: str | None, e164: str) -> tuple[InstalledProduct | None, list[str]]:
        """What a new report may be about, in one read: the product with this serial (None without one) and
        the ids of the customers with this phone."""

    def save_customer(self, customer: Customer, previous: Customer | None) -> None:
        """Create (``previous`` None) or replace ``previous`` with ``customer`` and keep the phone look-ups in
        step; raises ``StaleRecord`` if the stored record is not ``previous``."""

    def product(self, serial_number: str) -> InstalledProduct | None: ...

    def products_of(self, customer_id: str) -> list[InstalledProduct]: ...

    def save_product(self, product: InstalledProduct, previous: InstalledProduct | None) -> None:
        """Create or replace; raises ``SerialTaken`` when creating a serial that exists, ``StaleRecord`` when
        the stored product is not ``previous``."""

    def tickets_of(self, customer_id: str, limit: int = 50) -> list[Ticket]:
        """Tickets linked to this customer, newest first (an index query)."""


class FileReader(Protocol):
    def read(self, key: str, max_bytes: int) -> bytes | None:
        """The whole stored file, or None if it is missing or larger than ``max_bytes``."""


class UnreadableSheet(Exception):
    """Not a spreadsheet we can read (wrong type, damaged, or an encoding we do not know)."""


class SpreadsheetReader(Protocol):
    def rows(self, data: bytes, kind: str, max_rows: int) -> list[list[Any]]:
        """The first sheet's rows as cell values (``kind`` is "csv" or "xlsx"); raises ``UnreadableSheet``.
        Stops after ``max_rows`` rows."""


# -- the monthly report ------------------------------------------------------------------


class ReportBuild(BaseModel):
    """One computation of a month's report, in ``parts`` (its days), as recorded in the table."""

    month: str  # yyyy-mm
    build_id: str
    started_at: datetime
    computed_at: datetime  # the report's "as of" moment, the same for every part
    parts: int
    send: bool  # email it when assembled (the scheduled build)
    # Build the email when assembled but claim nothing and send nothing (a smoke test after a deploy).
    dry_run: bool = False
    done: frozenset[int] = frozenset()
    assembled_at: datetime | None = None

    @property
    def complete(self) -> bool:
        return len(self.done) >= self.parts


class ReportPartJob(BaseModel):
    """One part of a build: the tickets created in [start, end), as of ``computed_at``."""

    month: str
    build_id: str
    started_at: datetime
    index: int
    start: datetime
    end: datetime
    computed_at: datetime


class ReportQueue(Protocol):
    """Where parts of a report build wait for a worker (SQS on AWS and locally)."""

    def send(self, jobs: Sequence[ReportPartJob]) -> None: ...


class MonthlyTickets(Protocol):
    """What the monthly report reads and writes (``DynamoTickets`` and ``MemoryTickets`` have it)."""

    def tickets_created_between(self, start: datetime, end: datetime) -> Iterable[Ticket]:
        """Tickets created in [start, end), from the month index (never a scan)."""

    def events(self, number: str) -> list[TicketEvent]: ...

    def report_claimed(self, month: str) -> bool: ...

    def claim_report(self, month: str, at: datetime, outbox: Sequence[OutboxMessage]) -> bool:
        """Mark ``month``'s report as sent and store its messages at once; False if already claimed."""

    def start_report_build(self, build: ReportBuild) -> None: ...

    def report_build(self, month: str, started_at: datetime, build_id: str) -> ReportBuild | None: ...

    def latest_report_build(self, month: str) -> ReportBuild | None: ...

    def finish_report_part(self, month: str, started_at: datetime, build_id: str, index: int) -> ReportBuild | None:
        """Adds ``index`` to the build's done parts (twice is once) and returns the build as it is now."""

    def finish_report_build(self, month: str, started_at: datetime, build_id: str, at: datetime) -> None: ...


class ReportArchive(Protocol):
    """Files the app makes for itself and reads back (the report's MIME email, for retries)."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...

    def download_url(self, key: str, filename: str, expires_in: int = 300) -> str:
        """A short-lived link a browser downloads the file from, named ``filename``."""


class RawEmailSender(Protocol):
    """Sends a whole MIME message to one recipient (SES SendRawEmail or SMTP); raises DeliveryError."""

    def send_raw(self, recipient: str, mime: bytes) -> str: ...


# -- staff search ------------------------------------------------------------------------------------


class TicketSearch(Protocol):
    """Tickets by the search terms they are filed under (``domain/search.py``), from an index."""

    def tickets_with_term(
        self, term: str, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[Ticket]:
        """Up to ``limit`` tickets filed under ``term``, newest first (by created-at, then number),
        starting after the position ``before`` (a ticket's created-at and number). Fewer than ``limit``:
        there are no more."""


# -- opening a ticket from another use case -----------------------------------------------------------


class TicketOpening(Protocol):
    """What the after-care call and the complaint taken on the phone need from intake (``IntakeService``
    is it): a number at once, and opening its ticket once however often that is asked for."""

    def check_photos(self, keys: list[str]) -> None:
        """Raises ``PhotoRejected`` for a photo not stored, too large or not an image: asked before a number
        is reserved, so a refused request spends none."""

    def reserve_number(self) -> str:
        """A new ticket's number, handed out now for a ticket opened later (``open_reserved``)."""

    def give_back(self, number: str) -> None:
        """A reserved ``number`` that will open no ticket: the next one takes it, unless one came since."""

    def open_reserved(
        self, request: ServiceRequestInput, *, number: str, language: str, actor: str,
        outbox: Sequence[OutboxMessage] = (),
    ) -> bool:
        """Opens ticket ``number`` (of ``reserve_number``) for ``request``, with ``outbox`` written in the
        same write; False, writing nothing, when that ticket is open already."""
