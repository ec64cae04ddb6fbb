"""Publishes domain events (``chalicelib/domain/published.py``) to their subscribers.

A use case publishes what happened once its write is committed; it does not know who reacts. Who
reacts to what is one table (``chalicelib/services/subscribers.py``); the subscribers reach the services
they need through the container they are given, so a function that never publishes an event never
builds the services that react to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.published import Published, event_of
from chalicelib.services.ports import DeliveryError

if TYPE_CHECKING:
    from chalicelib.services.subscribers import Reactors


class MessageBus:
    """``reactors``: the services subscribers act through (a container; given later with ``connect``
    when the services are built after the bus that some of them publish on)."""

    def __init__(self, reactors: Reactors | None = None):
        self._reactors = reactors

    def connect(self, reactors: Reactors) -> None:
        self._reactors = reactors

    def publish(self, event: Published) -> None:
        """Runs every subscriber of the event, in the table's order; the first that raises stops it."""
        from chalicelib.services.subscribers import SUBSCRIBERS

        if self._reactors is None:
            raise RuntimeError("the bus has no services to act through yet")
        for subscriber in SUBSCRIBERS.get(type(event), ()):
            subscriber(event, self._reactors)

    def send(self, item: OutboxMessage) -> str:
        """Delivers a job (the outbox's ``JOB`` kind): publishing its event is its delivery. Any failure is
        a delivery failure, so the outbox retries it with backoff and finally parks it."""
        try:
            event = event_of(item)
        except ValueError as error:  # not an event this code knows: retrying will not help
            raise DeliveryError(f"unreadable job: {error}", permanent=True) from error
        try:
            self.publish(event)
        except Exception as error:  # DynamoDB, a stale write three times, anything: retry later
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        return f"{event.kind}:{event.subject}"
