"""The ticket aggregate: what a service request is, and the only moves its lifecycle allows.

The lifecycle is one transition table (``TRANSITIONS``). ``Ticket.apply`` is the single way to change a
ticket: it checks the move, bumps ``version`` (the optimistic-lock counter the repository conditions its
writes on) and returns the events that become the audit trail and the customer's timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, model_validator

from chalicelib.domain.aftercare import SurveyAnswer
from chalicelib.domain.billing import Account, BillingReason, Quote
from chalicelib.domain.closure import Acceptance, Closure, ClosureState, SignatureRefusal
from chalicelib.domain.complaints import Complaint
from chalicelib.domain.loaners import Loaner
from chalicelib.domain.overtime import OvertimeVisit
from chalicelib.domain.parts import Requisition
from chalicelib.domain.sla_projection import SlaProjection

if TYPE_CHECKING:
    from chalicelib.domain.events import EventPayload, Recorded, Unrecorded


class Kind(StrEnum):
    FAULT = "fault"
    INSTALLATION = "installation"
    MAINTENANCE = "maintenance"
    COMPLAINT = "complaint"
    CONSULTATION = "consultation"


class Priority(StrEnum):
    """000 §4.3.2: A critical (特急), B urgent (紧急), C general (一般)."""

    CRITICAL = "A"
    URGENT = "B"
    GENERAL = "C"


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    FAX = "fax"
    EMAIL = "email"
    VISIT = "visit"


class Billing(StrEnum):
    """000 §4.3.1: free inside the contract warranty; paid outside it or for transport damage, misuse or
    changed technical conditions."""

    FREE = "free"
    PAID = "paid"


class Status(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    AWAITING_APPROVAL = "awaiting_approval"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    SUBMIT = "submit"
    CLASSIFY = "classify"
    RECORD_CONTACT = "record_contact"
    DISPATCH = "dispatch"
    # The technician is on his way to the site: the supervisor and the customer see it before check-in.
    SET_OUT = "set_out"
    CHECK_IN = "check_in"
    REPORT_PROGRESS = "report_progress"
    PAUSE = "pause"
    RESUME = "resume"
    UPLOAD_ACCEPTANCE = "upload_acceptance"
    REFUSE_SIGNATURE = "refuse_signature"
    APPROVE = "approve"
    REJECT_CLOSURE = "reject_closure"
    CANCEL = "cancel"
    NOTIFY = "notify"
    ESCALATE = "escalate"
    ACKNOWLEDGE = "acknowledge"
    # The technician on site (000 §4.5): the arrival report to the supervisor (§4.5.4), start of
    # repair, fault resolved, and the report before leaving with the planned return date (§4.5.8).
    REPORT_ARRIVAL = "report_arrival"
    START_REPAIR = "start_repair"
    RESOLVE = "resolve"
    REPORT_DEPARTURE = "report_departure"
    # Paid jobs, parts and loaners (000 §4.3.1, 002 §6.1; chalicelib/domain/billing.py, parts.py,
    # loaners.py). They keep the job where it is; money can still be invoiced and collected once it closed.
    DECIDE_BILLING = "decide_billing"
    DRAFT_QUOTE = "draft_quote"
    SEND_QUOTE = "send_quote"
    APPROVE_QUOTE = "approve_quote"  # by the customer, from the tracking link: the service agreement
    DECLINE_QUOTE = "decline_quote"
    INVOICE = "invoice"
    RECORD_PAYMENT = "record_payment"
    REQUEST_PARTS = "request_parts"
    REVIEW_PARTS = "review_parts"
    PARTS_LEAD_TIME = "parts_lead_time"
    SHIP_PARTS = "ship_parts"
    RECEIVE_PARTS = "receive_parts"
    ISSUE_LOANER = "issue_loaner"
    RETURN_LOANER = "return_loaner"
    # After closure (chalicelib/domain/aftercare.py): the survey sent and answered, a callback.
    SEND_SURVEY = "send_survey"
    ANSWER_SURVEY = "answer_survey"
    RECORD_CALLBACK = "record_callback"
    # Complaints (chalicelib/domain/complaints.py: the flow and what each event carries).
    RECORD_COMPLAINT = "record_complaint"
    COMMIT_REPLY = "commit_reply"
    ANALYSE_COMPLAINT = "analyse_complaint"
    PROPOSE_RESOLUTION = "propose_resolution"
    APPROVE_RESOLUTION = "approve_resolution"
    REJECT_RESOLUTION = "reject_resolution"
    AGREE_RESOLUTION = "agree_resolution"
    PLAN_CAPA = "plan_capa"
    UPDATE_CAPA = "update_capa"
    CLOSE_COMPLAINT = "close_complaint"
    # The customer adds a note or photos from the tracking link while the ticket is open.
    ADD_INFORMATION = "add_information"
    # A visit on a holiday or outside working hours, asked for by the technician and decided by the
    # supervisor (000 §4.4.3, chalicelib/domain/overtime.py).
    REQUEST_OVERTIME = "request_overtime"
    DECIDE_OVERTIME = "decide_overtime"


OPEN_STATUSES = frozenset(s for s in Status if s not in (Status.CLOSED, Status.CANCELLED))
PAUSABLE = frozenset({Status.NEW, Status.TRIAGED, Status.DISPATCHED, Status.ON_SITE})


class Target(StrEnum):
    """Where a move leads when it is not one fixed status."""

    STAY = "stay"  # the job stays where it is: a note, a step of the paperwork, the money, a complaint's step
    BACK = "back"  # back to the status the ticket was paused from


class Rule(BaseModel):
    """``action`` is allowed from each of ``from_`` and leads to ``to``."""

    model_config = ConfigDict(frozen=True)

    action: Action
    from_: frozenset[Status]
    to: Status | Target


def _rule(action: Action, from_: Iterable[Status], to: Status | Target = Target.STAY) -> Rule:
    return Rule(action=action, from_=frozenset(from_), to=to)


def _rules(actions: Iterable[Action], from_: Iterable[Status], to: Status | Target = Target.STAY) -> list[Rule]:
    return [_rule(action, from_, to) for action in actions]


# The service job itself, one row per move and the statuses it starts from: from the report to the
# closed (or cancelled) job.
SERVICE_JOB: tuple[Rule, ...] = (
    # The desk: classify (again after dispatch: the date agreed, a priority change; the deadlines follow
    # from the new facts), contact, dispatch, pause and resume the clock, cancel.
    _rule(Action.CLASSIFY, (Status.NEW, Status.TRIAGED), Status.TRIAGED),
    _rule(Action.CLASSIFY, (Status.DISPATCHED,)),
    _rule(Action.DISPATCH, (Status.TRIAGED, Status.DISPATCHED), Status.DISPATCHED),
    _rule(Action.PAUSE, PAUSABLE, Status.WAITING_ON_CUSTOMER),
    _rule(Action.RESUME, (Status.WAITING_ON_CUSTOMER,), Target.BACK),
    _rule(Action.CANCEL, OPEN_STATUSES, Status.CANCELLED),
    # Notes and notices: allowed while the job is open, without moving it.
    *_rules((Action.RECORD_CONTACT, Action.NOTIFY, Action.ESCALATE, Action.ACKNOWLEDGE, Action.ADD_INFORMATION),
            OPEN_STATUSES),
    # On site (000 §4.5) and closure.
    _rule(Action.SET_OUT, (Status.DISPATCHED,)),
    _rule(Action.CHECK_IN, (Status.DISPATCHED,), Status.ON_SITE),
    *_rules((Action.REPORT_ARRIVAL, Action.START_REPAIR, Action.REPORT_PROGRESS, Action.RESOLVE), (Status.ON_SITE,)),
    _rule(Action.REPORT_DEPARTURE, (Status.ON_SITE, Status.AWAITING_APPROVAL)),
    # A visit outside working time is approved before it is made, or while the work goes on.
    *_rules((Action.REQUEST_OVERTIME, Action.DECIDE_OVERTIME), (Status.DISPATCHED, Status.ON_SITE,
                                                                  Status.WAITING_ON_CUSTOMER)),
    # The closure's steps that move the job (their order is the closure's own table, ``closure.CLOSURE_MOVES``).
    _rule(Action.UPLOAD_ACCEPTANCE, (Status.ON_SITE,), Status.AWAITING_APPROVAL),
    _rule(Action.APPROVE, (Status.AWAITING_APPROVAL,), Status.CLOSED),
    _rule(Action.REJECT_CLOSURE, (Status.AWAITING_APPROVAL,), Status.ON_SITE),
    # A complaint is a job too: committing the reply time triages a new one, closing it ends the job.
    _rule(Action.COMMIT_REPLY, (Status.NEW,), Status.TRIAGED),
    _rule(Action.COMMIT_REPLY, OPEN_STATUSES - {Status.NEW}),
    _rule(Action.CLOSE_COMPLAINT, OPEN_STATUSES, Status.CLOSED),
)

# The small aggregates the ticket carries, each with its own lifecycle table that orders its steps
# (``billing.QUOTE_MOVES`` and ``ACCOUNT_MOVES``, ``parts.PARTS_MOVES``, ``loaners.LOANER_MOVES``,
# ``aftercare.SURVEY_MOVES``, ``complaints.RESOLUTION_MOVES`` and ``CAPA_MOVES``, ``closure.CLOSURE_MOVES``):
# which of the job's statuses their steps may happen in. None of them moves the job.
ALONGSIDE_THE_JOB: tuple[tuple[frozenset[Action], frozenset[Status]], ...] = (
    # A refusal to sign is reported on site; the job stays there (000 §4.5.7).
    (frozenset({Action.REFUSE_SIGNATURE}), frozenset({Status.ON_SITE})),
    # Paid jobs, parts and loaners (000 §4.3.1, 002 §6.1) while the job is open; after closure the money
    # is still invoiced and collected, and a loaner comes back.
    (frozenset({Action.DECIDE_BILLING, Action.DRAFT_QUOTE, Action.SEND_QUOTE, Action.APPROVE_QUOTE,
                Action.DECLINE_QUOTE, Action.REQUEST_PARTS, Action.REVIEW_PARTS, Action.PARTS_LEAD_TIME,
                Action.SHIP_PARTS, Action.RECEIVE_PARTS, Action.ISSUE_LOANER}), OPEN_STATUSES),
    (frozenset({Action.INVOICE, Action.RECORD_PAYMENT, Action.RETURN_LOANER}), OPEN_STATUSES | {Status.CLOSED}),
    # After-care on the closed job (chalicelib/domain/aftercare.py).
    (frozenset({Action.SEND_SURVEY, Action.ANSWER_SURVEY, Action.RECORD_CALLBACK}), frozenset({Status.CLOSED})),
    # The complaint's own steps (chalicelib/domain/complaints.py) while it is open.
    (frozenset({Action.RECORD_COMPLAINT, Action.ANALYSE_COMPLAINT, Action.PROPOSE_RESOLUTION,
                Action.APPROVE_RESOLUTION, Action.REJECT_RESOLUTION, Action.AGREE_RESOLUTION, Action.PLAN_CAPA,
                Action.UPDATE_CAPA}), OPEN_STATUSES),
)

# The whole lifecycle: a move not listed is illegal.
LIFECYCLE: tuple[Rule, ...] = (
    *SERVICE_JOB,
    *(rule for actions, statuses in ALONGSIDE_THE_JOB for rule in _rules(sorted(actions), statuses)),
)


def _table(rules: Iterable[Rule]) -> dict[tuple[Status, Action], Status | Target]:
    table: dict[tuple[Status, Action], Status | Target] = {}
    for rule in rules:
        for status in rule.from_:
            if (status, rule.action) in table:
                raise ValueError(f"{rule.action.value} from {status.value} is declared twice")
            table[(status, rule.action)] = rule.to
    return table


# (status before, action) -> where it leads, read from ``LIFECYCLE``.
TRANSITIONS: Mapping[tuple[Status, Action], Status | Target] = MappingProxyType(_table(LIFECYCLE))


# The closure's state where the job's status says it (else it is open, or refused when a refusal is on file).
_CLOSURE_BY_STATUS = {Status.AWAITING_APPROVAL: ClosureState.FILED, Status.CLOSED: ClosureState.APPROVED}


# The payload a move of ticket fields records, read from the moved ticket.
Records = Callable[["Ticket"], "EventPayload"]
# The shape events are written in: 2 stores the typed payload; 1 (read through the upcasters of
# ``chalicelib/domain/events.py``) stored the changed fields ``before``/``after`` and an English summary.
EVENT_SCHEMA = 2


class IllegalTransition(Exception):
    """A move the lifecycle does not allow, e.g. approving a ticket nobody has worked on."""

    def __init__(self, status: Status, action: Action):
        super().__init__(f"cannot {action.value} a ticket that is {status.value}")
        self.status = status
        self.action = action


class Reporter(BaseModel):
    """Who reported the fault and where the product stands (000 §4.1.2)."""

    model_config = ConfigDict(frozen=True)

    customer_name: str
    contact_person: str | None = None
    phone: str
    phone_is_mobile: bool = False
    email: str | None = None
    province: str
    city: str | None = None
    address: str


class Product(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str
    serial_number: str | None = None
    order_number: str | None = None
    project_name: str | None = None


class TicketEvent(BaseModel):
    """One line of the audit trail: when, who, what the move recorded (its typed payload) and which of the
    ticket's fields it changed (``changed``; ``status``: where it led, when it moved the job)."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    actor: str
    action: Action
    payload: Recorded
    status: Status | None = None
    changed: tuple[str, ...] = ()
    public: bool = True
    # The words of an event whose payload says less: the English line a record of schema 1 was stored with,
    # or what a move made by hand said. Shown only for what the payload cannot say.
    summary: str = ""
    schema_version: int = EVENT_SCHEMA

    @model_validator(mode="before")
    @classmethod
    def _upcast(cls, data: Any) -> Any:
        """A record stored in schema 1 (or built so by a caller): its payload read from ``before``/``after``."""
        if not isinstance(data, dict) or "payload" in data:
            return data
        old = dict(data)
        before, after = old.pop("before", None) or {}, old.pop("after", None) or {}
        summary = old.get("summary", "")
        action = Action(old["action"])
        # ``before`` held exactly the fields the move changed; ``after`` also the facts it recorded.
        status = after.get("status") if "status" in before or action == Action.SUBMIT else None
        return {
            **old,
            "payload": _events.read_payload(action, before, after, summary),
            "status": status if isinstance(status, str) and status in set(Status) else None,
            "changed": [name for name in (after if action == Action.SUBMIT else before) if name in Ticket.model_fields],
            "schema_version": 1,
        }

    @model_validator(mode="after")
    def _one_action(self) -> TicketEvent:
        if self.payload.action != self.action:
            raise ValueError(f"a {self.action.value} event would not read back as the {type(self.payload).__name__}")
        return self

    @classmethod
    def recording(cls, payload: EventPayload, *, at: datetime, actor: str, public: bool = True) -> TicketEvent:
        """The event of a step outside the ticket's lifecycle (a ladder step, a take, a delivery)."""
        return cls(at=at, actor=actor, action=payload.action, payload=payload, public=public)


class Ticket(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: str
    version: int = 1
    status: Status = Status.NEW
    paused_from: Status | None = None
    kind: Kind = Kind.FAULT
    priority: Priority | None = None
    plan: str = "standard"
    in_province: bool = True
    agreed_date: datetime | None = None
    channel: Channel = Channel.WEB
    reporter: Reporter
    product: Product
    description: str
    suspected_cause: str | None = None
    preferred_time: str | None = None
    photo_keys: tuple[str, ...] = ()
    language: str = "zh-CN"
    created_at: datetime
    updated_at: datetime
    assignees: tuple[str, ...] = ()
    # Closure: the filed acceptance form with the work report, and the latest refusal to sign.
    acceptance: Acceptance | None = None
    refusal: SignatureRefusal | None = None
    billing: Billing | None = None  # set by the supervisor when classifying (None: not decided yet)
    warranty: bool | None = None  # inside the contract warranty? (None: not known)
    # Paid jobs, parts and loaners: why free/paid, the quote, the money, parts, loaners.
    billing_reason: BillingReason | None = None
    quote: Quote | None = None
    account: Account | None = None
    requisitions: tuple[Requisition, ...] = ()
    loaners: tuple[Loaner, ...] = ()
    overtime: tuple[OvertimeVisit, ...] = ()  # visits outside working time and their approval (000 §4.4.3)
    # The customer archive (002 §3.4): the customer and installed product this report was linked
    # to at intake (by serial number, else phone), and the last day that product's warranty covers.
    customer_id: str | None = None
    archived_serial: str | None = None
    warranty_until: date | None = None
    # After closure: when the survey went out and until when its link works; the answer.
    survey_sent_at: datetime | None = None
    survey_until: datetime | None = None
    survey: SurveyAnswer | None = None
    # A complaint's own record (kind complaint only).
    complaint: Complaint | None = None
    # The schedule at a glance, as the last write that changed it left it (lists read it, never timelines).
    sla: SlaProjection | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def gets_after_care(self) -> bool:
        """A closed job is followed up by a survey and a callback (chalicelib/domain/aftercare.py); a
        complaint is not: it ends with its own resolution and verification."""
        return self.status == Status.CLOSED and self.kind != Kind.COMPLAINT

    @property
    def closure(self) -> Closure:
        """The acceptance form and the refusal to sign as the closure's own aggregate. Where it stands follows
        the job: a job awaiting approval has its form filed (also one moved there by hand), a closed one
        approved."""
        state = _CLOSURE_BY_STATUS.get(self.status) or (ClosureState.REFUSED if self.refusal else ClosureState.OPEN)
        return Closure(state=state, acceptance=self.acceptance, refusal=self.refusal)

    def check_move(self, action: Action) -> None:
        """Raise ``IllegalTransition`` unless the job's table allows ``action`` now (an item's own table
        is asked after it, so the job's refusal is the one people see)."""
        self._next_status(action)

    def apply(
        self, action: Action, *, actor: str, at: datetime, details: EventPayload | None = None,
        records: Records | None = None, public: bool = True, summary: str = "",
    ) -> tuple[Ticket, TicketEvent]:
        """Move the ticket by ``action``; return the new ticket and the event that records the move.

        What the event records: ``details``, the move's payload, whose fields set the ticket's
        (``EventPayload.sets``: a classification, the quote as drafted, the requisition as shipped; none for
        a fact beside them, a check-in's location), or ``records``, read from the moved ticket (where a
        resumed job went back to). A move made by hand, with neither, records what its move of the job says
        (read as a stored record is), else ``summary``, its words. ``public=False`` keeps the event off the
        customer's timeline (internal reports).
        """
        update = details.sets(self, at) if details is not None else {}
        new_status = self._next_status(action)
        if new_status != self.status:
            update["status"] = new_status
        if action == Action.PAUSE:
            update["paused_from"] = self.status
        elif action == Action.RESUME:
            update["paused_from"] = None
        updated = self.model_copy(update={**update, "version": self.version + 1, "updated_at": at})
        payload = details or (records(updated) if records else _recorded(action, self, updated, update, summary))
        event = TicketEvent(
            at=at, actor=actor, action=action, payload=payload, changed=tuple(update), public=public,
            status=new_status if new_status != self.status else None,
            summary=payload.summary if isinstance(payload, _events.Unrecorded) else "",
        )
        return updated, event

    def _next_status(self, action: Action) -> Status:
        match TRANSITIONS.get((self.status, action)):
            case Target.STAY:
                return self.status
            case Target.BACK if self.paused_from is not None:
                return self.paused_from
            case Status() as to:
                return to
        raise IllegalTransition(self.status, action)


def open_ticket(
    *,
    number: str,
    reporter: Reporter,
    product: Product,
    description: str,
    kind: Kind,
    channel: Channel,
    at: datetime,
    actor: str,
    suspected_cause: str | None = None,
    preferred_time: str | None = None,
    photo_keys: tuple[str, ...] = (),
    language: str = "zh-CN",
    plan: str = "standard",
    in_province: bool = True,
    customer_id: str | None = None,
    archived_serial: str | None = None,
    warranty: bool | None = None,
    warranty_until: date | None = None,
    sms_withheld: str | None = None,
) -> tuple[Ticket, TicketEvent]:
    """A new ticket and its first event: the request as it came in (and, when the archive knew the
    customer or product, what it said about them; ``sms_withheld``: why no confirmation SMS went out)."""
    archive = {
        k: v
        for k, v in {"customer_id": customer_id, "archived_serial": archived_serial, "warranty": warranty,
                     "warranty_until": warranty_until}.items()
        if v is not None
    }
    ticket = Ticket(
        number=number,
        **archive,
        plan=plan,
        in_province=in_province,
        kind=kind,
        channel=channel,
        reporter=reporter,
        product=product,
        description=description,
        suspected_cause=suspected_cause,
        preferred_time=preferred_time,
        photo_keys=photo_keys,
        language=language,
        created_at=at,
        updated_at=at,
    )
    payload = _events.Submitted(
        channel=channel, kind=kind, plan=plan, in_province=in_province, sms_withheld=sms_withheld, **archive
    )
    event = TicketEvent(
        at=at, actor=actor, action=Action.SUBMIT, payload=payload, status=Status.NEW,
        changed=("status", "kind", "channel", "plan", "in_province", *archive),
    )
    return ticket, event


def format_ticket_number(year: int, sequence: int) -> str:
    """Readable, sortable and never reused: ``SD-2026-000123`` (the counter is per year)."""
    return f"SD-{year}-{sequence:06d}"


def _plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def _recorded(
    action: Action, was: Ticket, moved: Ticket, changed: Iterable[str], summary: str
) -> EventPayload | Unrecorded:
    """What a move given no payload (one made by hand) records: what its changed fields (the status, where a
    pause began) say, read as a stored record of schema 1 is (where a resumed job went back to);
    ``Unrecorded`` with ``summary`` when they say nothing its action records. ``summary`` is never read
    for facts: a move that records words people typed (a pause's reason, a cancel's) takes them as a
    payload, so one made without it (by hand) keeps its summary as said."""
    if action in _TYPED_WORDS:
        return _events.Unrecorded(action=action, summary=summary)
    names = list(changed)
    before = {name: _plain(getattr(was, name)) for name in names}
    after = {name: _plain(getattr(moved, name)) for name in names}
    payload = _events.read_payload(action, before, after, "")
    return _events.Unrecorded(action=action, summary=summary) if isinstance(payload, _events.Unrecorded) else payload


# Moves whose payload holds what people typed or a delivery's outcome, which no ticket field says.
_TYPED_WORDS = frozenset({Action.PAUSE, Action.CANCEL, Action.RECORD_CONTACT, Action.REJECT_CLOSURE, Action.NOTIFY})


# The payloads (chalicelib/domain/events.py) are written in the ticket's terms, so they load after it and
# complete ``TicketEvent`` there.
from chalicelib.domain import events as _events  # noqa: E402
