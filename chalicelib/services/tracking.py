"""What a customer sees through their tracking link: their own ticket, and only its public events."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.ticket import Ticket, TicketEvent
from chalicelib.services.ports import TicketRepository


class UnknownTrackingToken(Exception):
    """No ticket behind this link: mistyped, truncated, or made up."""


@dataclass(frozen=True)
class TrackedTicket:
    ticket: Ticket
    timeline: list[TicketEvent]


class TrackingService:
    def __init__(self, tickets: TicketRepository):
        self._tickets = tickets

    def find(self, token: str) -> TrackedTicket:
        if not token or len(token) > 200:
            raise UnknownTrackingToken()
        number = self._tickets.number_for_tracking_token(token)
        ticket = self._tickets.get(number) if number else None
        if ticket is None:
            raise UnknownTrackingToken()
        timeline = [e for e in self._tickets.events(ticket.number) if e.public]
        return TrackedTicket(ticket=ticket, timeline=timeline)
