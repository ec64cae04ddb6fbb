"""Complaints' use cases (002 §4.3, 003 §3): record, commit a reply time, analyse, resolve with approvals,
track CAPA, close. The flow's rules and the role matrix are in ``chalicelib/domain/complaints.py``.

Every step is a ``TicketMoves.move`` (the lifecycle table and the ticket's versioned write), computed
from the freshly read ticket, so two people acting at once cannot overwrite each other's step.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from chalicelib.domain.complaint_roles import may_take
from chalicelib.domain.complaints import (
    COMPLAINT_PLAN,
    COMPLAINT_PLAN_NAME,
    Approver,
    CapaKind,
    CapaStatus,
    Cause,
    Complaint,
    ComplaintDetails,
    ComplaintRuleBroken,
    StepNotAllowed,
)
from chalicelib.domain.events import CapaRecord, ComplaintMoved, Stepped
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import Actor, SystemActor, name_of, staff_of
from chalicelib.domain.plans import ServicePlan
from chalicelib.domain.published import ComplaintTakenByPhone, job_item
from chalicelib.domain.sla import Schedule
from chalicelib.domain.ticket import Action, Kind, Ticket, TicketEvent
from chalicelib.services.moves import TicketMoves, UnknownTicket
from chalicelib.services.ports import Clock, ConfigStore, TicketOpening, TicketRepository
from chalicelib.services.sla import SlaService


class NotAComplaint(Exception):
    pass


class _RecordedAlready(Exception):
    """The complaint has its record: a repeated delivery of its first one changes nothing."""



_STEPS = {
    Action.RECORD_COMPLAINT: "record", Action.COMMIT_REPLY: "reply", Action.ANALYSE_COMPLAINT: "analyse",
    Action.PROPOSE_RESOLUTION: "propose", Action.APPROVE_RESOLUTION: "decide", Action.REJECT_RESOLUTION: "decide",
    Action.AGREE_RESOLUTION: "agree", Action.PLAN_CAPA: "capa", Action.UPDATE_CAPA: "capa_update",
    Action.CLOSE_COMPLAINT: "close",
}


@dataclass(frozen=True)
class ComplaintView:
    ticket: Ticket
    timeline: list[TicketEvent]
    schedule: Schedule


class ComplaintService:
    def __init__(self, tickets: TicketRepository, moves: TicketMoves, opening: TicketOpening, sla: SlaService,
                 config_store: ConfigStore, clock: Clock):
        self._tickets = tickets
        self._moves = moves
        self._opening = opening
        self._sla = sla
        self._config_store = config_store
        self._clock = clock

    # -- reading ---------------------------------------------------------------------------------

    def open_complaints(self) -> list[Ticket]:
        """Open tickets of kind complaint, oldest first (one short list, kept by the tickets' saves)."""
        return self._tickets.open_complaints()

    def view(self, number: str) -> ComplaintView:
        ticket = self._complaint_ticket(number)
        events = self._tickets.events(number)
        return ComplaintView(ticket, events, self._sla.schedule(ticket, events, self._clock.now()))

    # -- steps -----------------------------------------------------------------------------------

    def open(self, request: ServiceRequestInput, details: ComplaintDetails, *, actor: Actor, language: str) -> str:
        """A complaint taken on the phone: a new ticket of kind complaint, with its record.

        The ticket is opened here, not by a subscriber later: the desk commits a reply time on it before
        hanging up (003 §3.3) and tells the customer its number. Its record is published with it
        (``ComplaintTakenByPhone``, a job in the ticket's own write) and recorded by its subscriber at once,
        or by the job's retries should that fail: what the desk typed is never lost with the ticket kept,
        nor recorded twice."""
        user = staff_of(actor)
        if user is not None and not may_take(_STEPS[Action.RECORD_COMPLAINT], user.roles, None):
            raise StepNotAllowed(Action.RECORD_COMPLAINT.value)  # before a ticket is opened for nothing
        problems = details.check()
        if problems:
            raise ComplaintRuleBroken(next(iter(problems.values())))
        self._opening.check_photos(request.photos)
        number = self._opening.reserve_number()
        taken = ComplaintTakenByPhone(number=number, details=details, actor=name_of(actor))
        self._opening.open_reserved(
            request.model_copy(update={"kind": Kind.COMPLAINT}), number=number, language=language,
            actor=name_of(actor), outbox=[job_item(taken, at=self._clock.now(), message_id=uuid.uuid4().hex)])
        return number

    def record_taken(self, taken: ComplaintTakenByPhone) -> None:
        """The subscriber's step: the record of a complaint taken on the phone, unless it has one (an earlier
        delivery recorded it, or the desk did meanwhile: theirs stays)."""
        self._record(taken.number, taken.details, actor=SystemActor(taken.actor), first_only=True)

    def record(self, number: str, details: ComplaintDetails, *, actor: Actor) -> Ticket:
        return self._record(number, details, actor=actor)

    def _record(self, number: str, details: ComplaintDetails, *, actor: Actor, first_only: bool = False) -> Ticket:
        problems = details.check()
        if problems:
            raise ComplaintRuleBroken(next(iter(problems.values())))
        now = self._clock.now()

        def step(ticket: Ticket) -> ComplaintMoved:
            if ticket.complaint is not None:
                return _moved(Action.RECORD_COMPLAINT, ticket.complaint.model_copy(update={"details": details}))
            first = Complaint(details=details, recorded_by=name_of(actor), recorded_at=now)
            return _moved(Action.RECORD_COMPLAINT, first)

        def not_recorded(ticket: Ticket) -> None:
            if first_only and ticket.complaint is not None:
                raise _RecordedAlready()

        try:
            return self._step(number, Action.RECORD_COMPLAINT, actor, step, need_record=False, check=not_recorded)
        except _RecordedAlready:
            return self._complaint_ticket(number)

    def commit_reply(self, number: str, reply_by: datetime, *, actor: Actor) -> Ticket:
        """003 §3.3: the desk commits to a reply time before hanging up. It becomes the deadline of the
        complaint plan's "resolved" milestone (the date agreed, at most 3 working days)."""
        self._ensure_plan()
        now = self._clock.now()
        return self._step(
            number, Action.COMMIT_REPLY, actor,
            lambda t: _moved(Action.COMMIT_REPLY, _record(t).with_reply_by(reply_by, now), agreed_date=reply_by))

    def analyse(self, number: str, cause: Cause, department: str, analysis: str | None, *, actor: Actor) -> Ticket:
        return self._step(
            number, Action.ANALYSE_COMPLAINT, actor,
            lambda t: _moved(Action.ANALYSE_COMPLAINT, _record(t).analysed(cause, department, analysis), cause=cause),
            public=False)

    def propose(self, number: str, text: str, compensation: Decimal | None, *, actor: Actor) -> Ticket:
        now = self._clock.now()
        return self._step(
            number, Action.PROPOSE_RESOLUTION, actor,
            lambda t: _moved(Action.PROPOSE_RESOLUTION,
                             _record(t).proposed(text, compensation, by=name_of(actor), at=now)),
            public=False)

    def decide(self, number: str, step: Approver, approved: bool, *, actor: Actor, note: str = "") -> Ticket:
        now = self._clock.now()
        action = Action.APPROVE_RESOLUTION if approved else Action.REJECT_RESOLUTION
        return self._step(
            number, action, actor,
            lambda t: _moved(action, _record(t).decided(step, approved, by=name_of(actor), at=now, note=note)),
            public=False)

    def agree(self, number: str, *, actor: Actor) -> Ticket:
        """The customer is told the approved resolution and accepts it: the reply (003 §3.1). The record
        takes the agreement as the step records it (``Stepped.sets``)."""
        return self._step(number, Action.AGREE_RESOLUTION, actor)

    def plan_capa(self, number: str, kind: CapaKind, description: str, owner: str, due: date, *,
                  actor: Actor) -> Ticket:
        now = self._clock.now()

        def step(ticket: Ticket) -> ComplaintMoved:
            complaint, action = _record(ticket).with_capa(kind, description, owner, due, by=name_of(actor), at=now)
            return _moved(Action.PLAN_CAPA, complaint,
                          capa=CapaRecord(action=action.id, action_status=action.status.value))

        return self._step(number, Action.PLAN_CAPA, actor, step, public=False)

    def update_capa(self, number: str, action_id: str, status: CapaStatus, *, actor: Actor, verifier: bool,
                    note: str = "") -> Ticket:
        now = self._clock.now()

        def step(ticket: Ticket) -> ComplaintMoved:
            complaint, action = _record(ticket).capa_moved(action_id, status, by=name_of(actor), at=now, note=note,
                                                            verifier=verifier)
            return _moved(Action.UPDATE_CAPA, complaint,
                          capa=CapaRecord(action=action.id, action_status=action.status.value))

        return self._step(number, Action.UPDATE_CAPA, actor, step, public=False)

    def close(self, number: str, *, actor: Actor) -> Ticket:
        def check(ticket: Ticket) -> None:
            _record(ticket).check_closable()

        return self._step(number, Action.CLOSE_COMPLAINT, actor, check=check)

    # -- internals -------------------------------------------------------------------------------

    def _step(self, number: str, action: Action, actor: Actor, step: Callable[[Ticket], ComplaintMoved] | None = None,
              *, public: bool = True, need_record: bool = True,
              check: Callable[[Ticket], None] | None = None) -> Ticket:
        """``step``: the record as the step leaves it, decided on the ticket as read; none for closing, whose
        label says it all, or agreeing, which the step itself dates (``Stepped.sets``)."""

        def checks(ticket: Ticket) -> None:
            if ticket.kind != Kind.COMPLAINT:
                raise NotAComplaint(number)
            # Decided on the record as it is now: the approver the flow waits for may have changed.
            user = staff_of(actor)
            if user is not None and not may_take(_STEPS[action], user.roles, ticket.complaint):
                raise StepNotAllowed(action.value)
            if need_record:
                _record(ticket)
            if check is not None:
                check(ticket)

        return self._moves.move(number, action, actor=name_of(actor), check=checks, public=public,
                               step=step or (lambda ticket: Stepped.model_validate({"action": action})))

    def _complaint_ticket(self, number: str) -> Ticket:
        ticket = self._tickets.get(number)
        if ticket is None:
            raise UnknownTicket(number)
        if ticket.kind != Kind.COMPLAINT:
            raise NotAComplaint(number)
        return ticket

    def _ensure_plan(self) -> None:
        """The complaint plan is operator data; the first reply time stores the shipped one if none is."""
        if COMPLAINT_PLAN_NAME not in self._sla.plans():
            self._config_store.put_plan(ServicePlan.model_validate(COMPLAINT_PLAN))


def _moved(action: Action, complaint: Complaint, *, cause: Cause | None = None, capa: CapaRecord | None = None,
           agreed_date: datetime | None = None) -> ComplaintMoved:
    """What a step of the complaint records: its record as the step left it, and what the step was about."""
    return ComplaintMoved.model_validate({"action": action, "complaint": complaint,
                                          "cause": cause.value if cause else None, "capa": capa,
                                          "agreed_date": agreed_date})


def _record(ticket: Ticket) -> Complaint:
    if ticket.complaint is None:
        raise ComplaintRuleBroken("record_first")
    return ticket.complaint
