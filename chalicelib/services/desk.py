"""The supervisor's and technician's moves on a ticket: classify, contact, dispatch, check in, pause.

Every move goes through ``Ticket.apply`` (the lifecycle table), is saved with its event under the
ticket's version, and recomputes when the SLA sweep must next look at the ticket. Staff pages and
their sign-in arrive with the dispatch issue; these use cases are what those pages will call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.ticket import Action, Priority, Ticket, TicketEvent
from chalicelib.services.ports import Clock, StaleTicket, TicketRepository
from chalicelib.services.sla import SlaService


class UnknownTicket(LookupError):
    pass


class DeskService:
    def __init__(self, tickets: TicketRepository, sla: SlaService, clock: Clock):
        self._tickets = tickets
        self._sla = sla
        self._clock = clock

    def classify(
        self,
        number: str,
        *,
        actor: str,
        priority: Priority | None = None,
        plan: str | None = None,
        in_province: bool | None = None,
        agreed_date: datetime | None = None,
    ) -> Ticket:
        """Set or change priority, plan, province side or agreed date; deadlines follow from history."""
        changes: dict[str, Any] = {
            k: v
            for k, v in {"priority": priority, "plan": plan, "in_province": in_province, "agreed_date": agreed_date}.items()
            if v is not None
        }
        if plan is not None:
            self._sla.plans().get(plan)  # raises UnknownPlan before anything changes
        summary = "classified " + ", ".join(f"{k}={getattr(v, 'value', v)}" for k, v in changes.items())
        return self._move(number, Action.CLASSIFY, actor, summary, changes)

    def record_contact(self, number: str, *, actor: str, note: str = "") -> Ticket:
        return self._move(number, Action.RECORD_CONTACT, actor, f"reporter contacted{': ' + note if note else ''}")

    def dispatch(self, number: str, *, actor: str, technicians: tuple[str, ...]) -> Ticket:
        return self._move(
            number, Action.DISPATCH, actor, f"dispatched {', '.join(technicians)}", {"assignees": technicians}
        )

    def check_in(self, number: str, *, actor: str) -> Ticket:
        return self._move(number, Action.CHECK_IN, actor, "technician checked in on site")

    def pause(self, number: str, *, actor: str, reason: str) -> Ticket:
        return self._move(number, Action.PAUSE, actor, f"clock paused: {reason}")

    def resume(self, number: str, *, actor: str) -> Ticket:
        return self._move(number, Action.RESUME, actor, "clock resumed")

    def _move(
        self, number: str, action: Action, actor: str, summary: str, changes: dict[str, Any] | None = None
    ) -> Ticket:
        for attempt in range(3):
            ticket = self._tickets.get(number)
            if ticket is None:
                raise UnknownTicket(number)
            now = self._clock.now()
            moved, event = ticket.apply(action, actor=actor, at=now, summary=summary, changes=changes)
            events: list[TicketEvent] = [*self._tickets.events(number), event]
            taken, acknowledged = self._tickets.escalation_state(number)
            try:
                self._tickets.save(moved, [event], self._sla.next_wake(moved, events, now, taken, acknowledged))
            except StaleTicket:
                if attempt == 2:
                    raise
                continue
            self._sla.act_now(number)
            return moved
        raise AssertionError("unreachable")
