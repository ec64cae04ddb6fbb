"""Complaints (002 §4.3, 003 §3): a ticket of kind ``complaint`` carries a ``Complaint`` record with its own
flow. Pure rules; every change returns a new record and is saved through ``Ticket.apply``.

The flow
--------
1. **Recorded** (``record_complaint``): order number, part number, ship date, quantity, defective quantity
   and what the customer asks; severity minor or severe.
2. **Reply time committed** (``commit_reply``, 003 §3.3: before hanging up). It becomes the ticket's
   ``agreed_date`` under the service plan ``complaint`` (``COMPLAINT_PLAN``: contact within 1 h, the
   reply by the agreed date and at most 3 working days, 003 §3.1), so the SLA clock shows and escalates it.
3. **Cause analysed** (``analyse_complaint``): quality / people / other, and the responsible department.
4. **Resolution** proposed (``propose_resolution``, optional compensation in CNY), approved
   (``approve_resolution`` / ``reject_resolution``) — a minor one without compensation needs no approval;
   a severe one needs the supervisor then the general manager; any compensation needs the general
   manager (003 §4.3) — then agreed with the customer (``agree_resolution``: this is the reply, the
   clock's "resolved" milestone).
5. **CAPA** (corrective and preventive actions, tracked by quality): each action
   open → in_progress → implemented → verified, with an owner and a due date (``plan_capa``,
   ``update_capa``). Only quality verifies.
6. **Closed** (``close_complaint``) once the resolution is agreed and every CAPA action is verified.

What the monthly report reads (``chalicelib/domain/reports.py``)
---------------------------------------------------------------
Each step records a ``ComplaintMoved`` (``chalicelib/domain/events.py``) with the whole record as the
step left it; the ticket's ``complaint`` field is the current record.

* ``analyse_complaint`` also records the ``cause``: ``quality`` | ``people`` | ``other``.
* ``plan_capa`` / ``update_capa`` also record which action moved (``capa``); the complaint's CAPA status
  (``Complaint.capa_status``) is its least advanced action's (all verified → ``verified``).

Who may do what (``complaint_roles.STEP_ROLES``; ``ComplaintService`` checks it on each step)
------------------------------------------------------------
=====================  ===================================================
step                   roles
=====================  ===================================================
see complaints         desk, supervisor, quality, general_manager, admin
record, reply time,    desk, supervisor, admin
propose, agree, close
analyse cause          supervisor, quality, admin
approve (supervisor)   supervisor
approve (GM)           general_manager
plan / update CAPA     quality, admin
verify CAPA            quality
=====================  ===================================================
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.lifecycle import Lifecycle

COMPLAINT_PLAN_NAME = "complaint"
# An operator plan (plain data, like those of ``ops.config``); ``ComplaintService`` stores it when the
# table has none, and operators may change it like any plan.
COMPLAINT_PLAN: dict[str, Any] = {
    "name": COMPLAINT_PLAN_NAME,
    "title": "Complaints (003 §3.1, §3.3)",
    "source": "003 §3",
    "calendar": {"kind": "business_hours"},
    "unclassified": {"milestones": {"contacted": "1h", "resolved": {"everywhere": {"agreed_date": True,
                                                                                  "within": "3d"}}}},
    "priorities": {
        p: {"milestones": {"contacted": "1h", "resolved": {"everywhere": {"agreed_date": True, "within": "3d"}}}}
        for p in "ABC"
    },
}


class Severity(StrEnum):
    MINOR = "minor"  # logged and handled by the desk (002 §4.3)
    SEVERE = "severe"  # complaint form with approvals


class Cause(StrEnum):
    QUALITY = "quality"
    PEOPLE = "people"  # non-quality: service, delivery, attitude
    OTHER = "other"


class CapaKind(StrEnum):
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"


class CapaStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"  # "done": carried out, waiting for quality to verify it worked
    VERIFIED = "verified"


CAPA_ORDER = (CapaStatus.OPEN, CapaStatus.IN_PROGRESS, CapaStatus.IMPLEMENTED, CapaStatus.VERIFIED)


class Approver(StrEnum):
    SUPERVISOR = "supervisor"
    GENERAL_MANAGER = "general_manager"


class ResolutionState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"  # every approval it needs is given (or it needs none)
    REJECTED = "rejected"
    AGREED = "agreed"  # told to and accepted by the customer: the reply


class ComplaintRuleBroken(Exception):
    """A step the complaint flow does not allow now; ``code`` names the rule (for messages)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class ResolutionMove(StrEnum):
    PROPOSE = "propose"  # a new proposal replaces the one before, until one is agreed
    ENDORSE = "endorse"  # an approval that is not the last one needed
    APPROVE = "approve"  # the last approval needed (or a proposal that needs none)
    REJECT = "reject"
    AGREE = "agree"  # the customer accepts it


_REFUSED_RESOLUTION = {ResolutionMove.PROPOSE: "already_agreed", ResolutionMove.AGREE: "not_approved"}

# The resolution's life: (state before, move, state after); ``None``: nothing proposed yet.
RESOLUTION_MOVES: Lifecycle[ResolutionState, ResolutionMove] = Lifecycle(
    [
        *((before, ResolutionMove.PROPOSE, ResolutionState.PROPOSED)
          for before in (None, ResolutionState.PROPOSED, ResolutionState.APPROVED, ResolutionState.REJECTED)),
        (ResolutionState.PROPOSED, ResolutionMove.ENDORSE, ResolutionState.PROPOSED),
        (ResolutionState.PROPOSED, ResolutionMove.APPROVE, ResolutionState.APPROVED),
        (ResolutionState.PROPOSED, ResolutionMove.REJECT, ResolutionState.REJECTED),
        (ResolutionState.APPROVED, ResolutionMove.AGREE, ResolutionState.AGREED),
    ],
    refuse=lambda state, move: ComplaintRuleBroken(_REFUSED_RESOLUTION.get(move, "nothing_to_approve")),
)

# A corrective action's life, one step forward at a time (the move names the status it leads to); only
# quality verifies, and may send an implemented action back to work (``QUALITY_STEPS``).
CAPA_MOVES: Lifecycle[CapaStatus, CapaStatus] = Lifecycle(
    [
        (CapaStatus.OPEN, CapaStatus.IN_PROGRESS, CapaStatus.IN_PROGRESS),
        (CapaStatus.IN_PROGRESS, CapaStatus.IMPLEMENTED, CapaStatus.IMPLEMENTED),
        (CapaStatus.IMPLEMENTED, CapaStatus.VERIFIED, CapaStatus.VERIFIED),
        (CapaStatus.IMPLEMENTED, CapaStatus.IN_PROGRESS, CapaStatus.IN_PROGRESS),  # back to work
    ],
    refuse=lambda state, move: ComplaintRuleBroken("capa_step"),
)
QUALITY_STEPS = frozenset({(CapaStatus.IMPLEMENTED, CapaStatus.VERIFIED), (CapaStatus.IMPLEMENTED, CapaStatus.IN_PROGRESS)})


class StepNotAllowed(Exception):
    """The staff member's roles do not take this step of a complaint (``STEP_ROLES``)."""


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ComplaintDetails(BaseModel):
    """What is recorded about the complained-of goods (002 §4.3)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_number: Short
    part_number: Short
    ship_date: date
    quantity: int = Field(ge=1, le=10_000_000)
    defective_quantity: int = Field(ge=0, le=10_000_000)
    customer_request: Text
    severity: Severity = Severity.MINOR

    def check(self) -> dict[str, str]:
        if self.defective_quantity > self.quantity:
            return {"defective_quantity": "defective_more_than_quantity"}
        return {}


class Approval(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: Approver
    by: str
    at: datetime
    approved: bool
    note: str = ""


class Resolution(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    compensation: Decimal | None = None  # CNY
    proposed_by: str
    proposed_at: datetime
    state: ResolutionState = ResolutionState.PROPOSED
    approvals: tuple[Approval, ...] = ()
    agreed_at: datetime | None = None


class CapaAction(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str  # "1", "2", … within the complaint
    kind: CapaKind
    description: str
    owner: str
    due: date
    status: CapaStatus = CapaStatus.OPEN
    updated_at: datetime
    updated_by: str
    note: str = ""

    def overdue(self, today: date) -> bool:
        return self.status in (CapaStatus.OPEN, CapaStatus.IN_PROGRESS) and today > self.due


class Complaint(BaseModel):
    model_config = ConfigDict(frozen=True)

    details: ComplaintDetails
    recorded_by: str
    recorded_at: datetime
    reply_by: datetime | None = None
    cause: Cause | None = None
    department: str | None = None
    analysis: str | None = None
    resolution: Resolution | None = None
    capa: tuple[CapaAction, ...] = ()

    # -- derived ---------------------------------------------------------------------------------

    @property
    def capa_status(self) -> CapaStatus | None:
        """The least advanced action's status; None without actions."""
        if not self.capa:
            return None
        return min((a.status for a in self.capa), key=CAPA_ORDER.index)

    def approvals_needed(self) -> tuple[Approver, ...]:
        """In order: the supervisor for severe complaints, the general manager for severe ones and for any
        compensation (003 §4.3)."""
        resolution = self.resolution
        compensation = bool(resolution and resolution.compensation)
        steps: list[Approver] = []
        if self.details.severity == Severity.SEVERE:
            steps.append(Approver.SUPERVISOR)
        if self.details.severity == Severity.SEVERE or compensation:
            steps.append(Approver.GENERAL_MANAGER)
        return tuple(steps)

    def next_approval(self) -> Approver | None:
        if self.resolution is None or self.resolution.state != ResolutionState.PROPOSED:
            return None
        given = {a.step for a in self.resolution.approvals if a.approved}
        return next((s for s in self.approvals_needed() if s not in given), None)

    # -- steps -----------------------------------------------------------------------------------

    def with_reply_by(self, reply_by: datetime, now: datetime) -> Complaint:
        if reply_by <= now:
            raise ComplaintRuleBroken("reply_in_past")
        return self.model_copy(update={"reply_by": reply_by})

    def analysed(self, cause: Cause, department: str, analysis: str | None) -> Complaint:
        return self.model_copy(update={"cause": cause, "department": department, "analysis": analysis})

    def proposed(self, text: str, compensation: Decimal | None, *, by: str, at: datetime) -> Complaint:
        state = RESOLUTION_MOVES.next(self.resolution.state if self.resolution else None, ResolutionMove.PROPOSE)
        if self.cause is None:
            raise ComplaintRuleBroken("analyse_first")
        draft = self.model_copy(update={"resolution": Resolution(
            text=text, compensation=compensation or None, proposed_by=by, proposed_at=at, state=state)})
        if not draft.approvals_needed():
            return draft._resolution_moved(ResolutionMove.APPROVE)
        return draft

    def decided(self, step: Approver, approved: bool, *, by: str, at: datetime, note: str = "") -> Complaint:
        """The next approver approves or rejects; approvals come in order (supervisor, then GM)."""
        needed = self.approvals_needed()
        move = ResolutionMove.REJECT if not approved else (
            ResolutionMove.APPROVE if needed and step == needed[-1] else ResolutionMove.ENDORSE)
        RESOLUTION_MOVES.next(self.resolution.state if self.resolution else None, move)
        if step != self.next_approval():
            raise ComplaintRuleBroken("not_your_turn")
        resolution = self.resolution
        assert resolution is not None
        approvals = (*resolution.approvals, Approval(step=step, by=by, at=at, approved=approved, note=note))
        return self.model_copy(update={"resolution": resolution.model_copy(update={"approvals": approvals})}
                               )._resolution_moved(move)

    def agreed(self, at: datetime) -> Complaint:
        return self._resolution_moved(ResolutionMove.AGREE, agreed_at=at)

    def _resolution_moved(self, move: ResolutionMove, **changes: object) -> Complaint:
        resolution = self.resolution
        state = RESOLUTION_MOVES.next(resolution.state if resolution else None, move)
        assert resolution is not None  # no move but a proposal starts from nothing
        return self.model_copy(update={"resolution": resolution.model_copy(update={"state": state, **changes})})

    def with_capa(self, kind: CapaKind, description: str, owner: str, due: date, *, by: str,
                  at: datetime) -> tuple[Complaint, CapaAction]:
        if self.cause is None:
            raise ComplaintRuleBroken("analyse_first")
        action = CapaAction(id=str(len(self.capa) + 1), kind=kind, description=description, owner=owner, due=due,
                            updated_at=at, updated_by=by)
        return self.model_copy(update={"capa": (*self.capa, action)}), action

    def capa_moved(self, action_id: str, status: CapaStatus, *, by: str, at: datetime, note: str = "",
                   verifier: bool) -> tuple[Complaint, CapaAction]:
        """Forward one step at a time; only quality verifies, and may send an unverified action back to
        in progress."""
        found = next((a for a in self.capa if a.id == action_id), None)
        if found is None:
            raise ComplaintRuleBroken("no_such_action")
        CAPA_MOVES.next(found.status, status)
        if (found.status, status) in QUALITY_STEPS and not verifier:
            raise ComplaintRuleBroken("quality_verifies")
        moved = found.model_copy(update={"status": status, "updated_at": at, "updated_by": by, "note": note})
        return self.model_copy(update={"capa": tuple(moved if a.id == action_id else a for a in self.capa)}), moved

    def check_closable(self) -> None:
        if self.resolution is None or self.resolution.state != ResolutionState.AGREED:
            raise ComplaintRuleBroken("not_agreed")
        if any(a.status != CapaStatus.VERIFIED for a in self.capa):
            raise ComplaintRuleBroken("capa_not_verified")
