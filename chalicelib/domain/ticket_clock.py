"""Reads a ticket's event log as SLA clock facts, so deadlines are derived from history, never patched.

Re-classifying, pausing or a changed plan therefore recompute every deadline from the same log, with
paused time kept (the classic failure of "SLA stored on the ticket": pauses lost on re-classification).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from chalicelib.domain.events import Classified, Escalated, Paused
from chalicelib.domain.sla import FACT_FOR_ACTION, ClockFact, ClockFacts, FactKind
from chalicelib.domain.ticket import Action, Ticket, TicketEvent

CLASSIFICATION_FIELDS = ("priority", "plan", "in_province", "agreed_date")


def clock_facts(ticket: Ticket, events: Iterable[TicketEvent]) -> ClockFacts:
    timeline: list[ClockFact] = []
    for event in events:
        timeline.extend(clock_facts_of(event))
    return ClockFacts(
        created_at=ticket.created_at,
        priority=ticket.priority,
        plan=ticket.plan,
        in_province=ticket.in_province,
        agreed_date=ticket.agreed_date,
        timeline=tuple(timeline),
    )


def clock_facts_of(event: TicketEvent) -> list[ClockFact]:
    """What one event tells the SLA clock (nothing for most actions)."""
    payload = event.payload
    match payload:
        case Escalated(kind="notice"):
            return [ClockFact(at=event.at, kind=FactKind.ESCALATION_NOTICE)]
        case Escalated():
            return []
        case Paused(reason=reason, note=note):
            return [ClockFact(at=event.at, kind=FactKind.PAUSED, pause_reason=reason.value, note=note)]
        case Classified(action=Action.CLASSIFY, before=before, after=after):
            was, now = before.model_dump(), after.model_dump()
            return [
                ClockFact(at=event.at, kind=FactKind.RECLASSIFIED, field=field, before=_text(was[field]),
                          after=_text(now[field]))
                for field in CLASSIFICATION_FIELDS
                if field in after.changed and was[field] != now[field]
            ]
    kind = FACT_FOR_ACTION.get(event.action)
    if kind is None or kind == FactKind.RECLASSIFIED:
        return []
    return [ClockFact(at=event.at, kind=kind)]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
