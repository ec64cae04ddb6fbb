"""What a customer sees through their tracking link: their own ticket's public facts, nothing else.

The customer's view is built up from an allow-list — the state, the times, the milestones reached and
the quote for them to answer — never by filtering what the office recorded. Staff notes, user names,
plans, billing basis and classification never reach it, whatever a move records in the future: a new
kind of event stays off the customer's page until it is given a milestone here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.billing import QuoteLine, QuoteState
from chalicelib.domain.events import Classified, ComplaintMoved, InformationAdded, PartsMoved
from chalicelib.domain.intake import CustomerAdditionInput
from chalicelib.domain.ticket import Action, IllegalTransition, Kind, Status, Ticket, TicketEvent
from chalicelib.services.ports import FileStore, TicketRepository

if TYPE_CHECKING:
    from chalicelib.services.intake import PublicOrigin
    from chalicelib.services.moves import TicketMoves


class UnknownTrackingToken(Exception):
    """No ticket behind this link: mistyped, truncated, or made up."""


class Milestone(StrEnum):
    """What the customer is told happened; each says it in their language (``track.step.<value>``)."""

    RECEIVED = "received"
    REVIEWED = "reviewed"
    CONTACTED = "contacted"
    DISPATCHED = "dispatched"
    ON_THE_WAY = "on_the_way"
    ARRIVED = "arrived"
    REPAIR_STARTED = "repair_started"
    RESOLVED = "resolved"
    PAUSED = "paused"
    RESUMED = "resumed"
    ACCEPTANCE_SIGNED = "acceptance_signed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    QUOTE_SENT = "quote_sent"
    QUOTE_APPROVED = "quote_approved"
    QUOTE_DECLINED = "quote_declined"
    PARTS_EXPECTED = "parts_expected"
    PARTS_SHIPPED = "parts_shipped"
    PARTS_RECEIVED = "parts_received"
    LOANER_ISSUED = "loaner_issued"
    LOANER_RETURNED = "loaner_returned"
    SURVEY_SENT = "survey_sent"
    SURVEY_ANSWERED = "survey_answered"
    COMPLAINT_RECORDED = "complaint_recorded"
    REPLY_PROMISED = "reply_promised"
    RESOLUTION_AGREED = "resolution_agreed"
    COMPLAINT_CLOSED = "complaint_closed"
    INFORMATION_ADDED = "information_added"


# The only moves a customer hears of. Anything else (notes, reports, billing, escalations, messages,
# internal reviews) is the office's own.
MILESTONES: dict[Action, Milestone] = {
    Action.SUBMIT: Milestone.RECEIVED,
    Action.CLASSIFY: Milestone.REVIEWED,
    Action.RECORD_CONTACT: Milestone.CONTACTED,
    Action.DISPATCH: Milestone.DISPATCHED,
    Action.SET_OUT: Milestone.ON_THE_WAY,
    Action.CHECK_IN: Milestone.ARRIVED,
    Action.START_REPAIR: Milestone.REPAIR_STARTED,
    Action.RESOLVE: Milestone.RESOLVED,
    Action.PAUSE: Milestone.PAUSED,
    Action.RESUME: Milestone.RESUMED,
    Action.UPLOAD_ACCEPTANCE: Milestone.ACCEPTANCE_SIGNED,
    Action.APPROVE: Milestone.COMPLETED,
    Action.CANCEL: Milestone.CANCELLED,
    Action.SEND_QUOTE: Milestone.QUOTE_SENT,
    Action.APPROVE_QUOTE: Milestone.QUOTE_APPROVED,
    Action.DECLINE_QUOTE: Milestone.QUOTE_DECLINED,
    Action.PARTS_LEAD_TIME: Milestone.PARTS_EXPECTED,
    Action.SHIP_PARTS: Milestone.PARTS_SHIPPED,
    Action.RECEIVE_PARTS: Milestone.PARTS_RECEIVED,
    Action.ISSUE_LOANER: Milestone.LOANER_ISSUED,
    Action.RETURN_LOANER: Milestone.LOANER_RETURNED,
    Action.SEND_SURVEY: Milestone.SURVEY_SENT,
    Action.ANSWER_SURVEY: Milestone.SURVEY_ANSWERED,
    Action.RECORD_COMPLAINT: Milestone.COMPLAINT_RECORDED,
    Action.COMMIT_REPLY: Milestone.REPLY_PROMISED,
    Action.AGREE_RESOLUTION: Milestone.RESOLUTION_AGREED,
    Action.CLOSE_COMPLAINT: Milestone.COMPLAINT_CLOSED,
    Action.ADD_INFORMATION: Milestone.INFORMATION_ADDED,
}
FORM_LINK_SECONDS = 300  # the link is made when the customer asks for the copy
_SHOWN_QUOTES = frozenset({QuoteState.SENT, QuoteState.APPROVED, QuoteState.DECLINED})


@dataclass(frozen=True)
class PublicStep:
    """A milestone, when it was reached, and for some the day it promises (``on``: the date agreed
    for the visit, parts expected, the complaint's reply)."""

    at: datetime
    action: Action
    milestone: Milestone
    on: datetime | date | None = None


@dataclass(frozen=True)
class PublicQuote:
    """The offer the customer answers: its lines, total, validity and the note written for them."""

    revision: int
    state: QuoteState
    lines: tuple[QuoteLine, ...]
    total: Decimal
    valid_until: date
    note: str


@dataclass(frozen=True)
class CustomerView:
    number: str
    status: Status
    kind: Kind
    created_at: datetime
    language: str  # the one the customer reported in: their link opens in it
    product_model: str  # as the customer typed it
    photos: int
    warranty_until: date | None
    quote: PublicQuote | None
    steps: tuple[PublicStep, ...]
    # After the job: the form the customer signed (they may keep a copy), and whether their survey waits.
    acceptance_form: bool = False
    survey_open_until: datetime | None = None


class AdmitsAdditions(Protocol):
    """What is checked before a customer's addition is recorded, as for a report (``IntakeService`` does it):
    its photos by their bytes, and the addition against its limits."""

    def admit_addition(self, number: str, photos: list[str], *, origin: PublicOrigin, submission: str) -> None: ...


class TrackingService:
    def __init__(self, tickets: TicketRepository, files: FileStore | None = None, *,
                 intake: AdmitsAdditions | None = None, moves: TicketMoves | None = None):
        # ``intake`` and ``moves``: for what the customer adds through the link (``add_information``).
        self._tickets = tickets
        self._files = files
        self._intake = intake
        self._moves = moves

    def find(self, token: str) -> CustomerView:
        ticket = self._ticket(token)
        return customer_view(ticket, self._tickets.events(ticket.number))

    def add_information(self, token: str, addition: CustomerAdditionInput, *, origin: PublicOrigin,
                        submission: str) -> Ticket:
        """The customer's note and photos on their ticket, as an event staff read on its page and
        timeline. Only while the ticket is open (``IllegalTransition``); the photos are checked and the
        addition limited as a report is (``PhotoRejected``, ``TooManyReports``)."""
        if self._intake is None or self._moves is None:
            raise RuntimeError("TrackingService was built without intake and moves")
        ticket = self._ticket(token)
        number = ticket.number
        if not ticket.is_open:
            raise IllegalTransition(ticket.status, Action.ADD_INFORMATION)
        photos = list(dict.fromkeys(addition.photos))
        self._intake.admit_addition(number, photos, origin=origin, submission=submission)
        return self._moves.move(number, Action.ADD_INFORMATION, actor="customer",
                               details=InformationAdded(note=addition.note or "", photos=tuple(photos)))

    def _ticket(self, token: str) -> Ticket:
        """The ticket behind a tracking token; ``UnknownTrackingToken`` for any other string."""
        number = self._tickets.number_for_tracking_token(token) if token and len(token) <= 200 else None
        ticket = self._tickets.get(number) if number else None
        if ticket is None:
            raise UnknownTrackingToken()
        return ticket

    def acceptance_form_link(self, token: str) -> str | None:
        """A short-lived link to the acceptance form the customer signed, once it is filed."""
        if self._files is None:
            return None
        try:
            ticket = self._ticket(token)
        except UnknownTrackingToken:
            return None
        if ticket.acceptance is None:
            return None
        return self._files.presigned_download(ticket.acceptance.form_key, FORM_LINK_SECONDS)


def customer_view(ticket: Ticket, events: list[TicketEvent]) -> CustomerView:
    quote = ticket.quote
    return CustomerView(
        number=ticket.number,
        status=ticket.status,
        kind=ticket.kind,
        created_at=ticket.created_at,
        language=ticket.language,
        product_model=ticket.product.model,
        photos=len(ticket.photo_keys),
        warranty_until=ticket.warranty_until if ticket.warranty else None,
        quote=PublicQuote(revision=quote.revision, state=quote.state, lines=quote.lines, total=quote.total,
                          valid_until=quote.valid_until, note=quote.note)
        if quote is not None and quote.state in _SHOWN_QUOTES else None,
        steps=tuple(step for event in events if (step := _step(event)) is not None),
        acceptance_form=ticket.acceptance is not None,
        survey_open_until=ticket.survey_until if ticket.survey_until and ticket.survey is None else None,
    )


def _step(event: TicketEvent) -> PublicStep | None:
    milestone = MILESTONES.get(event.action)
    # An event the move itself kept internal stays so, whatever its action.
    if milestone is None or not event.public:
        return None
    return PublicStep(at=event.at, action=event.action, milestone=milestone, on=_promised_day(event))


def _promised_day(event: TicketEvent) -> datetime | date | None:
    """The one day a milestone may show: the date agreed, the parts' lead time, the reply promised."""
    value: datetime | date | None
    match event.payload:
        case Classified(action=Action.CLASSIFY, after=after):
            value = after.agreed_date
        case PartsMoved(action=Action.PARTS_LEAD_TIME, requisition=requisition):
            value = requisition.expected_on
        case ComplaintMoved(action=Action.COMMIT_REPLY, agreed_date=agreed, complaint=complaint):
            value = agreed or complaint.reply_by
        case _:
            return None
    return value
