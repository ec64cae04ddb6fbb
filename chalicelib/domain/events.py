"""What each move on a ticket records: one small model per action, the event a union told apart by ``action``.

Readers (timelines, the SLA clock, tracking, reports) ``match`` on these types instead of reading keys of
a dict, so a fact renamed by a writer shows as an ``Unrecorded`` event in the tests of the stored records
(``tests/unit/domain/test_stored_events.py``), not silently in a report months later.

An event is stored with its typed payload (``TicketEvent``, schema 2). Events written before were stored
in the shape the desk first wrote them (schema 1): the action, an English ``summary`` and the changed
ticket fields ``before``/``after``; they are kept for years and never rewritten. ``read_payload`` turns
that shape into the typed payload when such a record loads (the upcaster, one rule per action below); a
record that lacks what its action records (a move made by hand, a fact recorded only later) reads as
``Unrecorded``, whose summary is all there is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    TypeAdapter,
    ValidationError,
    model_serializer,
)

from chalicelib.domain import closure
from chalicelib.domain.aftercare import Callback as Callback  # the callback's record, recorded as is
from chalicelib.domain.aftercare import SurveyAnswer
from chalicelib.domain.billing import Account, BillingReason, Quote
from chalicelib.domain.closure import Acceptance, ArrivalReport, Departure, Location, SignatureRefusal
from chalicelib.domain.complaints import COMPLAINT_PLAN_NAME, Complaint, ComplaintRuleBroken
from chalicelib.domain.loaners import Loaner
from chalicelib.domain.overtime import OvertimeVisit
from chalicelib.domain.parts import Requisition
from chalicelib.domain.ticket import Action, Billing, Channel, Kind, Priority, Status, Ticket, TicketEvent


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True)

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        """The ticket's fields this move sets on ``ticket`` as it finds it (at ``at``), in the order the event
        names them. None here: the move records a fact beside the job's fields (a report, a note, a delivery)."""
        return {}


class Submitted(_Payload):
    """The request as it came in and what the customer archive said about it."""

    action: Literal[Action.SUBMIT] = Action.SUBMIT
    channel: Channel
    kind: Kind | None = None
    plan: str | None = None
    in_province: bool | None = None
    customer_id: str | None = None
    archived_serial: str | None = None
    warranty: bool | None = None
    warranty_until: date | None = None
    sms_withheld: str | None = None  # why the confirmation SMS was not sent (a code)


class Classification(_Payload):
    """The classifying fields of a ticket; only those a move set are in ``model_fields_set``."""

    priority: Priority | None = None
    plan: str | None = None
    in_province: bool | None = None
    agreed_date: datetime | None = None
    kind: Kind | None = None
    billing: Billing | None = None
    billing_reason: BillingReason | None = None
    warranty: bool | None = None

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(name for name in type(self).model_fields if name in self.model_fields_set)

    @model_serializer(mode="wrap")
    def _only_set(self, dump: SerializerFunctionWrapHandler) -> dict[str, object]:
        """Stored with the fields the move set only, so they read back as the ones it set."""
        fields: dict[str, object] = dump(self)
        return {name: value for name, value in fields.items() if name in self.model_fields_set}


class Classified(_Payload):
    """``after``: the fields the move set; ``before``: what they were."""

    action: Literal[Action.CLASSIFY, Action.DECIDE_BILLING]
    before: Classification = Classification()
    after: Classification

    @classmethod
    def setting(cls, action: Action, after: Classification, was: Ticket) -> Classified:
        """The move that sets ``after``'s fields on the ticket as it was (``was``)."""
        before = Classification.model_validate({name: getattr(was, name) for name in after.changed})
        return cls(action=action, before=before, after=after)

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {name: getattr(self.after, name) for name in self.after.changed}


class ContactRecorded(_Payload):
    action: Literal[Action.RECORD_CONTACT] = Action.RECORD_CONTACT
    note: str = ""


class Dispatched(_Payload):
    action: Literal[Action.DISPATCH] = Action.DISPATCH
    assignees: tuple[str, ...]
    previous: tuple[str, ...] = ()

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {"assignees": self.assignees}


class PauseReason(StrEnum):
    """Why the clock stops (the supervisor's form); ``OTHER`` says it in the typed note."""

    CUSTOMER_UNREACHABLE = "customer_unreachable"
    SITE_NOT_READY = "site_not_ready"
    CUSTOMER_REQUEST = "customer_request"
    OTHER = "other"


class Paused(_Payload):
    action: Literal[Action.PAUSE] = Action.PAUSE
    reason: PauseReason = PauseReason.OTHER
    note: str = ""


class Resumed(_Payload):
    action: Literal[Action.RESUME] = Action.RESUME
    status: Status  # where the job went back to


class Cancelled(_Payload):
    action: Literal[Action.CANCEL] = Action.CANCEL
    reason: str = ""


class CheckedIn(_Payload):
    action: Literal[Action.CHECK_IN] = Action.CHECK_IN
    location: Location | None = None


class ArrivalReported(_Payload):
    action: Literal[Action.REPORT_ARRIVAL] = Action.REPORT_ARRIVAL
    report: ArrivalReport


class ProgressReported(_Payload):
    action: Literal[Action.REPORT_PROGRESS] = Action.REPORT_PROGRESS
    text: str
    photos: tuple[str, ...] = ()


class DepartureReported(_Payload):
    action: Literal[Action.REPORT_DEPARTURE] = Action.REPORT_DEPARTURE
    departure: Departure


class InformationAdded(_Payload):
    """The customer's note and photos from the tracking page."""

    action: Literal[Action.ADD_INFORMATION] = Action.ADD_INFORMATION
    note: str = ""
    photos: tuple[str, ...] = ()

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        """The photos join the report's own (each once), so staff find them all on the ticket."""
        return {"photo_keys": tuple(dict.fromkeys((*ticket.photo_keys, *self.photos)))} if self.photos else {}


class AcceptanceFiled(_Payload):
    action: Literal[Action.UPLOAD_ACCEPTANCE] = Action.UPLOAD_ACCEPTANCE
    acceptance: Acceptance

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        filed = _closure_step(ticket, self.action, lambda c: closure.file_form(c, self.acceptance))
        return {"acceptance": filed.acceptance, "refusal": filed.refusal}


class SignatureRefused(_Payload):
    action: Literal[Action.REFUSE_SIGNATURE] = Action.REFUSE_SIGNATURE
    refusal: SignatureRefusal

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        refused = _closure_step(ticket, self.action, lambda c: closure.refuse_to_sign(c, self.refusal))
        return {"refusal": refused.refusal}


class ClosureRejected(_Payload):
    action: Literal[Action.REJECT_CLOSURE] = Action.REJECT_CLOSURE
    reason: str = ""

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {"acceptance": _closure_step(ticket, self.action, closure.reject).acceptance}


class Stepped(_Payload):
    """A move whose action says everything it records."""

    action: Literal[
        Action.APPROVE,
        Action.SET_OUT,
        Action.START_REPAIR,
        Action.RESOLVE,
        Action.AGREE_RESOLUTION,
        Action.CLOSE_COMPLAINT,
    ]

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        """The approval closes the closure too (asked of its table); the customer's agreement is the
        complaint's resolution agreed then."""
        if self.action == Action.APPROVE:
            _closure_step(ticket, self.action, closure.approve)
        elif self.action == Action.AGREE_RESOLUTION:
            return {"complaint": _complaint_of(ticket).agreed(at)}
        return {}


class OvertimeMoved(_Payload):
    """A visit outside working time asked for, or decided (000 §4.4.3)."""

    action: Literal[Action.REQUEST_OVERTIME, Action.DECIDE_OVERTIME]
    visit: OvertimeVisit

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {"overtime": _with(ticket.overtime, self.visit)}


class Notified(_Payload):
    """A message's delivery: sent, failed and retried later, or given up on."""

    action: Literal[Action.NOTIFY] = Action.NOTIFY
    message_id: str | None = None
    state: str | None = None  # the message's delivery state after this attempt
    outcome: Literal["sent", "retry", "failed"]
    channel: str
    recipient: str
    purpose: str = ""  # a sent message's purpose code
    error: str = ""  # why a delivery failed
    provider_id: str | None = None
    attempts: int | None = None
    # A staff SMS given up on: who heard of it instead, by email or team chat (``sms_budget.falls_back``).
    told_instead: tuple[str, ...] = ()


class Told(BaseModel):
    """Someone the ladder told of a step: at once, as the one on call, or held until their working time."""

    model_config = ConfigDict(frozen=True)

    name: str
    on_call: bool = False
    held_until: datetime | None = None


class Escalated(_Payload):
    """A step of the ladder taken: a warning, a breach climbing to ``level``, a prompt or a leaders' notice.
    ``told`` is None for steps taken before the ladder named who it told."""

    action: Literal[Action.ESCALATE] = Action.ESCALATE
    step: str | None = None
    kind: str
    milestone: str
    level: int
    role: str
    late_by_seconds: int | None = None
    rule: str | None = None
    told: tuple[Told, ...] | None = None


class Acknowledged(_Payload):
    """Someone took a step from its link (``breach``: the step's key, ``milestone@YYYYmmddTHHMMSSZ``)."""

    action: Literal[Action.ACKNOWLEDGE] = Action.ACKNOWLEDGE
    breach: str
    kind: str | None = None  # None: taken from a link signed before other steps than breaches could be taken
    level: int
    role: str


class Quoted(_Payload):
    """A step of the quote: drafted, sent, approved or declined; the quote as it then stood."""

    action: Literal[Action.DRAFT_QUOTE, Action.SEND_QUOTE, Action.APPROVE_QUOTE, Action.DECLINE_QUOTE]
    quote: Quote

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {"quote": self.quote}


class Charged(_Payload):
    """Invoiced or paid: the account as it then stood (a payment is its last one)."""

    action: Literal[Action.INVOICE, Action.RECORD_PAYMENT]
    account: Account

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {"account": self.account}


class PartsMoved(_Payload):
    """A step of one parts requisition, as it stood after the step."""

    action: Literal[
        Action.REQUEST_PARTS, Action.REVIEW_PARTS, Action.PARTS_LEAD_TIME, Action.SHIP_PARTS, Action.RECEIVE_PARTS
    ]
    requisition: Requisition

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {"requisitions": _with(ticket.requisitions, self.requisition)}


class LoanerMoved(_Payload):
    action: Literal[Action.ISSUE_LOANER, Action.RETURN_LOANER]
    loaner: Loaner

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {"loaners": _with(ticket.loaners, self.loaner)}


class SurveySent(_Payload):
    action: Literal[Action.SEND_SURVEY] = Action.SEND_SURVEY
    survey_sent_at: datetime | None = None
    survey_until: datetime

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {"survey_sent_at": self.survey_sent_at, "survey_until": self.survey_until}


class SurveyAnswered(_Payload):
    action: Literal[Action.ANSWER_SURVEY] = Action.ANSWER_SURVEY
    survey: SurveyAnswer

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        return {"survey": self.survey}


class CallbackRecorded(_Payload):
    action: Literal[Action.RECORD_CALLBACK] = Action.RECORD_CALLBACK
    callback: Callback


class CapaRecord(BaseModel):
    """Which corrective or preventive action a step touched, and its status after the step."""

    model_config = ConfigDict(frozen=True)

    action: str
    action_status: str


class ComplaintMoved(_Payload):
    """A step of a complaint, with its record as the step left it; ``cause`` when analysed, ``capa`` when
    an action was planned or moved, ``agreed_date`` when the reply time was committed."""

    action: Literal[
        Action.RECORD_COMPLAINT,
        Action.COMMIT_REPLY,
        Action.ANALYSE_COMPLAINT,
        Action.PROPOSE_RESOLUTION,
        Action.APPROVE_RESOLUTION,
        Action.REJECT_RESOLUTION,
        Action.PLAN_CAPA,
        Action.UPDATE_CAPA,
    ]
    complaint: Complaint
    cause: str | None = None
    capa: CapaRecord | None = None
    agreed_date: datetime | None = None

    def sets(self, ticket: Ticket, at: datetime) -> dict[str, object]:
        """The record as the step left it; the reply time committed is the job's agreed date, on the
        complaint plan."""
        if self.action == Action.COMMIT_REPLY:
            return {"complaint": self.complaint, "agreed_date": self.agreed_date, "plan": COMPLAINT_PLAN_NAME}
        return {"complaint": self.complaint}


_Item = TypeVar("_Item", Requisition, Loaner, OvertimeVisit)


def _with(items: tuple[_Item, ...], item: _Item) -> tuple[_Item, ...]:
    """``items`` with ``item`` in place of the one of its id, or last when it is new."""
    if any(old.id == item.id for old in items):
        return tuple(item if old.id == item.id else old for old in items)
    return items + (item,)


def _closure_step(ticket: Ticket, action: Action, step: Callable[[closure.Closure], closure.Closure]) -> closure.Closure:
    """The closure as its own table moves it; the job's table is asked first, so a job in the wrong status is
    refused as an ``IllegalTransition``."""
    ticket.check_move(action)
    return step(ticket.closure)


def _complaint_of(ticket: Ticket) -> Complaint:
    if ticket.complaint is None:
        raise ComplaintRuleBroken("record_first")
    return ticket.complaint


EventPayload = Annotated[
    Submitted
    | Classified
    | ContactRecorded
    | Dispatched
    | Paused
    | Resumed
    | Cancelled
    | CheckedIn
    | ArrivalReported
    | ProgressReported
    | DepartureReported
    | InformationAdded
    | AcceptanceFiled
    | SignatureRefused
    | ClosureRejected
    | Stepped
    | Notified
    | Escalated
    | Acknowledged
    | Quoted
    | Charged
    | PartsMoved
    | LoanerMoved
    | OvertimeMoved
    | SurveySent
    | SurveyAnswered
    | CallbackRecorded
    | ComplaintMoved,
    Field(discriminator="action"),
]
_PAYLOAD: TypeAdapter[EventPayload] = TypeAdapter(EventPayload)
# Every action some payload above records.
TYPED_ACTIONS = frozenset(
    action
    for model in get_args(get_args(EventPayload)[0])
    for action in get_args(model.model_fields["action"].annotation)
)


class Unrecorded(BaseModel):
    """A stored event without the facts its action records; its English summary says what happened."""

    model_config = ConfigDict(frozen=True)

    action: Action
    summary: str


def _recorded_as(value: object) -> str:
    if isinstance(value, dict):
        return "unrecorded" if "summary" in value else "typed"
    return "unrecorded" if isinstance(value, Unrecorded) else "typed"


# What an event records: its action's payload, or (a move that recorded nothing more) its summary.
Recorded = Annotated[
    Annotated[EventPayload, Tag("typed")] | Annotated[Unrecorded, Tag("unrecorded")], Discriminator(_recorded_as)
]


class NotRecorded(ValueError):
    """The stored shape lacks what the action records."""


# -- reading the stored shape of schema 1 (the upcasters) -------------------------------------------------

Stored = dict[str, Any]  # a record of schema 1, as stored: data from years of writers, read defensively

# How ``DeskService`` and the forms phrased the summaries that were once the only record of what was typed.
_PAUSE = re.compile(r"clock paused: (?P<reason>[a-z ]+?)(?: \((?P<note>.*)\))?", re.DOTALL)
_SENT = re.compile(r"(?P<channel>\S+) sent to (?P<recipient>.+) \((?P<purpose>[^()]*)\)", re.DOTALL)
_FAILED = re.compile(
    r"(?P<channel>\S+) to (?P<recipient>.+?) failed(?P<for_good> for good|, will retry): "
    r"(?P<error>.*)",
    re.DOTALL,
)


def read_payload(action: Action, before: Stored, after: Stored, summary: str) -> EventPayload | Unrecorded:
    """The typed payload of an event stored as ``before``/``after``/``summary``; ``Unrecorded`` when the
    record lacks what its action records."""
    try:
        return payload_of(action, before, after, summary)
    # Stored records are data from years of writers: whatever does not fit is shown by its summary.
    except (NotRecorded, ValidationError, LookupError, TypeError):
        return Unrecorded(action=action, summary=summary)


def payload_of(action: Action, before: Stored, after: Stored, summary: str) -> EventPayload:
    """As ``read_payload``, raising for a record that does not fit."""
    fields = _UPCASTERS.get(action, _as_is)(before, after, summary)
    return _PAYLOAD.validate_python({**fields, "action": action})


def _as_is(before: Stored, after: Stored, summary: str) -> Stored:
    return after


def _typed_after(prefix: str) -> Any:
    """What was typed after a fixed English ``prefix`` of the summary (``"cancelled: "``)."""

    def read(summary: str) -> str:
        if summary == prefix.rstrip(": "):
            return ""
        if not summary.startswith(prefix):
            raise NotRecorded(summary)
        return summary.removeprefix(prefix)

    return read


_contact_note = _typed_after("reporter contacted: ")
_cancel_reason = _typed_after("cancelled: ")
_rejection = _typed_after("closure rejected: ")


def _classified(before: Stored, after: Stored, summary: str) -> Stored:
    return {"before": before, "after": after}


def _contact(before: Stored, after: Stored, summary: str) -> Stored:
    return after if "note" in after else {"note": _contact_note(summary)}


def _dispatched(before: Stored, after: Stored, summary: str) -> Stored:
    if "assignees" not in after:
        raise NotRecorded("assignees")
    return {"assignees": after["assignees"], "previous": before.get("assignees") or ()}


def _paused(before: Stored, after: Stored, summary: str) -> Stored:
    if "reason" in after:
        return after
    found = _PAUSE.fullmatch(summary.strip())
    code = found["reason"].replace(" ", "_") if found else None
    if found and code in set(PauseReason):
        return {"reason": code, "note": found["note"] or ""}
    return {"reason": PauseReason.OTHER, "note": summary.strip().removeprefix("clock paused: ")}


def _resumed(before: Stored, after: Stored, summary: str) -> Stored:
    return after


def _cancelled(before: Stored, after: Stored, summary: str) -> Stored:
    return after if "reason" in after else {"reason": _cancel_reason(summary)}


def _rejected(before: Stored, after: Stored, summary: str) -> Stored:
    return after if "reason" in after else {"reason": _rejection(summary)}


def _notified(before: Stored, after: Stored, summary: str) -> Stored:
    if "outcome" in after:
        return after
    if sent := _SENT.fullmatch(summary):
        return {**after, "outcome": "sent", **sent.groupdict()}
    if failed := _FAILED.fullmatch(summary):
        outcome = "failed" if failed["for_good"] == " for good" else "retry"
        return {
            **after,
            "outcome": outcome,
            "channel": failed["channel"],
            "recipient": failed["recipient"],
            "error": failed["error"],
        }
    raise NotRecorded(summary)


def _changed_item(name: str, key: str) -> Any:
    """The one item of a list field (requisitions, loaners; each with an ``id``) the move added or changed."""

    def read(before: Stored, after: Stored, summary: str) -> Stored:
        was = {item["id"]: item for item in before.get(name) or []}
        changed = [item for item in after[name] if was.get(item["id"]) != item]
        if len(changed) != 1:
            raise NotRecorded(name)
        return {key: changed[0]}

    return read


def _complaint(before: Stored, after: Stored, summary: str) -> Stored:
    return {
        "complaint": after["complaint"],
        "cause": after.get("complaint_cause"),
        "capa": after.get("capa"),
        "agreed_date": after.get("agreed_date"),
    }


_UPCASTERS = {
    Action.CLASSIFY: _classified,
    Action.DECIDE_BILLING: _classified,
    Action.RECORD_CONTACT: _contact,
    Action.DISPATCH: _dispatched,
    Action.PAUSE: _paused,
    Action.RESUME: _resumed,
    Action.CANCEL: _cancelled,
    Action.REJECT_CLOSURE: _rejected,
    Action.NOTIFY: _notified,
    Action.REQUEST_PARTS: _changed_item("requisitions", "requisition"),
    Action.REVIEW_PARTS: _changed_item("requisitions", "requisition"),
    Action.PARTS_LEAD_TIME: _changed_item("requisitions", "requisition"),
    Action.SHIP_PARTS: _changed_item("requisitions", "requisition"),
    Action.RECEIVE_PARTS: _changed_item("requisitions", "requisition"),
    Action.ISSUE_LOANER: _changed_item("loaners", "loaner"),
    Action.RETURN_LOANER: _changed_item("loaners", "loaner"),
    Action.REQUEST_OVERTIME: _changed_item("overtime", "visit"),
    Action.DECIDE_OVERTIME: _changed_item("overtime", "visit"),
    **dict.fromkeys(
        (
            Action.RECORD_COMPLAINT,
            Action.COMMIT_REPLY,
            Action.ANALYSE_COMPLAINT,
            Action.PROPOSE_RESOLUTION,
            Action.APPROVE_RESOLUTION,
            Action.REJECT_RESOLUTION,
            Action.PLAN_CAPA,
            Action.UPDATE_CAPA,
        ),
        _complaint,
    ),
}


TicketEvent.model_rebuild(_types_namespace={"Recorded": Recorded, "EventPayload": EventPayload})
