"""Checks the promise that no deadline slips silently: every open ticket that still owes a ladder step
(a warning, or a breach level not yet taken) is in the sweep's ``due`` index, with a wake time no later
than that step. A ticket outside the index, or waking too late, would be escalated late or never.

    python -m ops.check_invariants        # one line per violation; exit status 1 if there is any

It talks to whatever AWS the environment names (``AWS_ENDPOINT_URL`` for the local stack, a profile
for AWS) and the table in ``TABLE_NAME``, and judges at the app's clock (the local clock file when
``LOCAL_MODE`` is on). The ``due`` index is eventually consistent: a ticket written in the last second
may show up once and be gone on a second run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib import wiring
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.queue import QueueFilter
from chalicelib.domain.ticket import Ticket
from chalicelib.services.ports import TicketRepository
from chalicelib.services.sla import SlaService
from chalicelib.settings import get_settings

# Later than any wake time: the whole index is read, not only what is due now.
END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)
WHOLE_INDEX = 10**9
PAGE = 1000  # open tickets read from the queue's index at a time


@dataclass(frozen=True)
class Violation:
    number: str
    step: str
    owed_at: datetime
    wake: datetime | None

    def __str__(self) -> str:
        where = "is not in the due index" if self.wake is None else f"wakes only at {self.wake:%Y-%m-%dT%H:%M:%SZ}"
        return f"{self.number}: owes {self.step} at {self.owed_at:%Y-%m-%dT%H:%M:%SZ} but {where}"


def due_index_violations(tickets: TicketRepository, sla: SlaService, now: datetime) -> list[Violation]:
    """Open tickets whose next owed ladder step would not be found by the sweep in time, as of ``now``."""
    wakes = dict(tickets.due_tickets(END_OF_TIME, WHOLE_INDEX))
    found = []
    for ticket in open_tickets(tickets):
        events, taken, acknowledged = tickets.history(ticket.number)
        owed = sla.owed_steps(ticket, events, now, taken, acknowledged)
        wake = wakes.get(ticket.number)
        if owed and (wake is None or wake > owed[0].at):
            found.append(Violation(ticket.number, owed[0].key, owed[0].at, wake))
    return found


def open_tickets(tickets: TicketRepository) -> Iterator[Ticket]:
    """Every open ticket, a page of the queue's index at a time (as the supervisor's queue reads them)."""
    after: str | None = None
    while True:
        page, after = tickets.queue_page(QueueFilter(), after, PAGE)
        yield from page
        if after is None:
            return


def main() -> int:
    settings = get_settings()
    services = wiring.services()
    tickets = DynamoTickets(settings.table_name, due_shards=settings.due_shards)
    violations = due_index_violations(tickets, services.sla, services.clock.now())
    for violation in violations:
        print(violation)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
