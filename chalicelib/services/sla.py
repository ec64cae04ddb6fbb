"""The SLA clock at work: each ticket's schedule, the escalation sweep, and acknowledgements.

The sweep reads only tickets that are due (an index query), recomputes each one's schedule from its
event log, and takes the ladder steps whose time has come. Claims, messages, timeline events and the
ticket's next wake-up are written in one transaction conditioned on the ticket's version, so two
sweeps at once, or a sweep that dies half way, never notify anyone twice and never lose a step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from chalicelib.domain.calendars import CHINA_BUSINESS_HOURS, BusinessHours
from chalicelib.domain.escalation import (
    Ladder,
    Person,
    Recipient,
    Roster,
    RosterBook,
    Step,
    StepKind,
    hold_until_working_time,
    level_of,
    owner_of,
    taken_key,
)
from chalicelib.domain.events import Acknowledged, Escalated, Told
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.domain.permissions import Actor, Work, check_work
from chalicelib.domain.plans import PlanRegistry, Role, UnknownPlan
from chalicelib.domain.queue import project
from chalicelib.domain.regions import province_name
from chalicelib.domain.sla import Schedule, compute_schedule
from chalicelib.domain.ticket import Ticket, TicketEvent
from chalicelib.domain.ticket_clock import clock_facts
from chalicelib.i18n import deadlines, t
from chalicelib.services.notifications import NotificationService
from chalicelib.services.parallel import in_parallel
from chalicelib.services.ports import BadLink, Clock, ConfigStore, LinkSigner, StaffDirectory, TicketRepository
from chalicelib.services.short_links import sms_text

logger = Logger(child=True)

LINK_LIFETIME = timedelta(days=14)
# Due tickets one sweep takes at most (earliest first); the rest wait a minute for the next run.
SWEEP_LIMIT = 2000
NOTICE_DESCRIPTION_CHARS = 200  # enough to judge a fault by; the link has the rest
# Tries to decide on a ticket that others keep changing; past them it waits for the next sweep.
DECIDE_ATTEMPTS = 5


@dataclass(frozen=True)
class SlaConfig:
    public_base_url: str
    timezone: str
    climb_after: timedelta
    warn_share: float | None = None
    # Tickets a sweep decides on at once (threads): each is its own conditional write, so they never
    # wait on one another; a burst of a thousand due tickets fits a run.
    workers: int = 1
    # How far past its start a sweep also takes tickets, each when its moment comes (the sweep waits for
    # it): sweeps start a minute apart, so without it a deadline just after a start waits that minute.
    lookahead: timedelta = timedelta(0)


@dataclass(frozen=True)
class SweepPass:
    """What a sweep read when it started: the moment, the tickets then due (earliest first), and the
    roster and plans it uses for all of them; ``coming``: the tickets due within its look-ahead, each
    taken when its moment comes (earliest first)."""

    started: datetime
    due: list[tuple[str, datetime]]
    roster: RosterBook
    plans: PlanRegistry
    coming: list[tuple[str, datetime]] = field(default_factory=list)


@dataclass
class SweepReport:
    tickets_read: int = 0
    steps_taken: int = 0
    conflicts: int = 0
    steps: list[str] = field(default_factory=list)
    looked_ahead: int = 0  # of ``tickets_read``: taken at their moment within the look-ahead
    # How long the most overdue ticket has waited for the sweep: about a minute when all is well; a
    # growing figure means escalations are stuck (alarmed on AWS).
    oldest_overdue_seconds: float = 0.0


class SlaService:
    def __init__(
        self,
        tickets: TicketRepository,
        config_store: ConfigStore,
        notifications: NotificationService,
        links: LinkSigner,
        clock: Clock,
        config: SlaConfig,
        staff: StaffDirectory | None = None,
    ):
        """``staff``: where the job's technicians are reached, for the deadlines they own (without it, the
        supervisor is told in their place)."""
        self._tickets = tickets
        self._staff = staff
        self._config_store = config_store
        self._notifications = notifications
        self._links = links
        self._clock = clock
        self._config = config
        self._ladder = Ladder(climb_after=config.climb_after)

    # -- schedules -----------------------------------------------------------------------------

    def plans(self) -> PlanRegistry:
        return PlanRegistry(self._config_store.plans())

    def working_calendar(self) -> BusinessHours:
        """The desk's working hours, on the holiday book as operators keep it: reading the plans brings the
        book up to date, and a function that has not read them yet knows only the built-in days."""
        self._config_store.plans()
        return CHINA_BUSINESS_HOURS

    def schedule(
        self, ticket: Ticket, events: list[TicketEvent], now: datetime | None = None,
        plans: PlanRegistry | None = None,
    ) -> Schedule:
        """``plans``: a registry already loaded (a sweep loads it once, not once per ticket)."""
        return compute_schedule(
            clock_facts(ticket, events),
            (plans or self.plans()).get(ticket.plan),
            now or self._clock.now(),
            warn_share=self._config.warn_share,
        )

    def next_wake(
        self,
        ticket: Ticket,
        events: list[TicketEvent],
        now: datetime,
        taken: frozenset[str] = frozenset(),
        acknowledged: frozenset[str] = frozenset(),
    ) -> datetime | None:
        """When the sweep must look at this ticket next (None: nothing more is owed)."""
        owed = self.owed_steps(ticket, events, now, taken, acknowledged)
        return owed[0].at if owed else None

    def projected(
        self, ticket: Ticket, events: list[TicketEvent], now: datetime, taken: frozenset[str] = frozenset(),
        acknowledged: frozenset[str] = frozenset(), plans: PlanRegistry | None = None,
    ) -> tuple[Ticket, datetime | None]:
        """The ticket with its schedule at a glance as of ``now`` (``Ticket.sla``, what lists read), and
        when the sweep must next look at it; one schedule computed for both."""
        try:
            schedule: Schedule | None = self.schedule(ticket, events, now, plans)
        except UnknownPlan:
            if ticket.is_open:
                raise
            schedule = None  # a finished ticket whose plan is gone owes nothing
        wake = None
        if ticket.is_open and schedule is not None:
            wake = self._ladder.next_wake(schedule, now, taken, acknowledged)
        return ticket.model_copy(update={"sla": project(schedule, now, taken)}), wake

    def owed_steps(
        self, ticket: Ticket, events: list[TicketEvent], now: datetime, taken: frozenset[str] = frozenset(),
        acknowledged: frozenset[str] = frozenset(),
    ) -> list[Step]:
        """The ladder steps this ticket still owes (warnings, breach levels not yet taken), earliest first."""
        if not ticket.is_open:
            return []
        steps = self._ladder.steps(self.schedule(ticket, events, now), now, acknowledged)
        return [s for s in steps if s.key not in taken]

    # -- the sweep -----------------------------------------------------------------------------

    def sweep(self, limit: int = SWEEP_LIMIT) -> SweepReport:
        sweep = self.begin_sweep(limit)
        report = SweepReport(looked_ahead=len(sweep.coming))
        if sweep.due:
            report.oldest_overdue_seconds = (sweep.started - sweep.due[0][1]).total_seconds()

        def take(item: tuple[str, datetime | None]) -> list[Step] | None | Exception:
            number, moment = item
            try:
                return self.sweep_ticket(sweep, number) if moment is None else self.sweep_coming(sweep, number, moment)
            except Exception as error:  # one bad ticket must not stop the others from escalating
                logger.exception("sweep failed for a ticket", extra={"ticket": number})
                return error

        # Earliest first, so a worker waiting for a later moment never holds up an earlier one.
        items: list[tuple[str, datetime | None]] = [(number, None) for number, _ in sweep.due]
        items += sweep.coming
        outcomes = in_parallel(take, items, self._config.workers)
        for (number, _), taken in zip(items, outcomes, strict=True):
            report.tickets_read += 1
            if isinstance(taken, Exception):
                continue
            if taken is None:
                report.conflicts += 1
            else:
                report.steps_taken += len(taken)
                report.steps.extend(f"{number} {s.key}" for s in taken)
        return report

    def begin_sweep(self, limit: int = 500) -> SweepPass:
        """The sweep's first half: which tickets are due now, and which fall due within the look-ahead.
        People keep working while the sweep goes through them, so ``sweep_ticket`` (the second half, once
        per ticket) decides on each as it is by then. Tests interleave people and clocks between the two."""
        now = self._clock.now()
        # One Query per shard serves both: the look-ahead only moves the bound.
        found = self._tickets.due_tickets(now + self._config.lookahead, limit)
        return SweepPass(now, [(n, at) for n, at in found if at <= now], RosterBook(self._config_store.rosters()),
                         self.plans(), coming=[(n, at) for n, at in found if at > now])

    def sweep_ticket(self, sweep: SweepPass, number: str) -> list[Step] | None:
        """Takes the ticket's due steps; None if others kept changing it (it stays due)."""
        return self._process(number, sweep.roster, sweep.plans)

    def sweep_coming(self, sweep: SweepPass, number: str, moment: datetime) -> list[Step] | None:
        """Waits for ``moment`` (a ticket's wake-up within the look-ahead), then takes its due steps as the
        ticket is then: a move meanwhile may have changed them; it is decided on like any other."""
        self._clock.sleep_until(moment)
        return self._process(number, sweep.roster, sweep.plans)

    def act_now(self, number: str) -> list[Step] | None:
        """Take a ticket's due steps at once, without waiting for the sweep: a job classified critical
        tells the chief engineer and the general manager immediately (000 §4.4.2.1)."""
        return self._process(number, RosterBook(self._config_store.rosters()), self.plans())

    def _process(self, number: str, roster: RosterBook, plans: PlanRegistry) -> list[Step] | None:
        """Decide on the ticket as it is now and write the decision conditioned on that version; when
        someone else wrote first, read again and decide again. None: still conflicting after
        ``DECIDE_ATTEMPTS`` tries; nothing was written, so the ticket stays due for the next sweep."""
        for _ in range(DECIDE_ATTEMPTS):
            decided = self._decide(number, roster, plans)
            if decided is not None:
                return decided
        return None

    def _decide(self, number: str, roster: RosterBook, plans: PlanRegistry) -> list[Step] | None:
        ticket = self._tickets.get(number)
        if ticket is None:
            return []
        events = self._tickets.events(number)
        taken, acknowledged = self._tickets.escalation_state(number)
        # The clock is read after the ticket: a decision taken with an earlier moment would judge facts
        # recorded after it (a check-in a second ago) as not yet true, and escalate a met deadline.
        # Another machine's clock may run slightly ahead: never decide before the last fact read.
        now = max([self._clock.now(), *(e.at for e in events)])
        if not ticket.is_open:
            return [] if self._tickets.set_next_wake(ticket, None) else None
        schedule = self.schedule(ticket, events, now, plans)
        due = self._ladder.due(schedule, now, taken, acknowledged)
        if not due:
            wake = self._ladder.next_wake(schedule, now, taken, acknowledged)
            glance = ticket.model_copy(update={"sla": project(schedule, now, taken)})
            return [] if self._tickets.set_next_wake(glance, wake) else None
        technicians = self._technicians(ticket) if any(s.role == Role.TECHNICIAN for s in due) else ()
        told = {
            s.key: roster.recipients(s, now, province=ticket.reporter.province, technicians=technicians) for s in due
        }
        step_events = [self._event_for(step, told[step.key], now) for step in due]
        messages = [m for step in due for m in self._messages_for(ticket, step, told[step.key], roster, now)]
        # The notices are facts for the clock too: recompute with them so they count as met.
        after_events = events + step_events
        ticket, next_wake = self.projected(ticket, after_events, now, taken | {s.key for s in due}, acknowledged, plans)
        # The messages due now are written claimed by this sweep, which sends them once the steps are stored.
        stored, sending = self._notifications.claimed_now(messages, now)
        if not self._tickets.record_escalation(ticket, [s.key for s in due], step_events, stored, next_wake):
            return None
        self._notifications.deliver_claimed(sending)
        logger.info("escalation steps taken", extra={"ticket": number, "steps": [s.key for s in due]})
        return due

    def _technicians(self, ticket: Ticket) -> tuple[Person, ...]:
        """The job's technicians who can be reached (a login without a phone or email is not). None when the
        directory cannot be read: the roster sends their steps to the supervisor instead of the ticket's
        whole ladder failing with the lookup, every run."""
        try:
            contacts = [(name, self._staff.contact(name)) for name in ticket.assignees] if self._staff else []
        except Exception:
            logger.exception("could not read the technicians' contacts", extra={"ticket": ticket.number})
            return ()
        return tuple(
            Person(name=name, phone=contact.phone, email=contact.email)
            for name, contact in contacts
            if contact is not None and (contact.phone or contact.email)
        )

    def _event_for(self, step: Step, told: list[Recipient], now: datetime) -> TicketEvent:
        # Who was told, and whether it went out now or waits for their working time: the timeline says a
        # step was taken, never that someone heard of it when the message is still held.
        recipients = tuple(
            Told(name=r.person.name, on_call=r.on_call, held_until=r.send_at if r.send_at > now else None)
            for r in told
        )
        return TicketEvent.recording(
            Escalated(step=step.key, kind=step.kind.value, milestone=step.milestone.value, level=step.level,
                      role=step.role.value, late_by_seconds=int(step.late_by.total_seconds()) if step.late_by else None,
                      rule=step.rule, told=recipients),
            at=now, actor="sla-sweep", public=False,
        )

    def _messages_for(
        self, ticket: Ticket, step: Step, told: list[Recipient], roster: RosterBook, now: datetime
    ) -> list[OutboxMessage]:
        if not told:
            logger.warning("nobody holds this level", extra={"ticket": ticket.number, "role": step.role.value})
        messages = []
        for person, send_at in ((r.person, r.send_at) for r in told):
            link = self.link_for(ticket, step, person)
            subject, text, sms = self._texts(ticket, step, link, now)
            for channel, recipient, body in (
                (MessageChannel.EMAIL, person.email, text),
                (MessageChannel.SMS, person.phone, sms),
            ):
                if recipient:
                    messages.append(
                        OutboxMessage(
                            id=uuid.uuid4().hex,
                            ticket_number=ticket.number,
                            purpose=f"escalation:{step.key}",
                            channel=channel,
                            recipient=recipient,
                            subject=subject if channel == MessageChannel.EMAIL else "",
                            text=body,
                            created_at=now,
                            next_attempt_at=send_at,
                        )
                    )
        messages.extend(self._team_chat_messages(ticket, step, roster, now))
        return messages

    def _texts(self, ticket: Ticket, step: Step, link: str, now: datetime) -> tuple[str, str, str]:
        zh = "zh-CN"
        zone = ZoneInfo(self._config.timezone)
        values = {
            "number": ticket.number,
            "level": step.level,
            "role": t(zh, f"role.{step.role.value}"),
            "milestone": t(zh, f"milestone.{step.milestone.value}"),
            "what": t(zh, f"step.{step.kind.value}"),
            "due": step.due_at.astimezone(zone).strftime("%m-%d %H:%M") if step.due_at else "-",
            "late": t(zh, "step.late", late=deadlines.duration(zh, step.late_by)) if step.late_by else "",
            "rule": step.rule or "-",
            "customer": ticket.reporter.customer_name,
            "province": province_name(ticket.reporter.province, zh),
            "model": ticket.product.model,
            # What happened, so a leader can judge it from the message alone.
            "description": _shortened(ticket.description, NOTICE_DESCRIPTION_CHARS),
            "priority": t(zh, f"priority.{ticket.priority.value}") if ticket.priority else t(zh, "priority.none"),
            "link": link,
        }
        # A notice tells leaders of a job by its priority; the other steps are about a deadline.
        kind = "notice" if step.kind == StepKind.NOTICE else "escalation"
        # The technician below the ladder is told as the deadline's owner, not as a level.
        subject = f"msg.{kind}.subject" + (".owner" if step.level == 0 else "")
        return (
            t(zh, subject, **values),
            t(zh, f"msg.{kind}.body", **values),
            sms_text(zh, f"msg.{kind}", self._config.public_base_url, **values),
        )

    # -- team chats --------------------------------------------------------------------------------

    def roster_book(self) -> RosterBook:
        """Who holds each level, and which team chats hear of what, as configured now."""
        return RosterBook(self._config_store.rosters())

    def rosters(self) -> list[Roster]:
        return sorted(self._config_store.rosters(), key=lambda r: (r.scope != "default", r.scope))

    def set_on_call(self, scope: str, role: Role, holder: Person | None, *, actor: Actor) -> Roster:
        """Who answers ``role`` out of hours in ``scope`` from now on (None: nobody; the level's own holders
        are then told at any hour). Other instances read it within the configuration's refresh interval.
        ``actor``: a keeper of the rota (``domain/permissions.py``)."""
        check_work(actor, Work.KEEP_ON_CALL_ROTA)
        return set_on_call(self._config_store, scope, role, holder)

    def _team_chat_messages(self, ticket: Ticket, step: Step, roster: RosterBook, now: datetime) -> list[OutboxMessage]:
        """Each team chat of the step's level hears of it once, in the SMS's short words. Its link names
        the group: whoever in it takes the breach is recorded as the group."""
        messages = []
        for chat in roster.chats(step.role, province=ticket.reporter.province):
            link = self.link_for(ticket, step, Person(name=chat.name))
            messages.append(OutboxMessage(
                id=uuid.uuid4().hex, ticket_number=ticket.number, purpose=f"escalation:{step.key}",
                channel=MessageChannel.TEAM_CHAT, recipient=chat.address, text=self._texts(ticket, step, link, now)[2],
                created_at=now, next_attempt_at=now if step.urgent else hold_until_working_time(now, chat.calendar),
            ))
        return messages

    # -- links and acknowledgements ------------------------------------------------------------

    def link_for(self, ticket: Ticket, step: Step, person: Person) -> str:
        """Every step's link can be taken: taking it claims the deadline it is about (``breach``), so
        its ladder climbs no further, whether the message warned, prompted, told a leader or escalated."""
        breach = f"{step.milestone.value}@{step.due_at:%Y%m%dT%H%M%SZ}" if step.due_at else None
        # The link rides in an SMS, so it says no more than it must: the level follows from the role, and
        # a breach (the most frequent step) names no kind.
        claims: dict[str, object] = {"ticket": ticket.number, "breach": breach, "role": step.role.value,
                                     "name": person.name}
        if step.kind not in (StepKind.BREACH, StepKind.LATEST_BREACH):
            claims["kind"] = step.kind.value
        token = self._links.sign(claims, LINK_LIFETIME)
        return f"{self._config.public_base_url.rstrip('/')}/escalations/{token}"

    def open_link(self, token: str) -> tuple[dict[str, object], Ticket, list[TicketEvent]]:
        claims = self._links.verify(token)
        ticket = self._tickets.get(str(claims.get("ticket", "")))
        if ticket is None or claims.get("role") not in set(Role):
            raise BadLink()
        claims.setdefault("level", level_of(Role(str(claims["role"]))))
        return claims, ticket, self._tickets.events(ticket.number)

    def acknowledge(self, token: str) -> tuple[Ticket, bool]:
        """Whoever holds the link takes the breach: the ladder stops climbing for it.

        Returns the ticket and whether this call recorded it (False: someone already had).
        """
        claims, ticket, events = self.open_link(token)
        breach = claims.get("breach")
        if not breach:
            raise BadLink()
        role = Role(str(claims["role"]))
        taking = taken_key(str(breach), role, owner_of(str(breach)))
        # Links signed before every step could be taken name no kind: only breaches had a button then.
        kind = StepKind(str(claims.get("kind") or StepKind.BREACH.value))
        for _ in range(DECIDE_ATTEMPTS):
            taken, acknowledged = self._tickets.escalation_state(ticket.number)
            if taking in acknowledged:
                return ticket, False
            now = max([self._clock.now(), *(e.at for e in events)])
            level = claims.get("level")
            event = TicketEvent.recording(
                Acknowledged(breach=str(breach), kind=kind.value, role=role.value,
                             level=int(str(level)) if level is not None else level_of(role)),
                at=now, actor=str(claims.get("name", "?")), public=False,
            )
            glance, next_wake = self.projected(ticket, events, now, taken, acknowledged | {taking})
            if self._tickets.record_acknowledgement(glance, taking, event, next_wake):
                return glance, True
            # The write is conditioned on the version read: a staff move since then is no reason to say
            # "already taken". Read again; only a take now stored answers that.
            ticket = self._tickets.get(ticket.number) or ticket
            events = self._tickets.events(ticket.number)
        raise StillChanging()

    def taken_by(self, claims: dict[str, object]) -> bool:
        """Whether what a link is about has been taken (by its owner, for an owner's link)."""
        taken = self._tickets.escalation_state(str(claims["ticket"]))[1]
        breach = str(claims.get("breach"))
        return taken_key(breach, Role(str(claims["role"])), owner_of(breach)) in taken


def set_on_call(store: ConfigStore, scope: str, role: Role, holder: Person | None) -> Roster:
    """``holder`` on call for ``role`` in ``scope``, the rest of the roster as stored now: the edit is written
    over the version it was made on, and made again on the newer one when another edit came first."""
    for _ in range(DECIDE_ATTEMPTS):
        current = next((r for r in store.rosters() if r.scope == scope), None)
        roster = (current or Roster(scope=scope, levels={})).with_on_call(role, holder)
        if store.replace_roster(roster):
            return roster.model_copy(update={"version": roster.version + 1})
    raise StillChanging()


class StillChanging(Exception):
    """Others kept changing what this edit was about (a ticket taken from a link, a roster): nothing was
    recorded, try again."""


def _shortened(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
