"""Files every ticket under its search terms (``chalicelib/domain/search.py``): the backfill for tickets
stored before staff search existed, or after the terms change. Safe to run again: a ticket whose entries
are current is left alone.

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

from chalicelib.adapters.dynamodb_search import DynamoTicketSearch
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.ticket import Ticket
from chalicelib.settings import get_settings


def reindex(tickets: Iterable[Ticket], search: DynamoTicketSearch) -> tuple[int, int]:
    """(tickets read, tickets whose entries changed)."""
    read = changed = 0
    for ticket in tickets:
        read += 1
        changed += 1 if search.reindex(ticket) else 0
    return read, changed


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
