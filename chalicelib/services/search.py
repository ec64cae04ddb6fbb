"""Finding tickets: a query is answered from the search index a page at a time, never by reading every
ticket, and the next page is reached through a signed cursor.

A page reads at most ``MAX_CHECKED`` candidates: when the filters keep few of them, the page comes back
short with a cursor, and the person asks for more.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.permissions import Actor, staff_of
from chalicelib.domain.plans import PlanRegistry, UnknownPlan
from chalicelib.domain.queue import sla_state
from chalicelib.domain.search import SearchPlan, SearchQuery, plan
from chalicelib.domain.sla_projection import SlaState
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Ticket
from chalicelib.services.ports import BadLink, Clock, LinkSigner, TicketRepository, TicketSearch
from chalicelib.services.queue import NextDeadline, next_deadline
from chalicelib.services.sla import SlaService

PAGE_SIZE = 20
CANDIDATES_PER_READ = 25
MAX_CHECKED = 200
CURSOR_LIFETIME = timedelta(hours=2)
_CURSOR_USE = "search-cursor"


class BadCursor(ValueError):
    """A cursor we did not sign, one for another query, or one that expired."""


@dataclass(frozen=True)
class SearchRow:
    ticket: Ticket
    # The SLA at a glance, from the projection the ticket's item carries (never its timeline); None for
    # a ticket stored before it had one and not yet reindexed (``ops.reindex`` gives it one).
    state: SlaState | None = None
    # Known when the projection says it, or when the overdue filter asked for it; None otherwise.
    overdue: bool | None = None
    next_deadline: NextDeadline | None = None  # from the projection too


@dataclass(frozen=True)
class SearchPage:
    rows: list[SearchRow]
    cursor: str | None  # the next page's, None on the last page
    searched: bool  # False: the query asked for nothing, so nothing was read


class SearchService:
    def __init__(self, search: TicketSearch, tickets: TicketRepository, sla: SlaService, signer: LinkSigner,
                 clock: Clock):
        self._search = search
        self._tickets = tickets
        self._sla = sla
        self._signer = signer
        self._clock = clock

    def search(
        self, query: SearchQuery, cursor: str | None = None, limit: int = PAGE_SIZE, *, reader: Actor
    ) -> SearchPage:
        """``BadCursor`` if ``cursor`` is not one this query's previous page handed out. ``reader``: who
        searches; a technician finds only the jobs dispatched to him, whatever the query names."""
        user = staff_of(reader)
        if user is not None and not user.roles - {StaffRole.TECHNICIAN}:
            query = query.model_copy(update={"assignee": user.username})
        found = plan(query)
        before = self._position(cursor, query) if cursor else None
        plans = self._sla.plans() if query.overdue else None  # once per search, not per ticket
        if found.number is not None:
            ticket = self._tickets.get(found.number)
            keep = ticket is not None and before is None and found.keeps(ticket) and self._overdue_kept(
                query, ticket, plans)
            return SearchPage([self._row(query, ticket)] if keep and ticket else [], None, True)
        if found.term is None:
            return SearchPage([], None, False)
        return self._pages(found, found.term, before, limit, plans)

    def _pages(self, found: SearchPlan, term: str, before: tuple[datetime, str] | None, limit: int,
               plans: PlanRegistry | None) -> SearchPage:
        rows: list[SearchRow] = []
        checked = 0
        while checked < MAX_CHECKED:
            batch = self._search.tickets_with_term(term, CANDIDATES_PER_READ, before)
            for ticket in batch:
                checked += 1
                before = (ticket.created_at, ticket.number)
                if found.keeps(ticket) and self._overdue_kept(found.query, ticket, plans):
                    rows.append(self._row(found.query, ticket))
                    if len(rows) == limit:
                        return SearchPage(rows, self._cursor(found.query, before), True)
            if len(batch) < CANDIDATES_PER_READ:
                return SearchPage(rows, None, True)
        return SearchPage(rows, self._cursor(found.query, before) if before else None, True)

    def _row(self, query: SearchQuery, ticket: Ticket) -> SearchRow:
        state = ticket.sla.state_at(self._clock.now()) if ticket.sla is not None else None
        overdue = (state == SlaState.BREACHED and ticket.is_open) if state is not None else None
        return SearchRow(ticket, state=state, overdue=True if query.overdue else overdue,
                         next_deadline=next_deadline(ticket.sla))

    def _overdue_kept(self, query: SearchQuery, ticket: Ticket, plans: PlanRegistry | None) -> bool:
        """Overdue: open with a deadline missed and still owed. The projection on the ticket's item says
        so; only a ticket stored before it had one has its schedule derived from the timeline."""
        if not query.overdue:
            return True
        if not ticket.is_open:
            return False
        if ticket.sla is not None:
            return ticket.sla.state_at(self._clock.now()) == SlaState.BREACHED
        try:
            schedule = self._sla.schedule(ticket, self._tickets.events(ticket.number), self._clock.now(), plans)
        except UnknownPlan:
            return False
        return sla_state(schedule, self._clock.now()) == SlaState.BREACHED

    # -- cursors -----------------------------------------------------------------------------------

    def _cursor(self, query: SearchQuery, position: tuple[datetime, str]) -> str:
        created, number = position
        claims = {"use": _CURSOR_USE, "q": _fingerprint(query), "at": created.isoformat(), "n": number}
        return self._signer.sign(claims, CURSOR_LIFETIME)

    def _position(self, cursor: str, query: SearchQuery) -> tuple[datetime, str]:
        try:
            claims: dict[str, Any] = self._signer.verify(cursor)
        except BadLink as error:
            raise BadCursor(str(error)) from None
        if claims.get("use") != _CURSOR_USE or claims.get("q") != _fingerprint(query):
            raise BadCursor("a cursor of another query")
        try:
            return datetime.fromisoformat(str(claims["at"])), str(claims["n"])
        except (KeyError, ValueError):
            raise BadCursor("not a position") from None


def _fingerprint(query: SearchQuery) -> str:
    """A cursor continues the query it was made for, not another one."""
    canonical = json.dumps(query.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]
