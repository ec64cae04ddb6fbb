"""The supervisor's and technician's moves on a ticket: classify, contact, dispatch, check in, pause.

Every move goes through ``Ticket.apply`` (the lifecycle table), is saved with its event under the
ticket's version, and recomputes when the SLA sweep must next look at the ticket and its schedule at a
glance (``Ticket.sla``), in the same transaction. The staff pages and the staff API call these use
cases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.billing import BillingReason, ReasonDoesNotFit, check_reason
from chalicelib.domain.events import (
    Cancelled,
    CheckedIn,
    Classification,
    Classified,
    ContactRecorded,
    Dispatched,
    EventPayload,
    Paused,
    PauseReason,
    Resumed,
)
from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.permissions import Actor, check_step, name_of
from chalicelib.domain.ticket import Action, Billing, Kind, Priority, Records, Ticket
from chalicelib.services.moves import AsRead, TicketMoves
from chalicelib.services.moves import UnknownTicket as UnknownTicket
from chalicelib.services.ports import Clock, TicketRepository
from chalicelib.services.sla import SlaService

if TYPE_CHECKING:
    from chalicelib.services.dispatch_notice import DispatchNotices


class DeskService:
    """``notices``: tells technicians of the jobs dispatched to them (none: nobody is told).

    ``actor``: the staff member taking the step, refused (``NotPermitted``) unless his roles take it
    (``domain/permissions.py``), or a ``SystemActor`` (a job or a subscriber) that answers for itself."""

    def __init__(self, tickets: TicketRepository, sla: SlaService, clock: Clock, *,
                 notices: DispatchNotices | None = None):
        self._tickets = tickets
        self._sla = sla
        self._clock = clock
        self._notices = notices
        self._moves = TicketMoves(tickets, sla, clock)

    def move(self, number: str, action: Action, *, actor: Actor, summary: str = "") -> Ticket:
        """Any lifecycle move by hand, saved as every move is (it only moves the job): for a system actor
        setting a job up, such as a test's; a staff member only takes a step the table gives his roles."""
        return self._move(number, action, actor, summary=summary)

    def classify(
        self,
        number: str,
        *,
        actor: Actor,
        priority: Priority | None = None,
        plan: str | None = None,
        in_province: bool | None = None,
        agreed_date: datetime | None = None,
        kind: Kind | None = None,
        billing: Billing | None = None,
        warranty: bool | None = None,
        billing_reason: BillingReason | None = None,
    ) -> Ticket:
        """Set or change priority, plan, province side or agreed date; deadlines follow from history.
        Kind, billing (free/paid, always with its reason: in warranty → free; out of warranty,
        transport damage, misuse, changed conditions → paid) and warranty are recorded with them
        (000 §4.3.1). A free job needs no stated reason: it is free inside the warranty."""
        if billing is not None:
            billing_reason = billing_reason or (BillingReason.IN_WARRANTY if billing == Billing.FREE else None)
            if billing_reason is None:
                raise ReasonDoesNotFit("a paid job needs its reason")
            check_reason(billing == Billing.PAID, billing_reason)
        # Only what was chosen is set: a field left out keeps what the ticket says.
        chosen = Classification.model_validate({
            k: v
            for k, v in {
                "priority": priority, "plan": plan, "in_province": in_province, "agreed_date": agreed_date,
                "kind": kind, "billing": billing, "billing_reason": billing_reason, "warranty": warranty,
            }.items()
            if v is not None
        })
        if plan is not None:
            self._sla.plans().get(plan)  # raises UnknownPlan before anything changes
        return self._move(number, Action.CLASSIFY, actor,
                          step=lambda ticket: Classified.setting(Action.CLASSIFY, chosen, ticket))

    def record_contact(self, number: str, *, actor: Actor, note: str = "") -> Ticket:
        return self._move(number, Action.RECORD_CONTACT, actor, details=ContactRecorded(note=note))

    def dispatch(self, number: str, *, actor: Actor, technicians: tuple[str, ...]) -> Ticket:
        """Each technician newly chosen gets the job's link by SMS (and email when known), in the dispatch's
        transaction; one already sent to the job has it, and is not told again by a re-dispatch."""
        notices = self._notices
        sent: list[OutboxMessage] = []
        was = AsRead()

        def tell(moved: Ticket) -> list[OutboxMessage]:
            chosen = tuple(name for name in technicians if name not in was.ticket.assignees)
            sent[:] = notices.messages(moved, chosen, self._clock.now()) if notices and chosen else []
            return sent

        moved = self._move(
            number, Action.DISPATCH, actor, check=was, outbox=tell,
            step=lambda ticket: Dispatched(assignees=technicians, previous=ticket.assignees),
        )
        if notices is not None and sent:
            notices.deliver(sent)
        return moved

    def check_in(self, number: str, *, actor: Actor) -> Ticket:
        return self._move(number, Action.CHECK_IN, actor, details=CheckedIn())

    def pause(self, number: str, *, actor: Actor, reason: PauseReason | str, note: str = "") -> Ticket:
        """``reason``: one of the pause form's reasons, or words of its own (then the reason is "other")."""
        if reason not in set(PauseReason):
            reason, note = PauseReason.OTHER, " ".join(part for part in (str(reason), note) if part)
        return self._move(number, Action.PAUSE, actor, details=Paused(reason=PauseReason(reason), note=note))

    def resume(self, number: str, *, actor: Actor) -> Ticket:
        return self._move(number, Action.RESUME, actor, records=lambda moved: Resumed(status=moved.status))

    def cancel(self, number: str, *, actor: Actor, reason: str) -> Ticket:
        """Withdrawn, a duplicate, or answered at once: the job ends and its deadlines with it."""
        return self._move(number, Action.CANCEL, actor, details=Cancelled(reason=reason))

    def _move(
        self, number: str, action: Action, actor: Actor, *, details: EventPayload | None = None,
        public: bool = True, check: Callable[[Ticket], None] | None = None,
        outbox: Callable[[Ticket], Sequence[OutboxMessage]] | None = None, records: Records | None = None,
        step: Callable[[Ticket], EventPayload] | None = None, summary: str = "",
    ) -> Ticket:
        def permitted(ticket: Ticket) -> None:
            check_step(actor, action, ticket)
            if check is not None:
                check(ticket)

        return self._moves.move(number, action, actor=name_of(actor), summary=summary, details=details, public=public,
                                check=permitted, outbox=outbox, records=records, step=step)
