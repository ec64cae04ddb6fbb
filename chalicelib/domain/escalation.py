"""The escalation ladder: who is told what, and when, as a ticket's deadlines approach and pass.

SPEC "Escalation": level 1 supervisor → level 2 chief engineer → level 3 general manager, and below the
ladder (level 0) the job's technicians. Each deadline has an owner (``plans.OWNERS``): a deadline about to
be missed warns its owner at a share of its target; a missed one escalates to the level above the owner
at the breach (a technician's missed report → supervisor; the supervisor's missed contact → chief
engineer), and to each further level after ``climb_after`` while nobody above the owner has taken it.
Missing the outer limit ("6 h at the latest") takes the remaining levels at once. Each level hears of
each breach once.
Critical tickets tell levels 2 and 3 at creation (000 §4.4.2.1) — that rule is a plan milestone
(``escalation_notice``) whose notice this module schedules like any other step.

Every step has a stable ``key``: the sweep claims it with a conditional write before sending, so a
step is taken once even when two sweeps overlap or one crashes half way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.domain.calendars import AlwaysOpen, BusinessHours, Calendar
from chalicelib.domain.plans import OWNERS, Milestone, Role
from chalicelib.domain.sla import Deadline, DeadlineState, Schedule
from chalicelib.domain.ticket import Priority

LADDER: tuple[Role, ...] = (Role.SUPERVISOR, Role.CHIEF_ENGINEER, Role.GENERAL_MANAGER)


def level_of(role: Role) -> int:
    """The ladder's level of ``role``: 1 to 3, and 0 for the technician below it."""
    return LADDER.index(role) + 1 if role in LADDER else 0


def taken_key(breach: str, role: Role, owner: Role) -> str:
    """What taking a step records. The deadline's owner taking it (his own warning or prompt, a supervisor
    as much as a technician) says "I am on it": it is kept apart from the breach, so it stops no climb;
    only someone above the owner taking it does."""
    return f"owner:{breach}" if role == owner or role not in LADDER else breach


def owner_of(breach: str) -> Role:
    """Who owns the deadline a breach (``breach_key``: ``milestone@due``) is about."""
    try:
        return OWNERS.get(Milestone(breach.partition("@")[0]), Role.SUPERVISOR)
    except ValueError:
        return Role.SUPERVISOR
DEFAULT_CLIMB_AFTER = timedelta(hours=1)


class StepKind(StrEnum):
    NOTICE = "notice"  # a rule that says "tell them" (critical job: chief engineer and GM at once)
    PROMPT = "prompt"  # a duty has begun (a loaner owed, a refusal to sign to settle)
    WARNING = "warning"  # the deadline is close
    BREACH = "breach"  # the deadline passed
    LATEST_BREACH = "latest_breach"  # even the outer limit passed


class Person(BaseModel):
    """Someone on the ladder. ``calendar`` is their working time, for messages that can wait."""

    model_config = ConfigDict(frozen=True)

    name: str
    email: str | None = None
    phone: str | None = None
    calendar: Calendar = Field(default_factory=BusinessHours)


class ChatVendor(StrEnum):
    WECOM = "wecom"  # 企业微信
    DINGTALK = "dingtalk"  # 钉钉
    FEISHU = "feishu"  # 飞书


# Team chats may hear of a level's steps, or (``DESK``) of every new ticket in the roster's scope.
DESK: Literal["desk"] = "desk"
ChatAudience = Role | Literal["desk"]
# The functions may read only secrets under this name (IAM), so a roster cannot point them at any other.
CHAT_SECRET_PREFIX = "service-desk/chat/"
_SECRET_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+=.@-")


class TeamChat(BaseModel):
    """A group robot in a team chat. Its webhook URL is a credential (whoever has it can post to the
    group), so the roster holds only ``secret``, the name of the secret that keeps the URL and the
    signing secret. ``name`` says who took a breach from the group's link."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    vendor: ChatVendor
    secret: str
    calendar: Calendar = Field(default_factory=BusinessHours)

    @field_validator("secret")
    @classmethod
    def _a_secret_name(cls, value: str) -> str:
        if "://" in value or "?" in value:
            raise ValueError("a webhook URL is a credential: store it in Secrets Manager and give the secret's name")
        if not value.startswith(CHAT_SECRET_PREFIX) or not set(value) <= _SECRET_NAME_CHARS:
            raise ValueError(f"the name of a secret under {CHAT_SECRET_PREFIX!r}, e.g. {CHAT_SECRET_PREFIX}gd-supervisors")
        return value

    @property
    def address(self) -> str:
        """The outbox recipient: which vendor, and which secret holds the way in."""
        return f"{self.vendor.value}:{self.secret}"


def chat_address(recipient: str) -> tuple[ChatVendor, str] | None:
    """The vendor and secret name of a team chat's outbox recipient; None for any other recipient."""
    vendor, sep, secret = recipient.partition(":")
    known = {v.value: v for v in ChatVendor}
    return (known[vendor], secret) if sep and vendor in known else None


class Roster(BaseModel):
    """Who holds each level for one scope: ``default``, a region (``CN-GD``) or a product line;
    ``on_call``: who answers for a level outside its holders' working time, on deadlines counted round
    the clock; ``chats``: the team chats that hear of each level's steps (and, under ``desk``, of new
    tickets)."""

    model_config = ConfigDict(frozen=True)

    scope: str = "default"
    levels: dict[Role, tuple[Person, ...]]
    on_call: dict[Role, tuple[Person, ...]] = Field(default_factory=dict)
    chats: dict[ChatAudience, tuple[TeamChat, ...]] = Field(default_factory=dict)
    # How many edits were stored: an edit is written only over the version it was made on, so two
    # supervisors changing different levels at once do not undo each other.
    version: int = 0

    def with_on_call(self, role: Role, holder: Person | None) -> Roster:
        """This roster with ``holder`` on call for ``role`` (None: nobody), the rest kept: the rota
        changes every week, the roster rarely."""
        on_call = {level: people for level, people in self.on_call.items() if level != role}
        if holder is not None:
            on_call[role] = (holder,)
        return self.model_copy(update={"on_call": on_call})


class RosterBook:
    """Resolves who holds a level for a ticket: its product line first, then its province, then default."""

    def __init__(self, rosters: Iterable[Roster]):
        self._by_scope = {r.scope: r for r in rosters}

    def holders(self, role: Role, *, province: str, product_line: str | None = None) -> tuple[Person, ...]:
        for roster in self._scopes(province, product_line):
            if roster.levels.get(role):
                return roster.levels[role]
        return ()

    def on_call(self, role: Role, *, province: str, product_line: str | None = None) -> tuple[Person, ...]:
        """Who answers for the level out of hours: the nearest scope that names anyone on call for it."""
        for roster in self._scopes(province, product_line):
            if roster.on_call.get(role):
                return roster.on_call[role]
        return ()

    def recipients(self, step: Step, now: datetime, *, province: str, product_line: str | None = None,
                   technicians: tuple[Person, ...] = ()) -> list[Recipient]:
        """Who is told of ``step``, and when. A technician's step goes to the job's ``technicians``, or to
        the supervisor while nobody is dispatched (he is the one who must act then).

        A step on a deadline counted on business hours waits for each holder's working time. A deadline
        counted round the clock (a 24/7 plan) is answered round the clock: when none of the level's
        holders is at work, the level's on-call holders are told at once instead — or, when nobody is on
        call, the holders themselves, since a 24/7 promise outranks their evening. A critical job's step
        goes to the holders at once whatever the hour, and to whoever is on call as well.
        """
        role = Role.SUPERVISOR if step.role == Role.TECHNICIAN and not technicians else step.role
        holders = technicians if role == Role.TECHNICIAN else self.holders(role, province=province,
                                                                            product_line=product_line)
        if not (step.urgent or step.round_the_clock):
            return [Recipient(person=p, send_at=hold_until_working_time(now, p.calendar)) for p in holders]
        off_hours = not any(at_work(p.calendar, now) for p in holders)
        on_call = self.on_call(role, province=province, product_line=product_line) if off_hours else ()
        told = [Recipient(person=p, send_at=now, on_call=True) for p in on_call if p not in holders]
        if step.urgent or not told:
            told += [Recipient(person=p, send_at=now) for p in holders]
        return told

    def chats(self, audience: ChatAudience, *, province: str, product_line: str | None = None) -> tuple[TeamChat, ...]:
        """The team chats of the nearest scope that names any for this audience (resolved apart from
        the people: a region may add its group and keep the default's people)."""
        for roster in self._scopes(province, product_line):
            if roster.chats.get(audience):
                return tuple({chat.secret: chat for chat in roster.chats[audience]}.values())
        return ()

    def _scopes(self, province: str, product_line: str | None) -> list[Roster]:
        scopes = (f"product:{product_line}" if product_line else None, f"region:{province}", "default")
        return [self._by_scope[s] for s in scopes if s and s in self._by_scope]


class Recipient(BaseModel):
    """One person told of a step, and when the message goes out (later than the step: held for their
    working time). ``on_call``: told as the level's on-call holder."""

    model_config = ConfigDict(frozen=True)

    person: Person
    send_at: datetime
    on_call: bool = False


class Step(BaseModel):
    """One thing to tell one level about one deadline."""

    model_config = ConfigDict(frozen=True)

    key: str
    kind: StepKind
    milestone: Milestone
    level: int
    role: Role
    at: datetime  # when it is due to be taken
    due_at: datetime | None
    late_by: timedelta | None = None
    urgent: bool = False  # goes out at any hour (critical tickets); otherwise waits for working hours
    round_the_clock: bool = False  # its deadline counts every hour: someone on call answers out of hours
    rule: str = ""


class Ladder(BaseModel):
    """How a schedule's deadlines turn into steps. ``climb_after``: the wait before the next level."""

    model_config = ConfigDict(frozen=True)

    climb_after: timedelta = DEFAULT_CLIMB_AFTER

    def steps(self, schedule: Schedule, now: datetime, acknowledged: frozenset[str] = frozenset()) -> list[Step]:
        """Every step still to be taken for this schedule (taken or not), earliest first.

        ``acknowledged`` holds the breach keys someone took: their ladders stop climbing. A warning
        whose deadline has already passed is dropped, and so is a prompt: the breach says more.
        """
        urgent = schedule.priority == Priority.CRITICAL
        found = [
            step
            for deadline in schedule.deadlines
            for step in _steps_for(deadline, urgent, acknowledged, self.climb_after)
            if not (step.kind in _SUPERSEDED_BY_BREACH and step.due_at is not None and step.due_at <= now)
        ]
        return sorted(found, key=lambda s: (s.at, s.level))

    def due(
        self, schedule: Schedule, now: datetime, taken: frozenset[str], acknowledged: frozenset[str] = frozenset()
    ) -> list[Step]:
        """Steps whose time has come and that nobody has taken yet."""
        return [s for s in self.steps(schedule, now, acknowledged) if s.at <= now and s.key not in taken]

    def next_wake(
        self, schedule: Schedule, now: datetime, taken: frozenset[str], acknowledged: frozenset[str] = frozenset()
    ) -> datetime | None:
        """When the sweep must look at this ticket again: its earliest step not yet taken."""
        pending = [s.at for s in self.steps(schedule, now, acknowledged) if s.key not in taken]
        return min(pending) if pending else None


_SUPERSEDED_BY_BREACH = (StepKind.WARNING, StepKind.PROMPT)


def breach_key(deadline: Deadline) -> str:
    """Identifies one breach: a deadline that moves (re-classified, paused) is a new breach."""
    assert deadline.due_at is not None
    return f"{deadline.milestone.value}@{deadline.due_at:%Y%m%dT%H%M%SZ}"


def at_work(calendar: AlwaysOpen | BusinessHours, at: datetime) -> bool:
    return calendar.between(at, at + timedelta(seconds=1)) > timedelta(0)


def hold_until_working_time(at: datetime, calendar: AlwaysOpen | BusinessHours) -> datetime:
    """The first working moment at or after ``at`` for the recipient (a message that can wait)."""
    second = timedelta(seconds=1)
    if at_work(calendar, at):
        return at
    # One second of working time from ``at`` ends one second after the next opening.
    return calendar.add(at, second) - second


def _steps_for(
    deadline: Deadline, urgent: bool, acknowledged: set[str] | frozenset[str], climb_after: timedelta
) -> list[Step]:
    if deadline.due_at is None or deadline.state not in (DeadlineState.PENDING, DeadlineState.MISSED):
        return []  # met, waived, paused or not started: nothing to tell anyone
    rule = deadline.source or ""
    round_the_clock = isinstance(deadline.calendar_terms, AlwaysOpen)
    if deadline.milestone == Milestone.ESCALATION_NOTICE:
        start = deadline.starts_at or deadline.due_at
        return [
            Step(
                key=f"notice:{deadline.milestone.value}:{role.value}",
                kind=StepKind.NOTICE,
                milestone=deadline.milestone,
                level=level_of(role),
                role=role,
                at=start,
                due_at=deadline.due_at,
                urgent=True,
                round_the_clock=round_the_clock,
                rule=rule,
            )
            for role in deadline.notify or (Role.CHIEF_ENGINEER, Role.GENERAL_MANAGER)
        ]
    breach = breach_key(deadline)
    owner = OWNERS.get(deadline.milestone, Role.SUPERVISOR)
    found: list[Step] = []

    def owner_told(kind: StepKind, key: str, at: datetime) -> Step:
        return Step(key=key, kind=kind, milestone=deadline.milestone, level=level_of(owner), role=owner, at=at,
                    due_at=deadline.due_at, urgent=urgent, round_the_clock=round_the_clock, rule=rule)

    if deadline.prompt_at is not None and deadline.state == DeadlineState.PENDING:
        found.append(owner_told(StepKind.PROMPT, f"prompt:{breach}", deadline.prompt_at))
    if deadline.warn_at is not None:
        found.append(owner_told(StepKind.WARNING, f"warn:{breach}", deadline.warn_at))
    above_owner = LADDER[level_of(owner):]
    for index, role in enumerate(above_owner):
        if index > 0 and breach in acknowledged:
            break
        at, kind = deadline.due_at + climb_after * index, StepKind.BREACH
        # Past the outer limit ("6 h at the latest") the ladder jumps to the top at once.
        if index > 0 and deadline.latest_at is not None and deadline.latest_at < at:
            at, kind = deadline.latest_at, StepKind.LATEST_BREACH
        found.append(
            Step(
                key=f"breach:{breach}:L{level_of(role)}",
                kind=kind,
                milestone=deadline.milestone,
                level=level_of(role),
                role=role,
                at=at,
                due_at=deadline.due_at,
                late_by=at - deadline.due_at,
                urgent=urgent or kind == StepKind.LATEST_BREACH,
                round_the_clock=round_the_clock,
                rule=rule,
            )
        )
    return found
