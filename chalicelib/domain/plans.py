"""Service plans: what we promise, per priority, for each milestone of a job — as data, not code.

A plan names a calendar and, per priority (A critical, B urgent, C general), the target of each
milestone. Targets are durations (possibly different in and out of the company's province), the date
agreed with the customer, or absent. Plans validate from plain dicts, so an operator can add one stored
in the database without a deploy; ``PlanRegistry`` merges those with the three defaults below.

Durations are written the way people say them: ``"1h"``, ``"2h30m"``, ``"5d"``. A day is a *working*
day of the rule's calendar: 24 h on a 24/7 calendar, one business day (e.g. 9 h of 08:30–17:30) on a
business-hours calendar, so "5d" from Friday 16:00 is the next Friday 16:00, not 5 × 24 working hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

from chalicelib.domain.calendars import (
    ALWAYS_OPEN,
    CHINA_BUSINESS_HOURS,
    AlwaysOpen,
    BusinessHours,
    Calendar,
)
from chalicelib.domain.ticket import Priority


class Milestone(StrEnum):
    """A step of a job that a plan can put a deadline on."""

    ESCALATION_NOTICE = "escalation_notice"  # chief engineer / general manager told (000 §4.4.2)
    CONTACTED = "contacted"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    ARRIVAL_REPORTED = "arrival_reported"  # technician called the supervisor from site (000 §4.5.4)
    PROGRESS_REPORTED = "progress_reported"  # daily while on site (000 §4.5.5)
    RESOLVED = "resolved"
    LOANER_PROVIDED = "loaner_provided"  # 002 §6.1
    ACCEPTANCE_FILED = "acceptance_filed"  # signed acceptance form filed (002 §4.2(5))
    REFUSAL_SETTLED = "refusal_settled"  # the customer refused to sign: the supervisor settles it (000 §4.5.7)


class Role(StrEnum):
    """Who a step can be for: the escalation ladder's levels (SPEC "Escalation"), and below them the
    job's own technicians, who own the deadlines of the work on site."""

    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    CHIEF_ENGINEER = "chief_engineer"
    GENERAL_MANAGER = "general_manager"


# Who owns each deadline: warnings and prompts go to the owner, a breach starts one level above it
# (a technician's missed report goes to the supervisor, the supervisor's missed contact to the chief
# engineer). The technician owns what happens on site once the job is dispatched to him.
OWNERS: dict[Milestone, Role] = {
    Milestone.CONTACTED: Role.SUPERVISOR,  # 000 §4.4.1
    Milestone.DISPATCHED: Role.SUPERVISOR,  # 000 §4.4.2
    Milestone.ON_SITE: Role.TECHNICIAN,
    Milestone.ARRIVAL_REPORTED: Role.TECHNICIAN,  # 000 §4.5.4
    Milestone.PROGRESS_REPORTED: Role.TECHNICIAN,  # 000 §4.5.5
    Milestone.RESOLVED: Role.TECHNICIAN,
    Milestone.LOANER_PROVIDED: Role.SUPERVISOR,  # 002 §6.1: the supervisor arranges the loaner
    Milestone.ACCEPTANCE_FILED: Role.TECHNICIAN,  # 000 §4.5.7: he uploads the signed form
    Milestone.REFUSAL_SETTLED: Role.SUPERVISOR,  # 000 §4.5.7: the supervisor settles a refusal
}


# What can start a milestone's clock: the ticket's creation, repair work beginning, or another milestone.
ClockStart = Milestone | Literal["created", "repair_started", "signature_refused"]

_SPAN_PART = re.compile(r"(\d+)\s*(d|h|m)", re.IGNORECASE)
_SPAN_TEXT = re.compile(r"^\s*(\d+\s*[dhm]\s*)+$", re.IGNORECASE)


class Span(BaseModel):
    """A target length: whole working days of the calendar plus working time, written ``"1d4h30m"``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(default=0, ge=0)
    time: timedelta = timedelta(0)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, timedelta):
            return {"time": value}
        if isinstance(value, str) and _SPAN_TEXT.match(value):
            days, minutes = 0, 0
            for amount, unit in _SPAN_PART.findall(value):
                if unit.lower() == "d":
                    days += int(amount)
                else:
                    minutes += int(amount) * (60 if unit.lower() == "h" else 1)
            return {"days": days, "time": timedelta(minutes=minutes)}
        if isinstance(value, str):
            return {"time": value}  # ISO 8601 ("PT2H") is parsed by pydantic, anything else is an error
        return value

    @model_validator(mode="after")
    def _not_negative(self) -> Span:
        if self.time < timedelta(0):
            raise ValueError("a target cannot be negative")
        return self

    @model_serializer
    def _as_text(self) -> str:
        return self.describe()

    def on(self, calendar: AlwaysOpen | BusinessHours) -> timedelta:
        """The working time this span is on ``calendar``."""
        return self.time + self.days * calendar.working_day

    def describe(self) -> str:
        """``"2h30m"``, ``"5d"``: the span as plans write it and as it is stored (people read it through
        ``chalicelib/i18n/deadlines.span``)."""
        hours, rest = divmod(int(self.time.total_seconds()) // 60, 60)
        parts = [f"{n}{unit}" for n, unit in ((self.days, "d"), (hours, "h"), (rest, "m")) if n]
        return "".join(parts) or "0m"


class Target(BaseModel):
    """One promise: a span, or the date agreed with the customer (optionally no later than a span).

    ``latest`` is an outer limit after the target, as in "dispatched within 2 h, 6 h at the latest".
    Shorthand in data: ``"2h"`` means ``{"within": "2h"}``, ``"agreed"`` means the agreed date.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    within: Span | None = None
    latest: Span | None = None
    agreed_date: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value == "agreed":
            return {"agreed_date": True}
        if isinstance(value, (str, timedelta)):
            return {"within": value}
        return value

    @model_validator(mode="after")
    def _says_something(self) -> Target:
        if self.within is None and not self.agreed_date:
            raise ValueError("a target needs a span ('within') or 'agreed_date'")
        if self.latest is not None and self.within is None:
            raise ValueError("'latest' extends a 'within' span")
        return self


class MilestoneRule(BaseModel):
    """The target of one milestone for one priority, and when its clock starts.

    ``everywhere`` applies unless ``in_province``/``out_of_province`` say otherwise; a side with no
    target has no deadline (critical jobs: dispatch counted in-province, arrival out-of-province).
    ``delay`` postpones the start (loaner: 8 h after repair began). ``ends_with`` is the milestone that
    makes the duty moot (a loaner is not owed once the fault is fixed); for a ``repeat`` duty it ends
    the cycle (daily progress reports stop when the job is resolved). ``prompt``: the supervisor is
    told when the duty begins, not only when it is about to be missed (a loaner owed, a refusal to sign).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    everywhere: Target | None = None
    in_province: Target | None = None
    out_of_province: Target | None = None
    starts_at: ClockStart = "created"
    delay: Span | None = None
    ends_with: Milestone | None = None
    repeat: bool = False
    prompt: bool = False
    calendar: Calendar | None = None
    notify: tuple[Role, ...] = ()
    source: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, (str, timedelta, Target)):
            return {"everywhere": value}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MilestoneRule:
        targets = [self.everywhere, self.in_province, self.out_of_province]
        if all(t is None for t in targets):
            raise ValueError("a milestone rule needs at least one target")
        if self.repeat and any(t is not None and t.within is None for t in targets):
            raise ValueError("a repeating duty needs a span, not an agreed date")
        return self

    def target_for(self, in_province: bool) -> tuple[Target, str | None] | None:
        """The target that applies, and the province side it came from (``"in_province"`` or
        ``"out_of_province"``; None when it applies everywhere)."""
        side = self.in_province if in_province else self.out_of_province
        if side is not None:
            return side, "in_province" if in_province else "out_of_province"
        if self.everywhere is not None:
            return self.everywhere, None
        return None


class PriorityTerms(BaseModel):
    """What a plan promises for one priority; ``calendar`` overrides the plan's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    calendar: Calendar | None = None
    milestones: dict[Milestone, MilestoneRule] = Field(default_factory=dict)


class ServicePlan(BaseModel):
    """A named set of promises. ``unclassified`` runs until the supervisor sets a priority.

    Build one from JSON with ``ServicePlan.model_validate(data)``; ``model_dump(mode="json")`` gives
    back the same shape, so plans round-trip through the database.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    title: str = ""
    source: str = ""
    calendar: Calendar = ALWAYS_OPEN
    warn_share: float = Field(default=0.75, gt=0, lt=1)
    unclassified: PriorityTerms | None = None
    priorities: dict[Priority, PriorityTerms] = Field(default_factory=dict)

    def terms_for(self, priority: Priority | None) -> PriorityTerms | None:
        if priority is None:
            return self.unclassified
        return self.priorities.get(priority)

    def calendar_for(self, priority: Priority | None, rule: MilestoneRule) -> AlwaysOpen | BusinessHours:
        """Rule calendar, else the priority's, else the plan's."""
        terms = self.terms_for(priority)
        return rule.calendar or (terms.calendar if terms else None) or self.calendar


class UnknownPlan(LookupError):
    """A ticket names a plan nobody defined (or that was deleted)."""

    def __init__(self, name: str):
        super().__init__(f"no service plan named {name!r}")
        self.name = name


class PlanRegistry:
    """The plans in force: the defaults, overridden or extended by operator plans of the same shape."""

    def __init__(
        self, operator_plans: Iterable[ServicePlan | Mapping[str, Any]] = (), *, defaults: Iterable[ServicePlan] = ()
    ):
        defaults = tuple(defaults) or DEFAULT_PLANS
        self._plans: dict[str, ServicePlan] = {plan.name: plan for plan in defaults}
        for plan in operator_plans:
            parsed = plan if isinstance(plan, ServicePlan) else ServicePlan.model_validate(plan)
            self._plans[parsed.name] = parsed

    def get(self, name: str) -> ServicePlan:
        try:
            return self._plans[name]
        except KeyError:
            raise UnknownPlan(name) from None

    def names(self) -> list[str]:
        return sorted(self._plans)

    def __contains__(self, name: object) -> bool:
        return name in self._plans

    def __iter__(self) -> Iterator[ServicePlan]:
        return iter(self._plans[name] for name in self.names())


def span(text: str) -> Span:
    """``span("2h30m")``: a Span from the way people write it."""
    return Span.model_validate(text)


def within(text: str, *, latest: str | None = None) -> Target:
    """A target of ``text`` working time, optionally with an outer limit: ``within("2h", latest="6h")``."""
    return Target(within=span(text), latest=span(latest) if latest else None)


AGREED_DATE = Target(agreed_date=True)


# ---- the default plans, from SPEC.md "Deadlines" ----------------------------------------------------

# Internal rules of 000 §4.4.2 (leaders told of severe jobs). They are company policy, not a customer
# promise, so every plan carries them and they always run on 24/7. "Immediately" is taken as 15 minutes
# so the automatic notice sent at creation by the next sweep counts as on time.
_LEADERS_TOLD_AT_ONCE = MilestoneRule(
    everywhere=within("15m"),
    calendar=ALWAYS_OPEN,
    notify=(Role.CHIEF_ENGINEER, Role.GENERAL_MANAGER),
    source="000 §4.4.2.1",
)
_CHIEF_ENGINEER_TOLD_IN_1H = MilestoneRule(
    everywhere=within("1h"), calendar=ALWAYS_OPEN, notify=(Role.CHIEF_ENGINEER,), source="000 §4.4.2.2"
)
# Paperwork is office work: 5 business days after the job was resolved, whatever the plan's calendar.
_ACCEPTANCE_FILED_IN_5_DAYS = MilestoneRule(
    everywhere=within("5d"), starts_at=Milestone.RESOLVED, calendar=CHINA_BUSINESS_HOURS, source="002 §4.2(5)"
)
# A phone call from site: due 1 h after check-in whatever the hour, like the daily report.
_ARRIVAL_REPORTED_IN_1H = MilestoneRule(
    everywhere=within("1h"), starts_at=Milestone.ON_SITE, calendar=ALWAYS_OPEN, source="000 §4.5.4"
)
_PROGRESS_REPORTED_DAILY = MilestoneRule(
    everywhere=within("24h"),
    starts_at=Milestone.ON_SITE,
    repeat=True,
    ends_with=Milestone.RESOLVED,
    calendar=ALWAYS_OPEN,
    source="000 §4.5.5",
)
# A refusal is told to the supervisor at once; a signed form filed afterwards settles it. Left a working
# day, it climbs the ladder like any missed deadline.
_REFUSAL_SETTLED_IN_1_DAY = MilestoneRule(
    everywhere=within("1d"),
    starts_at="signature_refused",
    ends_with=Milestone.ACCEPTANCE_FILED,
    calendar=CHINA_BUSINESS_HOURS,
    prompt=True,
    source="000 §4.5.7",
)
_CONTACT_IN_1H = MilestoneRule(everywhere=within("1h"), source="000 §4.4.1")
_ON_SITE_JOB_DUTIES = {
    Milestone.ARRIVAL_REPORTED: _ARRIVAL_REPORTED_IN_1H,
    Milestone.PROGRESS_REPORTED: _PROGRESS_REPORTED_DAILY,
    Milestone.ACCEPTANCE_FILED: _ACCEPTANCE_FILED_IN_5_DAYS,
    Milestone.REFUSAL_SETTLED: _REFUSAL_SETTLED_IN_1_DAY,
}

# Standard (000 §4.4). Critical and urgent jobs run on 24/7: a production stop at 02:00 on a Saturday
# does not wait for Monday, and 000 §4.4.3 expects holiday work (with the supervisor's approval).
# General jobs, whose deadline is a date agreed with the customer anyway, run on business hours — so
# their 1 h contact promise is 1 working hour. Before classification the severity is unknown, so the
# contact promise runs 24/7 and nothing else does.
STANDARD_PLAN = ServicePlan(
    name="standard",
    title="Standard service",
    source="000 §4.4",
    calendar=CHINA_BUSINESS_HOURS,
    unclassified=PriorityTerms(calendar=ALWAYS_OPEN, milestones={Milestone.CONTACTED: _CONTACT_IN_1H}),
    priorities={
        Priority.CRITICAL: PriorityTerms(
            calendar=ALWAYS_OPEN,
            milestones={
                Milestone.ESCALATION_NOTICE: _LEADERS_TOLD_AT_ONCE,
                Milestone.CONTACTED: _CONTACT_IN_1H,
                Milestone.DISPATCHED: MilestoneRule(
                    in_province=within("2h", latest="6h"),
                    source="000 §4.4.2.1",
                ),
                Milestone.ON_SITE: MilestoneRule(out_of_province=within("12h"), source="000 §4.4.2.1"),
                **_ON_SITE_JOB_DUTIES,
            },
        ),
        Priority.URGENT: PriorityTerms(
            calendar=ALWAYS_OPEN,
            milestones={
                Milestone.ESCALATION_NOTICE: _CHIEF_ENGINEER_TOLD_IN_1H,
                Milestone.CONTACTED: _CONTACT_IN_1H,
                Milestone.DISPATCHED: MilestoneRule(everywhere=within("6h"), source="000 §4.4.2.2"),
                Milestone.ON_SITE: MilestoneRule(everywhere=within("16h"), source="000 §4.4.2.2"),
                **_ON_SITE_JOB_DUTIES,
            },
        ),
        Priority.GENERAL: PriorityTerms(
            milestones={
                Milestone.CONTACTED: _CONTACT_IN_1H,
                # 000 §4.4.2.3: the supervisor and the customer agree the date the technician is sent.
                Milestone.DISPATCHED: MilestoneRule(everywhere=AGREED_DATE, source="000 §4.4.2.3"),
                **_ON_SITE_JOB_DUTIES,
            },
        ),
    },
)


def _same_for_every_priority(terms: dict[Milestone, MilestoneRule]) -> dict[Priority, PriorityTerms]:
    """One customer promise for all priorities, plus the internal leader notices of 000 §4.4.2."""
    return {
        Priority.CRITICAL: PriorityTerms(milestones={Milestone.ESCALATION_NOTICE: _LEADERS_TOLD_AT_ONCE, **terms}),
        Priority.URGENT: PriorityTerms(milestones={Milestone.ESCALATION_NOTICE: _CHIEF_ENGINEER_TOLD_IN_1H, **terms}),
        Priority.GENERAL: PriorityTerms(milestones=terms),
    }


# Premium (002 §6.1): the same promise whatever the priority, 24/7 including holidays.
_PREMIUM_TERMS = {
    Milestone.CONTACTED: MilestoneRule(everywhere=within("1h"), source="002 §6.1"),
    Milestone.ON_SITE: MilestoneRule(everywhere=within("2h"), source="002 §6.1"),
    Milestone.RESOLVED: MilestoneRule(everywhere=within("24h"), source="002 §6.1"),
    # Not fixed 8 h after repair began -> a loaner of equal or better spec within 48 h of that moment.
    Milestone.LOANER_PROVIDED: MilestoneRule(
        everywhere=within("48h"),
        starts_at="repair_started",
        delay=span("8h"),
        ends_with=Milestone.RESOLVED,
        prompt=True,  # the supervisor arranges the loaner from the 8-hour mark, not when 48 h run out
        source="002 §6.1",
    ),
    Milestone.ACCEPTANCE_FILED: _ACCEPTANCE_FILED_IN_5_DAYS,
    Milestone.REFUSAL_SETTLED: _REFUSAL_SETTLED_IN_1_DAY,
}
PREMIUM_PLAN = ServicePlan(
    name="premium",
    title="Premium service",
    source="002 §6.1",
    calendar=ALWAYS_OPEN,
    unclassified=PriorityTerms(milestones=_PREMIUM_TERMS),
    priorities=_same_for_every_priority(_PREMIUM_TERMS),
)

# Basic (001 §3.4) on business hours. "Reply within 24 h" is read as one working day (a Friday 16:00
# request is answered by Monday 16:00), not 24 working hours (which would be almost three days).
_BASIC_TERMS = {
    Milestone.CONTACTED: MilestoneRule(everywhere=within("1d"), source="001 §3.4"),
    Milestone.ON_SITE: MilestoneRule(everywhere=AGREED_DATE, source="001 §3.4"),
    Milestone.ACCEPTANCE_FILED: _ACCEPTANCE_FILED_IN_5_DAYS,
    Milestone.REFUSAL_SETTLED: _REFUSAL_SETTLED_IN_1_DAY,
}
BASIC_PLAN = ServicePlan(
    name="basic",
    title="Basic service",
    source="001 §3.4",
    calendar=CHINA_BUSINESS_HOURS,
    unclassified=PriorityTerms(milestones=_BASIC_TERMS),
    priorities=_same_for_every_priority(_BASIC_TERMS),
)

DEFAULT_PLANS: tuple[ServicePlan, ...] = (STANDARD_PLAN, PREMIUM_PLAN, BASIC_PLAN)
DEFAULT_PLAN_NAME = "standard"
