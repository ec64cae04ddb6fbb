"""The narrow interfaces the services need from the outside world.

Adapters in ``chalicelib/adapters`` implement them over AWS; ``chalicelib/adapters/memory.py`` implements
them in memory for fast service tests. The services never import boto3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.escalation import Roster
from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.plans import ServicePlan
from chalicelib.domain.ticket import Ticket, TicketEvent


class Clock(Protocol):
    def now(self) -> datetime: ...


class StaleTicket(Exception):
    """Someone else changed (or created) the ticket since it was read; reload and try again."""


class TicketRepository(Protocol):
    def next_number(self, year: int) -> int:
        """A number never handed out before, even after failed writes (gaps are fine, reuse is not)."""

    def create(
        self,
        ticket: Ticket,
        event: TicketEvent,
        tracking_token: str,
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None = None,
    ) -> None:
        """Store a new ticket, its first event, its tracking link and its first messages atomically.

        ``next_wake`` puts the ticket in the sweep's index: when its next deadline step is due.
        """

    def save(self, ticket: Ticket, events: Sequence[TicketEvent], next_wake: datetime | None = None) -> None:
        """Store a changed ticket (``version`` one above the stored one) or raise ``StaleTicket``."""

    def get(self, number: str) -> Ticket | None: ...

    def number_for_tracking_token(self, token: str) -> str | None: ...

    def events(self, number: str) -> list[TicketEvent]:
        """The timeline, oldest first."""

    def due_tickets(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        """(number, wake time) of tickets whose next deadline step is at or before ``now`` (an index
        query), earliest first."""

    def escalation_state(self, number: str) -> tuple[frozenset[str], frozenset[str]]:
        """The ladder steps already taken and the breaches acknowledged, for one ticket."""

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


class ConfigStore(Protocol):
    """Operator-editable configuration kept in the table: service plans and the escalation roster."""

    def plans(self) -> list[ServicePlan]: ...

    def rosters(self) -> list[Roster]: ...

    def put_plan(self, plan: ServicePlan) -> None: ...

    def put_roster(self, roster: Roster) -> None: ...


class LinkSigner(Protocol):
    """Signed, expiring links in messages (e.g. "acknowledge this escalation")."""

    def sign(self, claims: dict[str, Any], expires_in: timedelta) -> str: ...

    def verify(self, token: str) -> dict[str, Any]:
        """The claims, or raises ``BadLink``."""


class BadLink(Exception):
    """A link that was tampered with, expired, or never issued by us."""


class Outbox(Protocol):
    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]: ...

    def save(self, message: OutboxMessage, event: TicketEvent | None = None) -> None:
        """Store the message's new delivery state (and, when given, a timeline event of its ticket)."""


class Notifier(Protocol):
    """Sends one message. Raises ``DeliveryError`` when the provider refuses or fails."""

    def send(self, message: OutboxMessage) -> str:
        """Returns the provider's message id."""


class KeyReused(Exception):
    """An idempotency key came back with different content than the first time."""


class StillInProgress(Exception):
    """The first request with this idempotency key has not finished yet."""


class Idempotency(Protocol):
    def run(
        self, scope: str, key: str, payload: dict[str, Any], work: Callable[[], dict[str, Any]],
        lambda_context: Any = None,
    ) -> dict[str, Any]:
        """Run ``work`` once per (scope, key); repeats get the stored result."""


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
