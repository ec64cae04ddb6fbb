"""Saves one move of a ticket the way every use case saves it (the unit of work of a ticket).

The move goes through ``Ticket.apply`` (the lifecycle table), is saved with its event and any messages it
sends under the ticket's version, and recomputes when the SLA sweep must next look at the ticket, in the
same transaction; a concurrent write makes it read the ticket again and decide again. The use cases (the
desk, the technician's phone, paid work, complaints, after-care, the customer's additions) move tickets
through this, not through each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chalicelib.domain.events import EventPayload
from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.ticket import Action, Records, Ticket, TicketEvent
from chalicelib.services.ports import Clock, StaleTicket, TicketRepository
from chalicelib.services.sla import SlaService


class UnknownTicket(LookupError):
    pass


class AsRead:
    """A ``check`` that keeps the ticket as the move read it (on its last attempt), for what is decided after
    the move (whom a dispatch newly tells)."""

    def __init__(self) -> None:
        self._ticket: Ticket | None = None

    def __call__(self, ticket: Ticket) -> None:
        self._ticket = ticket

    @property
    def ticket(self) -> Ticket:
        if self._ticket is None:
            raise RuntimeError("the move has not read the ticket yet")
        return self._ticket


class TicketMoves:
    def __init__(self, tickets: TicketRepository, sla: SlaService, clock: Clock):
        self._tickets = tickets
        self._sla = sla
        self._clock = clock

    def move(
        self, number: str, action: Action, *, actor: str, summary: str = "", details: EventPayload | None = None,
        step: Callable[[Ticket], EventPayload] | None = None, records: Records | None = None, public: bool = True,
        check: Callable[[Ticket], None] | None = None,
        outbox: Callable[[Ticket], Sequence[OutboxMessage]] | None = None,
    ) -> Ticket:
        """Any lifecycle move. ``check`` runs on the freshly read ticket before the move (e.g. "is this
        technician assigned?") and raises to refuse it.

        What the move records, whose fields set the ticket's (``Ticket.apply``): ``details``, its payload, or
        ``step``, the payload decided on the freshly read ticket (so a retry after a concurrent write applies
        the rule again, e.g. adds a payment to the payments as they are now), or ``records``, read from the
        moved ticket; ``summary``: the words of a move that records nothing more (one made by hand).
        ``public`` goes to the event. ``outbox``: messages the moved ticket sends, written in the same
        transaction (the caller delivers them)."""
        for attempt in range(3):
            ticket = self._tickets.get(number)
            if ticket is None:
                raise UnknownTicket(number)
            if check is not None:
                check(ticket)
            if step is not None:
                details = step(ticket)
            now = self._clock.now()
            moved, event = ticket.apply(
                action, actor=actor, at=now, summary=summary, details=details, public=public, records=records
            )
            history, taken, acknowledged = self._tickets.history(number)
            events: list[TicketEvent] = [*history, event]
            moved, wake = self._sla.projected(moved, events, now, taken, acknowledged)
            messages = list(outbox(moved)) if outbox is not None else []
            try:
                if messages:
                    self._tickets.save(moved, [event], wake, outbox=messages)
                else:
                    self._tickets.save(moved, [event], wake)
            except StaleTicket:
                if attempt == 2:
                    raise
                continue
            if wake is not None and wake <= now:
                # A step is due at once (a job classified critical tells its leaders now, 000 §4.4.2.1);
                # otherwise the save above already put the ticket's next step in the sweep's index.
                self._sla.act_now(number)
            return moved
        raise AssertionError("unreachable")
