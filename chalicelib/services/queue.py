"""The office's view of the work: the queue of open tickets by nearest deadline, one ticket's whole file
(facts, photos, schedule, timeline), and dispatching only to people who really are technicians.

Moves on a ticket are ``DeskService``'s; this service reads, and checks what a move needs from outside
the ticket (the technician directory) before handing it to the desk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.events import ProgressReported
from chalicelib.domain.permissions import Actor
from chalicelib.domain.plans import Milestone, PlanRegistry, UnknownPlan
from chalicelib.domain.queue import QueueFilter, project, sla_state
from chalicelib.domain.sla import Schedule
from chalicelib.domain.sla_projection import SlaProjection, SlaState
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Ticket, TicketEvent
from chalicelib.domain.uploads import display_name
from chalicelib.services.desk import DeskService, UnknownTicket
from chalicelib.services.ports import Clock, FileStore, StaffDirectory, TicketRepository
from chalicelib.services.sla import SlaService

PHOTO_LINK_SECONDS = 300  # staff see photos through links that expire within minutes


@dataclass(frozen=True)
class NextDeadline:
    milestone: Milestone
    due_at: datetime


def next_deadline(glance: SlaProjection | None) -> NextDeadline | None:
    """The running or missed deadline due first, from the ticket's SLA at a glance."""
    if glance is None or glance.next_milestone is None or glance.next_due_at is None:
        return None
    return NextDeadline(Milestone(glance.next_milestone), glance.next_due_at)


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    state: SlaState
    next_deadline: NextDeadline | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    after: str | None  # where the next page starts (None: this is the last)


QUEUE_PAGE = 50


@dataclass(frozen=True)
class ProgressPhoto:
    name: str
    url: str  # short-lived
    at: datetime
    actor: str


@dataclass(frozen=True)
class TicketFile:
    """Everything the office sees about one ticket."""

    ticket: Ticket
    timeline: list[TicketEvent]  # staff-only events included
    schedule: Schedule | None  # None when its plan no longer exists (shown as such, never a 500)
    state: SlaState
    photos: list[tuple[str, str]]  # (file name, short-lived link)
    # The photos technicians attached to their progress reports, oldest first.
    progress_photos: list[ProgressPhoto] = field(default_factory=list)
    # A short-lived link to the filed acceptance form's picture (``Acceptance.shown_inline``), if any.
    form_preview: str | None = None


class UnknownTechnician(ValueError):
    """Dispatch to someone who is not in the technician group."""

    def __init__(self, names: list[str]):
        super().__init__(", ".join(names))
        self.names = names


class QueueService:
    def __init__(
        self,
        tickets: TicketRepository,
        sla: SlaService,
        desk: DeskService,
        files: FileStore,
        staff: StaffDirectory,
        clock: Clock,
    ):
        self._tickets = tickets
        self._sla = sla
        self._desk = desk
        self._files = files
        self._staff = staff
        self._clock = clock

    def queue(self, filters: QueueFilter, after: str | None = None, size: int = QUEUE_PAGE) -> QueuePage:
        """A page of the open tickets the filter keeps, the nearest running deadline first; tickets owing
        nothing come last. Each row is read from the ticket's schedule at a glance (``Ticket.sla``),
        never from its timeline; only a ticket stored before it had one is derived here."""
        now = self._clock.now()
        tickets, position = self._tickets.queue_page(filters, after, size)
        rows = []
        for ticket in tickets:
            glance = ticket.sla or self._glance(ticket, now)
            rows.append(QueueRow(ticket=ticket, state=glance.state_at(now), next_deadline=next_deadline(glance)))
        return QueuePage(rows, position)

    def _glance(self, ticket: Ticket, now: datetime) -> SlaProjection:
        events, taken, _ = self._tickets.history(ticket.number)
        return project(self._schedule(ticket, events, now, self._sla.plans()), now, taken)

    def ticket_file(self, number: str) -> TicketFile:
        ticket = self._tickets.get(number)
        if ticket is None:
            raise UnknownTicket(number)
        now = self._clock.now()
        timeline = self._tickets.events(number)
        schedule = self._schedule(ticket, timeline, now, self._sla.plans())
        photos = [
            (key.rsplit("/", 1)[-1], self._files.presigned_download(key, PHOTO_LINK_SECONDS))
            for key in ticket.photo_keys
        ]
        state = sla_state(schedule, now) if schedule else SlaState.NO_DEADLINE
        shown = ticket.acceptance.shown_inline() if ticket.acceptance else None
        return TicketFile(ticket=ticket, timeline=timeline, schedule=schedule, state=state, photos=photos,
                          progress_photos=self._progress_photos(timeline),
                          form_preview=self._files.presigned_download(shown, PHOTO_LINK_SECONDS) if shown else None)

    def _progress_photos(self, timeline: list[TicketEvent]) -> list[ProgressPhoto]:
        return [
            ProgressPhoto(display_name(key), self._files.presigned_download(key, PHOTO_LINK_SECONDS), event.at,
                          event.actor)
            for event in timeline if isinstance(progress := event.payload, ProgressReported)
            for key in progress.photos
        ]

    def get(self, number: str) -> Ticket:
        ticket = self._tickets.get(number)
        if ticket is None:
            raise UnknownTicket(number)
        return ticket

    def technicians(self) -> list[str]:
        return self._staff.list_staff(StaffRole.TECHNICIAN)

    def plan_names(self) -> list[str]:
        return self._sla.plans().names()

    def dispatch(self, number: str, *, actor: Actor, technicians: list[str]) -> Ticket:
        """Dispatch (or re-dispatch) to one or more technicians; nobody outside the group."""
        chosen = tuple(dict.fromkeys(technicians))
        known = set(self.technicians())
        unknown = [name for name in chosen if name not in known]
        if unknown or not chosen:
            raise UnknownTechnician(unknown)
        return self._desk.dispatch(number, actor=actor, technicians=chosen)

    def _schedule(
        self, ticket: Ticket, events: list[TicketEvent], now: datetime, plans: PlanRegistry
    ) -> Schedule | None:
        try:
            return self._sla.schedule(ticket, events, now, plans)
        except UnknownPlan:
            return None
