"""The narrow interfaces the services need from the outside world.

Adapters in ``chalicelib/adapters`` implement them over AWS; ``chalicelib/adapters/memory.py`` implements
them in memory for fast service tests. The services never import boto3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.ticket import Ticket, TicketEvent


class Clock(Protocol):
    def now(self) -> datetime: ...


class StaleTicket(Exception):
    """Someone else changed (or created) the ticket since it was read; reload and try again."""


class TicketRepository(Protocol):
    def next_number(self, year: int) -> int:
        """A number never handed out before, even after failed writes (gaps are fine, reuse is not)."""

    def create(
        self, ticket: Ticket, event: TicketEvent, tracking_token: str, outbox: Sequence[OutboxMessage]
    ) -> None:
        """Store a new ticket, its first event, its tracking link and its first messages atomically."""

    def get(self, number: str) -> Ticket | None: ...

    def number_for_tracking_token(self, token: str) -> str | None: ...

    def events(self, number: str) -> list[TicketEvent]:
        """The timeline, oldest first."""


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
