"""The technician's phone and the closure of a job (000 §4.5, SPEC "Closure").

A technician sees the open jobs dispatched to them, checks in on arrival (which stops the "on site"
clock and starts the 1 h arrival-report rule), reports arrival, progress (daily, with photos), the
start of repair and the fault resolved, files the customer-signed acceptance form — uploaded, or
signed on the screen and rendered here — or, when the customer refuses to sign, a reason report;
and reports before leaving with the planned return date. The supervisor then approves the closure
or sends it back. The approval writes, in its own transaction, the item that books the job's
after-care (callback and survey, ``AftercareNotifier``) and tries it at once; the outbox's retries finish
it if that try fails or the process dies first.

Every change is a ``TicketMoves.move`` (the lifecycle table, the versioned save and the SLA
wake-up live there). Only the technicians assigned to a job may work on it; the check runs on the
freshly read ticket inside the move.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from chalicelib.domain import overtime, uploads
from chalicelib.domain.aftercare import after_care_due
from chalicelib.domain.closure import (
    FORM_TYPES,
    MAX_FORM_BYTES,
    MAX_PROGRESS_PHOTOS,
    Acceptance,
    ArrivalReport,
    Departure,
    FormProblem,
    FormSource,
    Location,
    Satisfaction,
    SignatureRefusal,
    WorkReport,
    form_problem,
    is_form_key,
    new_form_key,
    read_signature,
    sniff_type,
)
from chalicelib.domain.events import (
    AcceptanceFiled,
    ArrivalReported,
    CheckedIn,
    ClosureRejected,
    DepartureReported,
    OvertimeMoved,
    ProgressReported,
    SignatureRefused,
    Stepped,
)
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.domain.paid_work import ensure_work_may_start
from chalicelib.domain.permissions import Actor, guard, name_of
from chalicelib.domain.plans import Role
from chalicelib.domain.sla import Deadline, Schedule
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Status, Ticket, TicketEvent
from chalicelib.i18n import t
from chalicelib.services.moves import TicketMoves, UnknownTicket
from chalicelib.services.notifications import NotificationService
from chalicelib.services.ports import Clock, FileStore, TicketRepository, UploadTicket
from chalicelib.services.sla import SlaService

# The PDF form and its preview are drawn only when a job is closed: they load then, not at a cold start.
if TYPE_CHECKING:
    from chalicelib.services.acceptance_pdf import AcceptanceForm, FormLine

FORM_URL_SECONDS = 300  # staff see a filed form by a link that expires in five minutes
logger = Logger(child=True)


class NotYourJob(Exception):
    """The job is not assigned to this technician (or the user is no technician)."""


class FormRejected(Exception):
    def __init__(self, problem: FormProblem):
        super().__init__(problem.value)
        self.problem = problem


class ProgressPhotosRejected(Exception):
    def __init__(self, problems: list[tuple[str, uploads.UploadProblem]]):
        super().__init__(", ".join(f"{name}: {p.value}" for name, p in problems))
        self.problems = problems


class PhotoChecks(Protocol):
    """The photo upload machinery customers use (``IntakeService``), reused for progress photos."""

    def check_photo(self, key: str) -> uploads.UploadProblem | None: ...


@dataclass(frozen=True)
class FieldWorkConfig:
    timezone: str = "Asia/Shanghai"
    upload_url_seconds: int = 900
    max_form_bytes: int = MAX_FORM_BYTES


@dataclass(frozen=True)
class JobSummary:
    ticket: Ticket
    next_deadline: Deadline | None  # the open deadline due first


@dataclass(frozen=True)
class JobView:
    ticket: Ticket
    schedule: Schedule
    events: list[TicketEvent]

    def done(self, action: Action) -> bool:
        return any(e.action == action for e in self.events)

    def last(self, action: Action) -> TicketEvent | None:
        """The latest event of ``action``, if any (e.g. when the technician set out)."""
        return next((e for e in reversed(self.events) if e.action == action), None)


@dataclass(frozen=True)
class ApprovalItem:
    ticket: Ticket
    form_url: str | None
    preview_url: str | None = None  # an image of what the customer signed, shown on the page itself


@dataclass(frozen=True)
class SupervisorDecisions:
    closures: list[ApprovalItem]
    refusals: list[Ticket]
    overtime: list[tuple[Ticket, overtime.OvertimeVisit]]


def _refusals(waiting: list[Ticket]) -> list[Ticket]:
    return [t for t in waiting if t.status == Status.ON_SITE and t.refusal is not None]


def _overtime_requests(waiting: list[Ticket]) -> list[tuple[Ticket, overtime.OvertimeVisit]]:
    under_way = (Status.DISPATCHED, Status.ON_SITE, Status.WAITING_ON_CUSTOMER)
    return [(ticket, visit) for ticket in waiting if ticket.status in under_way
            for visit in ticket.overtime if visit.state == overtime.OvertimeState.REQUESTED]


def is_assigned(user: StaffUser, ticket: Ticket) -> bool:
    """Field work is done by the technician on the job: the role alone is not enough."""
    return StaffRole.TECHNICIAN in user.roles and user.may_work_on(ticket) and user.username in ticket.assignees


class FieldWorkService:
    def __init__(
        self,
        tickets: TicketRepository,
        moves: TicketMoves,
        sla: SlaService,
        files: FileStore,
        photos: PhotoChecks,
        clock: Clock,
        notifications: NotificationService,
        config: FieldWorkConfig | None = None,
    ):
        self._tickets = tickets
        self._moves = moves
        self._sla = sla
        self._files = files
        self._photos = photos
        self._clock = clock
        self._notifications = notifications
        self._config = config or FieldWorkConfig()

    # -- reading ---------------------------------------------------------------------------------

    def my_jobs(self, user: StaffUser) -> list[JobSummary]:
        """Open jobs assigned to ``user``, the one due first on top (no deadline: last)."""
        now = self._clock.now()
        jobs = []
        for ticket in self._tickets.tickets_for_technician(user.username):
            if not ticket.is_open or not is_assigned(user, ticket):
                continue
            schedule = self._sla.schedule(ticket, self._tickets.events(ticket.number), now)
            jobs.append(JobSummary(ticket, _next_deadline(schedule)))
        far = datetime.max.replace(tzinfo=now.tzinfo)
        return sorted(jobs, key=lambda j: (j.next_deadline.due_at or far if j.next_deadline else far,
                                           j.ticket.number))

    def job(self, number: str, user: StaffUser) -> JobView:
        ticket = self._tickets.get(number)
        if ticket is None:
            raise UnknownTicket(number)
        self._assigned(user)(ticket)
        events = self._tickets.events(number)
        return JobView(ticket, self._sla.schedule(ticket, events, self._clock.now()), events)

    # -- on site ---------------------------------------------------------------------------------

    def set_out(self, number: str, user: StaffUser) -> Ticket:
        """On the way to the site: on the timeline and the customer's tracking page, before check-in."""
        return self._move(number, user, Action.SET_OUT, details=Stepped(action=Action.SET_OUT))

    def check_in(self, number: str, user: StaffUser, location: Location | None = None) -> Ticket:
        """Arrived: stops the "on site" clock and starts the 1 h arrival-report rule (000 §4.5.4)."""
        return self._move(number, user, Action.CHECK_IN,
                          details=CheckedIn(location=location), paid_work=True)

    def report_arrival(self, number: str, user: StaffUser, report: ArrivalReport) -> Ticket:
        return self._move(number, user, Action.REPORT_ARRIVAL,
                          details=ArrivalReported(report=report), public=False)

    def report_progress(self, number: str, user: StaffUser, text: str, photo_keys: list[str]) -> Ticket:
        """The daily report (000 §4.5.5); photos are checked by their bytes before they are attached."""
        keys = list(dict.fromkeys(photo_keys))[:MAX_PROGRESS_PHOTOS]
        problems = [(uploads.display_name(k), p) for k in keys if (p := self._photos.check_photo(k))]
        if problems:
            raise ProgressPhotosRejected(problems)
        self.job(number, user)
        self._files.mark_attached(keys)  # before the move: a photo on the timeline never expires
        return self._move(number, user, Action.REPORT_PROGRESS,
                          details=ProgressReported(text=text, photos=tuple(keys)), public=False)

    def start_repair(self, number: str, user: StaffUser) -> Ticket:
        return self._move(number, user, Action.START_REPAIR, details=Stepped(action=Action.START_REPAIR), paid_work=True)

    def resolve(self, number: str, user: StaffUser) -> Ticket:
        return self._move(number, user, Action.RESOLVE, details=Stepped(action=Action.RESOLVE))

    def report_departure(self, number: str, user: StaffUser, departure: Departure) -> Ticket:
        """000 §4.5.8: told before leaving, so the supervisor can plan the technician's next job."""
        return self._move(number, user, Action.REPORT_DEPARTURE,
                          details=DepartureReported(departure=departure), public=False)

    # -- visits outside working time (000 §4.4.3) ----------------------------------------------

    def request_overtime(self, number: str, user: StaffUser, *, starts_at: datetime, ends_at: datetime,
                         note: str = "") -> Ticket:
        """A visit on a holiday or outside working hours is reported to the supervisor, who approves it."""

        told: list[OutboxMessage] = []
        calendar = self._sla.working_calendar()

        def step(ticket: Ticket) -> OvertimeMoved:
            visit = overtime.request(ticket.overtime, technician=user.username, starts_at=starts_at,
                                     ends_at=ends_at, note=note, calendar=calendar, now=self._clock.now())
            return OvertimeMoved(action=Action.REQUEST_OVERTIME, visit=visit)

        def tell_the_supervisor(moved: Ticket) -> list[OutboxMessage]:
            told[:] = self._overtime_asked(moved, moved.overtime[-1])
            return told

        moved = self._move(number, user, Action.REQUEST_OVERTIME, step=step, public=False,
                           outbox=tell_the_supervisor)
        try:
            self._notifications.deliver(told)
        except Exception:  # saved with the request: the delivery job sends it
            logger.exception("overtime request not delivered yet", extra={"ticket": number})
        return moved

    def _overtime_asked(self, ticket: Ticket, visit: overtime.OvertimeVisit) -> list[OutboxMessage]:
        """An email to each supervisor of the ticket's region: the request waits on the approvals page."""
        zh, now = "zh-CN", self._clock.now()
        words = {"number": ticket.number, "customer": ticket.reporter.customer_name, "technician": visit.technician,
                 "starts": self._local(visit.starts_at), "ends": self._local(visit.ends_at), "note": visit.note or "-",
                 "reasons": "、".join(t(zh, f"timeline.overtime.reason.{r.value}") for r in visit.reasons)}
        supervisors = self._sla.roster_book().holders(Role.SUPERVISOR, province=ticket.reporter.province)
        return [OutboxMessage(id=uuid.uuid4().hex, ticket_number=ticket.number, purpose="overtime_request",
                              channel=MessageChannel.EMAIL, recipient=person.email,
                              subject=t(zh, "msg.overtime.subject", **words), text=t(zh, "msg.overtime.body", **words),
                              created_at=now, next_attempt_at=now)
                for person in supervisors if person.email]

    def decide_overtime(self, number: str, visit_id: str, *, actor: Actor, approve: bool, note: str = "") -> Ticket:
        """``actor``: a supervisor (``domain/permissions.py``), or a ``SystemActor`` that answers for itself."""

        def step(ticket: Ticket) -> OvertimeMoved:
            visits = overtime.decide(ticket.overtime, visit_id, approve=approve, actor=name_of(actor), note=note,
                                     now=self._clock.now())
            return OvertimeMoved(action=Action.DECIDE_OVERTIME, visit=next(v for v in visits if v.id == visit_id))

        return self._approval(number, Action.DECIDE_OVERTIME, actor, step=step, public=False)

    def overtime_requests(self) -> list[tuple[Ticket, overtime.OvertimeVisit]]:
        """Visits outside working time waiting for the supervisor, on jobs still under way."""
        return _overtime_requests(self._tickets.awaiting_supervisor())

    # -- closure ---------------------------------------------------------------------------------

    def start_form_upload(self, number: str, user: StaffUser, filename: str, content_type: str) -> UploadTicket:
        self.job(number, user)
        if content_type not in FORM_TYPES:
            raise FormRejected(FormProblem.WRONG_TYPE)
        return self._files.presign_upload(
            new_form_key(number, filename), content_type, self._config.max_form_bytes,
            self._config.upload_url_seconds,
        )

    def check_form(self, number: str, key: str) -> FormProblem | None:
        """Checks a landed form by its bytes; a refused one is deleted so nothing unchecked stays."""
        if not is_form_key(number, key):
            return FormProblem.BAD_KEY
        stored = self._files.inspect(key)
        problem = form_problem(stored.size if stored else None, stored.head if stored else b"",
                               self._config.max_form_bytes)
        if problem and stored:
            self._files.delete(key)
        return problem

    def file_uploaded_form(self, number: str, user: StaffUser, work: WorkReport, form_key: str) -> Ticket:
        """The photo or PDF of the paper form, signed (and stamped) by the customer."""
        self.job(number, user)
        if problem := self.check_form(number, form_key):
            raise FormRejected(problem)
        stored = self._files.inspect(form_key)
        form_type = (stored and sniff_type(stored.head)) or "application/octet-stream"
        self._files.mark_attached([form_key])
        preview_key = None
        if form_type == "application/pdf":
            preview_key = self._store_preview(form_key, self._files.read(form_key, self._config.max_form_bytes))
        return self._file(number, user, work, form_key, form_type, FormSource.UPLOADED, None, preview_key=preview_key)

    def _store_preview(self, form_key: str, pdf: bytes | None) -> str | None:
        """Stores a picture of the PDF form's first page beside it; its key, or None if none was drawn."""
        from chalicelib.services.form_preview import first_page_png

        preview = first_page_png(pdf) if pdf else None
        if preview is None:
            return None
        key = f"{form_key.rsplit('/', 1)[0]}/preview.png"
        self._files.put(key, preview, "image/png")
        return key

    def file_drawn_signature(
        self, number: str, user: StaffUser, work: WorkReport, signature_data_url: str, signer: str,
        opinion: str = "", satisfaction: Satisfaction | None = None, technician: str = "",
    ) -> Ticket:
        """The customer signed on the screen: the form is rendered as a PDF with the signature, and
        stored with the drawing itself. ``technician``: his name as the customer knows him (王工), else
        his login. Raises ``BadSignature`` for anything but a usable PNG."""
        from chalicelib.services.acceptance_pdf import FormImage, render_acceptance_pdf

        signature = read_signature(signature_data_url)  # before anything is stored
        view = self.job(number, user)
        folder = new_form_key(number, "acceptance.pdf").rsplit("/", 1)[0]
        form = self._acceptance_form(view.ticket, technician or user.username, work, signer, opinion, satisfaction)
        pdf = render_acceptance_pdf(form, FormImage(signature.width, signature.height, signature.rgb))
        self._files.put(f"{folder}/signature.png", signature.png, "image/png")
        self._files.put(f"{folder}/acceptance.pdf", pdf, "application/pdf")
        return self._file(number, user, work, f"{folder}/acceptance.pdf", "application/pdf", FormSource.DRAWN,
                          signer, opinion, satisfaction,
                          preview_key=self._store_preview(f"{folder}/acceptance.pdf", pdf))

    def refuse_signature(self, number: str, user: StaffUser, reason: str) -> Ticket:
        """Not complete (000 §4.5.7): the job stays open and the supervisor gets the reason report."""
        refusal = SignatureRefusal(reason=reason, at=self._clock.now(), by=user.username)
        return self._move(number, user, Action.REFUSE_SIGNATURE, public=False,
                          details=SignatureRefused(refusal=refusal))

    def _file(self, number: str, user: StaffUser, work: WorkReport, key: str, form_type: str,
              source: FormSource, signer: str | None, opinion: str = "",
              satisfaction: Satisfaction | None = None, preview_key: str | None = None) -> Ticket:
        view = self.job(number, user)
        # Filing the form says the fault is fixed: record that first if the technician did not, so the
        # "resolved" deadline is met and the 5-day filing rule (002 §4.2(5)) has its start.
        if view.ticket.status == Status.ON_SITE and not view.done(Action.RESOLVE):
            self.resolve(number, user)
        acceptance = Acceptance(form_key=key, form_type=form_type, source=source, signer=signer or None,
                                opinion=opinion, satisfaction=satisfaction, work=work, filed_at=self._clock.now(),
                                filed_by=user.username, preview_key=preview_key)
        return self._move(number, user, Action.UPLOAD_ACCEPTANCE, details=AcceptanceFiled(acceptance=acceptance))

    # -- the supervisor's approval ---------------------------------------------------------------

    def awaiting_approval(self) -> list[ApprovalItem]:
        return self._approval_items(self._tickets.awaiting_supervisor())

    def refusals(self) -> list[Ticket]:
        """Jobs on site whose customer refused to sign, with the technician's reason report."""
        return _refusals(self._tickets.awaiting_supervisor())

    def decisions(self) -> SupervisorDecisions:
        """Everything of the three above from one read of the jobs waiting for the supervisor (his page)."""
        waiting = self._tickets.awaiting_supervisor()
        return SupervisorDecisions(self._approval_items(waiting), _refusals(waiting), _overtime_requests(waiting))

    def _approval_items(self, waiting: list[Ticket]) -> list[ApprovalItem]:
        return [
            ApprovalItem(ticket, self.form_url(ticket), self.preview_url(ticket))
            for ticket in waiting if ticket.status == Status.AWAITING_APPROVAL
        ]

    def form_url(self, ticket: Ticket) -> str | None:
        if ticket.acceptance is None:
            return None
        return self._files.presigned_download(ticket.acceptance.form_key, FORM_URL_SECONDS)

    def form_url_of(self, number: str) -> str | None:
        """A fresh link to ticket ``number``'s filed form (``UnknownTicket``; None before one is filed)."""
        ticket = self._tickets.get(number)
        if ticket is None:
            raise UnknownTicket(number)
        return self.form_url(ticket)

    def preview_url(self, ticket: Ticket) -> str | None:
        """What a browser shows inline: a picture of the form (``Acceptance.shown_inline``). A PDF or a HEIC
        photo without one is opened from its link instead."""
        key = ticket.acceptance.shown_inline() if ticket.acceptance else None
        return self._files.presigned_download(key, FORM_URL_SECONDS) if key else None

    def approve(self, number: str, *, actor: Actor) -> Ticket:
        """Closes the job. Its after-care (callback task, survey) is an outbox item of the same save, so it
        cannot be lost between the two; it is tried at once and retried by the delivery job. ``actor``: a
        supervisor (``domain/permissions.py``), or a ``SystemActor`` that answers for itself."""
        due: list[OutboxMessage] = []

        def after_care(closed: Ticket) -> list[OutboxMessage]:
            item = after_care_due(closed.number, at=closed.updated_at, message_id=uuid.uuid4().hex)
            due[:] = [item] if closed.gets_after_care else []
            return due

        closed = self._approval(number, Action.APPROVE, actor, outbox=after_care, details=Stepped(action=Action.APPROVE))
        try:
            self._notifications.deliver(due)
        except Exception:  # the approval is saved and the item waits in the outbox: the delivery job retries
            logger.exception("after-care on approval not delivered yet", extra={"ticket": number})
        return closed

    def reject(self, number: str, *, actor: Actor, reason: str) -> Ticket:
        """Back on site: the filed form is kept in the timeline, the ticket waits for a new one."""
        return self._approval(number, Action.REJECT_CLOSURE, actor, details=ClosureRejected(reason=reason), public=False)

    # -- internals -------------------------------------------------------------------------------

    def _approval(self, number: str, action: Action, actor: Actor, **kwargs: Any) -> Ticket:
        """The supervisor's decisions, refused to anyone whose roles do not take them."""
        return self._moves.move(number, action, actor=name_of(actor),
                                check=guard(actor, action), **kwargs)

    def _move(
        self, number: str, user: StaffUser, action: Action, *, paid_work: bool = False,
        **kwargs: object,
    ) -> Ticket:
        """``paid_work``: this step starts work, which a paid job may not do before its quote is
        approved (000 §4.3.1)."""
        return self._moves.move(number, action, actor=user.username,
                               check=self._assigned(user, paid_work), **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def _assigned(user: StaffUser, paid_work: bool = False) -> Callable[[Ticket], None]:
        def check(ticket: Ticket) -> None:
            if not is_assigned(user, ticket):
                raise NotYourJob(ticket.number)
            if paid_work:
                ensure_work_may_start(ticket)

        return check

    def _local(self, at: datetime) -> str:
        return at.astimezone(ZoneInfo(self._config.timezone)).strftime("%Y-%m-%d %H:%M")

    def _acceptance_form(self, ticket: Ticket, technician: str, work: WorkReport, signer: str, opinion: str,
                         satisfaction: Satisfaction | None) -> AcceptanceForm:
        from chalicelib.services.acceptance_pdf import AcceptanceForm, FormChoice, FormLine

        r, p, c = ticket.reporter, ticket.product, work.costs
        lang = ticket.language

        def line(key: str, value: str, lines: int = 1) -> FormLine:
            return FormLine(t(lang, f"closure.pdf.{key}"), value, lines)

        now = self._local(self._clock.now())
        options = list(Satisfaction)
        return AcceptanceForm(
            title=t(lang, "closure.pdf.title"),
            heading=f"{t(lang, 'closure.pdf.number')} {ticket.number}",
            rows=[
                [line("customer", r.customer_name), line("contact", f"{r.contact_person or ''} {r.phone}".strip())],
                [line("address", f"{r.city or ''} {r.address}".strip())],
                [line("product", " / ".join(x for x in (p.model, p.serial_number, p.order_number) if x))],
                [line("fault", ticket.description, 9)],
                [line("work_done", work.work_done, 10)],
                [line("parts", work.parts_used or "-", 3)],
                [line("hours", f"{work.hours} h / {work.travel_hours} h"), line("technician", technician)],
                [line("costs", f"{c.materials} / {c.labour} / {c.travel} / {c.transport} = {c.total} CNY")],
                [line("opinion", opinion or "-", 3)],
            ],
            choice=FormChoice(t(lang, "closure.pdf.satisfaction"),
                              [t(lang, f"closure.pdf.satisfaction.{o.value}") for o in options],
                              options.index(satisfaction) if satisfaction else None),
            closing_rows=[[line("signer", signer or "-"), line("date", now)]],
            signature_label=t(lang, "closure.pdf.signature"),
            seal_label=t(lang, "closure.pdf.seal"),
            footer=f"{ticket.number} · {now}",
        )


def _next_deadline(schedule: Schedule) -> Deadline | None:
    owed = [d for d in schedule.deadlines if d.is_open and d.due_at is not None]
    return min(owed, key=lambda d: d.due_at or datetime.max) if owed else None

