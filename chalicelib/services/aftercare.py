"""After the job (SPEC "After closure"): the satisfaction survey, follow-up callbacks and maintenance
reminders. The rules are in ``chalicelib/domain/aftercare.py`` (with where each piece of data lives).

* When a job's approval is committed it publishes ``AfterCareDue`` as a job (the outbox's ``JOB`` kind,
  written in the approval's own transaction); its subscribers (``services/subscribers.py``) call
  ``book_repair_callback`` and ``send_survey`` — at once, then by the outbox's retries until both
  succeed or the job is given up (FAILED, dead-letter queue). The callback task is due 5–7 days after
  the approval; the survey link goes by email and SMS, signed and expiring after ``survey_days``; its
  messages are written in the same transaction as the ``send_survey`` event, so they cannot be lost or
  sent twice. Running either again repeats nothing: the task's id comes from the ticket and its approval
  day (written once), and the survey goes out only while ``survey_sent_at`` is unset.
* A survey is answered once: the answer is saved through the ticket's versioned write, and a second
  submission (or a race of two) finds ``Ticket.survey`` set and is refused.
* Callbacks come from an open list that never needs a scan (``AftercareStore``); a problem raised on the
  phone gets a follow-up job or a complaint, linked from the callback's record by its number, handed out
  at once. The record publishes ``FollowUpRequested`` as a job in its own write; its subscriber opens the
  ticket (at once, else by the job's retries; once, however often it runs). A product saved in the
  archive with a recent delivery gets its callback too (``ProductSaved``).
* ``remind_maintenance`` runs daily: every visit due within a week whose customer was not yet told is
  claimed (once, by a conditional write) together with its reminder messages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from chalicelib.domain.aftercare import (
    REMINDER_DAYS_BEFORE,
    SURVEY_MOVES,
    VISIT_HORIZON_DAYS,
    CallbackInput,
    CallbackTask,
    MaintenanceInput,
    MaintenanceSchedule,
    Problem,
    SurveyAnswer,
    SurveyClosed,
    SurveyInput,
    SurveyMove,
    SurveyState,
    Visit,
    delivery_callback,
    repair_callback,
    survey_state,
)
from chalicelib.domain.archive import Customer, InstalledProduct, serial_key
from chalicelib.domain.events import CallbackRecorded, SurveyAnswered, SurveySent
from chalicelib.domain.intake import ServiceRequestInput, is_mobile_number
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.domain.permissions import Actor, Work, check_work, name_of
from chalicelib.domain.published import FollowUpRequested, job_item
from chalicelib.domain.ticket import Action, Channel, Kind, Ticket
from chalicelib.i18n import t
from chalicelib.services.aftercare_ports import AftercareStore
from chalicelib.services.moves import TicketMoves, UnknownTicket
from chalicelib.services.notifications import NotificationService
from chalicelib.services.ports import (
    BadLink,
    Clock,
    CustomerArchive,
    LinkSigner,
    TicketOpening,
    TicketRepository,
)

logger = Logger(child=True)


@dataclass(frozen=True)
class AftercareConfig:
    public_base_url: str
    timezone: str
    survey_days: int = 30


class UnknownSurvey(LookupError):
    """A survey link that is not ours, was tampered with, or names no survey."""


class UnknownCallback(LookupError):
    """No open callback task with this id (done by someone else, or never there)."""


class InvalidCallback(Exception):
    def __init__(self, problems: dict[str, str]):
        super().__init__(", ".join(problems))
        self.problems = problems


class UnknownProduct(LookupError):
    pass


class InvalidSchedule(Exception):
    def __init__(self, problems: dict[str, str]):
        super().__init__(", ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SurveyView:
    ticket: Ticket
    state: SurveyState


@dataclass(frozen=True)
class CallbackResult:
    task: CallbackTask
    outcome: str
    follow_up: str | None
    follow_up_kind: Kind | None
    # The follow-up's number is handed out at once; its ticket is still being opened (the job retries).
    follow_up_pending: bool = False


@dataclass(frozen=True)
class VisitView:
    visit: Visit
    product: InstalledProduct | None
    customer: Customer | None


class AftercareService:
    def __init__(
        self, tickets: TicketRepository, store: AftercareStore, archive: CustomerArchive | None, moves: TicketMoves,
        opening: TicketOpening, notifications: NotificationService, signer: LinkSigner, clock: Clock,
        config: AftercareConfig,
    ):
        self._tickets = tickets
        self._store = store
        self._archive = archive
        self._moves = moves
        self._opening = opening
        self._notifications = notifications
        self._signer = signer
        self._clock = clock
        self._config = config

    def today(self) -> date:
        return self._clock.now().astimezone(ZoneInfo(self._config.timezone)).date()

    # -- the survey ------------------------------------------------------------------------------

    def job_closed(self, number: str) -> Ticket | None:
        """The job was approved: a callback task for 5–7 days later, and the survey link — each once, however
        often this runs. The two subscribers of ``AfterCareDue`` do the same, one step each."""
        if self.book_repair_callback(number) is None:
            return None
        return self.send_survey(number)

    def book_repair_callback(self, number: str) -> Ticket | None:
        """The callback 5–7 days after the approval; ``None`` when the ticket gets no after-care."""
        ticket = self._tickets.get(number)
        if ticket is None or not ticket.gets_after_care:
            return None
        r = ticket.reporter
        # The window counts from the approval, not from this run: a retry on another day books the same
        # task (same id), which the store writes only once.
        self._store.add_callback(repair_callback(
            number=number, closed_on=self._approved_on(number), customer_name=r.customer_name, phone=r.phone,
            serial_number=ticket.product.serial_number, model=ticket.product.model))
        return ticket

    def send_survey(self, number: str) -> Ticket | None:
        """The survey link by email and SMS, once per ticket; ``None`` when the ticket gets no after-care."""
        ticket = self._tickets.get(number)
        if ticket is None or not ticket.gets_after_care:
            return None
        r = ticket.reporter
        if ticket.survey_sent_at is not None or not (r.email or r.phone_is_mobile):
            return ticket
        now = self._clock.now()
        until = now + timedelta(days=self._config.survey_days)
        # The link outlives its own deadline by a day: the deadline that counts is ``survey_until``, on the
        # app's clock; the signature only proves the link is ours.
        token = self._signer.sign({"survey": number}, timedelta(days=self._config.survey_days + 1))
        link = self.survey_url(token)
        sent: list[OutboxMessage] = []

        def not_sent_yet(current: Ticket) -> None:
            SURVEY_MOVES.next(self._state(current) if current.survey_until else None, SurveyMove.SEND)

        def messages(moved: Ticket) -> list[OutboxMessage]:
            sent[:] = self._survey_messages(moved, link, now)
            return sent

        try:
            moved = self._moves.move(
                number, Action.SEND_SURVEY, actor="system",
                details=SurveySent(survey_sent_at=now, survey_until=until), check=not_sent_yet, outbox=messages)
        except SurveyClosed:
            return self._tickets.get(number)
        self._notifications.deliver(sent)
        return moved

    def _approved_on(self, number: str) -> date:
        approvals = [e.at for e in self._tickets.events(number) if e.action == Action.APPROVE]
        if not approvals:  # no approval on its timeline (closed by hand): count from today
            return self.today()
        return max(approvals).astimezone(ZoneInfo(self._config.timezone)).date()

    def open_survey_link(self, number: str) -> str | None:
        """The survey link again, for the customer's tracking page, while the survey may be answered."""
        ticket = self._tickets.get(number)
        if ticket is None or ticket.survey_until is None or self._state(ticket) != SurveyState.OPEN:
            return None
        lifetime = ticket.survey_until - self._clock.now() + timedelta(days=1)
        return self.survey_url(self._signer.sign({"survey": number}, lifetime))

    def survey_url(self, token: str) -> str:
        return f"{self._config.public_base_url.rstrip('/')}/s/{token}"

    def survey(self, token: str) -> SurveyView:
        ticket = self._surveyed_ticket(token)
        return SurveyView(ticket, self._state(ticket))

    def answer(self, token: str, answer: SurveyInput) -> Ticket:
        number = self._surveyed_ticket(token).number
        now = self._clock.now()

        def still_open(current: Ticket) -> None:
            SURVEY_MOVES.next(self._state(current), SurveyMove.ANSWER)

        stored = SurveyAnswer(**answer.model_dump(), answered_at=now)
        return self._moves.move(
            number, Action.ANSWER_SURVEY, actor="customer", details=SurveyAnswered(survey=stored), check=still_open)

    def _surveyed_ticket(self, token: str) -> Ticket:
        try:
            number = self._signer.verify(token).get("survey")
        except BadLink:
            raise UnknownSurvey() from None
        ticket = self._tickets.get(number) if isinstance(number, str) else None
        if ticket is None or ticket.survey_until is None:
            raise UnknownSurvey()
        return ticket

    def _state(self, ticket: Ticket) -> SurveyState:
        assert ticket.survey_until is not None
        return survey_state(answered=ticket.survey is not None, until=ticket.survey_until, now=self._clock.now())

    def _survey_messages(self, ticket: Ticket, link: str, now: datetime) -> list[OutboxMessage]:
        lang, r = ticket.language, ticket.reporter
        name = r.contact_person or r.customer_name
        out = []
        if r.email:
            out.append(_message(ticket.number, "survey", MessageChannel.EMAIL, r.email, now,
                                t(lang, "aftercare.msg.survey.subject", number=ticket.number),
                                t(lang, "aftercare.msg.survey.body", name=name, number=ticket.number, link=link,
                                  days=self._config.survey_days)))
        if r.phone_is_mobile:
            out.append(_message(ticket.number, "survey", MessageChannel.SMS, r.phone, now, "",
                                t(lang, "aftercare.msg.survey.sms", number=ticket.number, link=link)))
        return out

    # -- callbacks -------------------------------------------------------------------------------

    def product_delivered(self, product: InstalledProduct) -> bool:
        """The hook for the archive: a product delivered recently gets a callback 5–7 days later (003 §2).
        False when there is nothing to call about (no delivery date, long past, or already on the list)."""
        if product.delivery_date is None or self._archive is None:
            return False
        task_due_by = product.delivery_date + timedelta(days=7)
        customer = self._archive.customer(product.customer_id)
        if customer is None or task_due_by < self.today():
            return False
        return self._store.add_callback(delivery_callback(
            serial_number=product.serial_number, delivered_on=product.delivery_date, customer_name=customer.name,
            phone=customer.phones[0], model=product.model))

    def due_callbacks(self) -> list[CallbackTask]:
        """Every open task whose window has opened, the oldest first (overdue ones included)."""
        return self._store.open_callbacks(self.today())

    def record_callback(self, task_id: str, data: CallbackInput, *, actor: Actor) -> CallbackResult:
        """``actor``: the office's staff member who made the call (``domain/permissions.py``)."""
        check_work(actor, Action.RECORD_CALLBACK)
        by = name_of(actor)
        task = self._store.callback(task_id)
        if task is None:
            raise UnknownCallback(task_id)
        problems = data.check()
        if problems:
            raise InvalidCallback(problems)
        now = self._clock.now()
        follow_up, kind, jobs = None, None, []
        if data.problem != Problem.NONE:
            kind = Kind.COMPLAINT if data.problem == Problem.COMPLAINT else Kind.FAULT
            request, language = self._follow_up_request(task, kind, data.notes or "")
            # Its number now, its ticket by a subscriber: the record and the request to open it are one write,
            # so two people recording the same call cannot open two tickets, and a failure to open it is
            # retried instead of losing what the customer raised. The desk still reads the number out.
            follow_up = self._opening.reserve_number()
            about = task.ticket_number or f"PRODUCT-{task.serial_number}"
            requested = FollowUpRequested(number=follow_up, about=about, request=request, language=language,
                                          actor=by)
            jobs = [job_item(requested, at=now, message_id=uuid.uuid4().hex)]
        record = data.record(task=task.id, follow_up=follow_up)
        if not self._store.close_callback(task, record, now, jobs):
            if follow_up is not None:  # recorded by someone else meanwhile: theirs opens the ticket
                self._opening.give_back(follow_up)
            raise UnknownCallback(task_id)
        try:
            self._notifications.deliver(jobs)
        except Exception:  # the record and its job are saved: the delivery job retries
            logger.exception("follow-up not opened yet", extra={"ticket": follow_up})
        if task.ticket_number:
            self._moves.move(task.ticket_number, Action.RECORD_CALLBACK, actor=by,
                            details=CallbackRecorded(callback=record), public=False)
        pending = follow_up is not None and self._tickets.get(follow_up) is None
        return CallbackResult(task, record.outcome, follow_up, kind, follow_up_pending=pending)

    def open_follow_up(self, requested: FollowUpRequested) -> bool:
        """The subscriber's step: opens the follow-up ticket, once (False: it is open already)."""
        return self._opening.open_reserved(requested.request, number=requested.number,
                                           language=requested.language, actor=requested.actor)

    def _follow_up_request(self, task: CallbackTask, kind: Kind, notes: str) -> tuple[ServiceRequestInput, str]:
        source = self._tickets.get(task.ticket_number) if task.ticket_number else None
        if source is not None:
            r = source.reporter
            fields = {"customer_name": r.customer_name, "contact_person": r.contact_person, "phone": r.phone,
                      "email": r.email, "province": r.province, "city": r.city, "address": r.address}
            model, serial, lang = source.product.model, source.product.serial_number, source.language
            order = source.product.order_number
        else:
            customer = self._customer_of(task)
            if customer is None:
                raise UnknownProduct(task.serial_number or "")
            fields = {"customer_name": customer.name, "contact_person": customer.contact_person,
                      "phone": customer.phones[0], "email": customer.email, "province": customer.province,
                      "city": customer.city, "address": customer.address or customer.city or customer.province}
            model, serial, lang, order = task.model or "-", task.serial_number, "zh-CN", None
        origin = f"[{task.ticket_number or task.serial_number}] "
        request = ServiceRequestInput.model_validate({
            **fields, "product_model": model, "serial_number": serial, "order_number": order,
            "description": (origin + notes)[:4000], "kind": kind, "channel": Channel.PHONE})
        return request, lang

    def _customer_of(self, task: CallbackTask) -> Customer | None:
        if self._archive is None or not task.serial_number:
            return None
        product = self._archive.product(task.serial_number)
        return self._archive.customer(product.customer_id) if product else None

    # -- scheduled maintenance -------------------------------------------------------------------

    def schedule_of(self, serial: str) -> MaintenanceSchedule | None:
        key = serial_key(serial)
        return self._store.schedule(key) if key else None

    def set_schedule(self, data: MaintenanceInput, *, actor: Actor) -> MaintenanceSchedule:
        check_work(actor, Work.SCHEDULE_MAINTENANCE)
        key = serial_key(data.serial_number)
        if key is None or self._archive is None or self._archive.product(key) is None:
            raise UnknownProduct(data.serial_number)
        problems = data.check()
        if problems:
            raise InvalidSchedule(problems)
        schedule = data.schedule(key, at=self._clock.now(), actor=name_of(actor))
        today = self.today()
        self._store.put_schedule(schedule, schedule.visits(today, today + timedelta(days=VISIT_HORIZON_DAYS)),
                                 keep_from=today)
        return schedule

    def upcoming_visits(self, days: int = 30) -> list[VisitView]:
        today = self.today()
        return [self._visit_view(v) for v in self._store.visits(today, today + timedelta(days=days))]

    def _visit_view(self, visit: Visit) -> VisitView:
        product = self._archive.product(visit.serial_number) if self._archive else None
        customer = self._archive.customer(product.customer_id) if self._archive and product else None
        return VisitView(visit, product, customer)

    def remind_maintenance(self) -> int:
        """The daily job: remind each customer of a visit due within a week, once per visit (003 §4.1).
        Returns how many visits were reminded now. Visits of a missed day are caught up the next day."""
        today, now = self.today(), self._clock.now()
        reminded = 0
        for visit in self._store.visits(today, today + timedelta(days=REMINDER_DAYS_BEFORE)):
            if visit.reminded_at is not None:
                continue
            view = self._visit_view(visit)
            messages = self._reminder_messages(view, now)
            if not messages or not self._store.claim_reminder(visit, now, messages):
                continue
            reminded += 1
            self._notifications.deliver(messages)
            schedule = self._store.schedule(visit.serial_number)
            if schedule is not None:  # keep a year of visits ahead of interval schedules
                self._store.add_visits(visit.serial_number,
                                       schedule.visits(today, today + timedelta(days=VISIT_HORIZON_DAYS)))
        return reminded

    def _reminder_messages(self, view: VisitView, now: datetime) -> list[OutboxMessage]:
        customer, product = view.customer, view.product
        if customer is None or product is None:
            return []
        ref = f"PRODUCT-{product.serial_number}"
        values = {"name": customer.contact_person or customer.name, "model": product.model,
                  "serial": product.serial_number, "day": view.visit.on.isoformat()}
        out = []
        if customer.email:
            out.append(_message(ref, "maintenance_reminder", MessageChannel.EMAIL, customer.email, now,
                                t("zh-CN", "aftercare.msg.visit.subject", **values),
                                t("zh-CN", "aftercare.msg.visit.body", **values)))
        mobile = next((p for p in customer.phones if is_mobile_number(p)), None)
        if mobile:
            out.append(_message(ref, "maintenance_reminder", MessageChannel.SMS, mobile, now, "",
                                t("zh-CN", "aftercare.msg.visit.sms", **values)))
        return out

    # -- reading ---------------------------------------------------------------------------------

    def ticket(self, number: str) -> Ticket:
        ticket = self._tickets.get(number)
        if ticket is None:
            raise UnknownTicket(number)
        return ticket


def _message(ref: str, purpose: str, channel: MessageChannel, to: str, now: datetime, subject: str,
             text: str) -> OutboxMessage:
    return OutboxMessage(id=uuid.uuid4().hex, ticket_number=ref, purpose=purpose, channel=channel, recipient=to,
                         subject=subject, text=text, created_at=now, next_attempt_at=now)
