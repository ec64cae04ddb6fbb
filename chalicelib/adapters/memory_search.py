"""Staff search in memory, over ``MemoryTickets``: the same contract as ``DynamoTicketSearch`` (the
contract tests run both), with the terms worked out from each ticket as it is now."""

from __future__ import annotations

from datetime import datetime

from chalicelib.adapters.memory import MemoryTickets
from chalicelib.domain.search import search_terms
from chalicelib.domain.ticket import Ticket


class MemoryTicketSearch:
    """Implements ``TicketSearch``."""

    def __init__(self, tickets: MemoryTickets):
        self._tickets = tickets
        self.reads = 0  # tickets handed out, for "reads a page, not the table" checks

    def tickets_with_term(
        self, term: str, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[Ticket]:
        filed = [t for t in self._tickets.tickets.values() if term in search_terms(t)]
        newest_first = sorted(filed, key=lambda t: (t.created_at, t.number), reverse=True)
        if before is not None:
            newest_first = [t for t in newest_first if (t.created_at, t.number) < before]
        self.reads += min(limit, len(newest_first))
        return newest_first[:limit]
