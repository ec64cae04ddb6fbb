"""Files every ticket under its search terms (``chalicelib/domain/search.py``): the backfill for tickets
stored before staff search existed, or after the terms change. Safe to run again: a ticket whose entries
are current is left alone. A ticket stored before it carried its schedule at a glance (``Ticket.sla``)
gains it too, with its place in the supervisor's queue and on the short lists (complaints, unpaid
balances): until then the queue leaves it out.

    python -m ops.reindex                  # every ticket created since 2015
    python -m ops.reindex --since 2026-01  # only those created since a month

It reads tickets month by month from the ``by_month`` index (no Scan) and talks to whatever AWS the
environment names (``AWS_ENDPOINT_URL`` for the local stack) and the table in ``TABLE_NAME``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from chalicelib import wiring
from chalicelib.adapters.dynamodb_search import DynamoTicketSearch
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.decisions import awaits_supervisor
from chalicelib.domain.paid_work import open_requisitions
from chalicelib.domain.plans import UnknownPlan
from chalicelib.domain.queue import project
from chalicelib.domain.ticket import Ticket
from chalicelib.services.sla import SlaService
from chalicelib.settings import get_settings


def reindex(tickets: Iterable[Ticket], search: DynamoTicketSearch) -> tuple[int, int]:
    """(tickets read, tickets whose entries changed)."""
    read = changed = 0
    for ticket in tickets:
        read += 1
        changed += 1 if search.reindex(ticket) else 0
    return read, changed


def file_glances(tickets: Iterable[Ticket], store: DynamoTickets, sla: SlaService, now: datetime) -> int:
    """Gives each ticket without one its schedule at a glance, and an open job waiting for parts or for the
    supervisor its place on that list; how many were written."""
    written = 0
    for ticket in tickets:
        if ticket.sla is not None:
            if (ticket.is_open and open_requisitions(ticket)) or awaits_supervisor(ticket):
                written += 1 if store.file_glance(ticket) else 0
            continue
        events, taken, acknowledged = store.history(ticket.number)
        try:
            glanced, _ = sla.projected(ticket, events, now, taken, acknowledged)
        except UnknownPlan:
            glanced = ticket.model_copy(update={"sla": project(None, now, taken)})
        written += 1 if store.file_glance(glanced) else 0
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.reindex", description=__doc__.splitlines()[0])
    parser.add_argument("--since", default="2015-01", help="first month to reindex (yyyy-mm)")
    args = parser.parse_args(argv)
    try:
        start = datetime.strptime(args.since, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        parser.error("--since takes a month as yyyy-mm")
    settings = get_settings()
    tickets = DynamoTickets(settings.table_name, due_shards=settings.due_shards)
    # A day ahead: a ticket created while this runs, on a clock a little ahead, is not missed.
    end = datetime.now(UTC) + timedelta(days=1)
    read, changed = reindex(tickets.tickets_created_between(start, end), DynamoTicketSearch(settings.table_name))
    print(f"{read} tickets read, {changed} reindexed")
    services = wiring.services()
    glanced = file_glances(tickets.tickets_created_between(start, end), tickets, services.sla, services.clock.now())
    print(f"{glanced} schedules at a glance written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
