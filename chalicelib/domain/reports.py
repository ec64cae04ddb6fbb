"""The monthly service report (001 §5.4, 000 §4.6): what managers read on the 1st about last month.

A month is a calendar month in the service's time zone (Asia/Shanghai): March 2026 runs from
2026-03-01 00:00 to 2026-04-01 00:00 Shanghai time (16:00 UTC the day before). A ticket belongs to the
month it was *created* in; its figures are as of the moment the report is built (``now``).

The report is built by ``ReportBuilder``, one ticket at a time (``add``), so a month of 100,000 tickets
never holds their event logs at once; ``finish`` gives the ``MonthlyReport``. Everything here is pure:
the service reads the tickets and events and computes each ticket's SLA schedule with the same code
as the sweep (``chalicelib.domain.sla``), then hands them in.

What each figure is read from
-----------------------------
* **Counts** by kind, priority, product model and province: the ticket's current fields.
* **Deadlines per rule** (each milestone of the plan): the state of each ``Deadline`` as of ``now`` —
  met on time, met late, missed (still owed and past due); pending and waived ones are not judged.
* **Times** (hours, wall clock from creation): to the first ``record_contact``, ``dispatch``,
  ``check_in`` and to the fault resolved (``resolve``, else the acceptance form ``upload_acceptance``).
  Median and 90th percentile by linear interpolation between closest ranks (``percentile``).
* **Dispatches**: person-times = technicians newly sent by each ``dispatch`` event (its ``assignees``
  not among the ``previous`` ones); days on site = from each ``check_in`` to the next
  ``report_departure``, ``upload_acceptance``, ``approve`` or ``cancel`` (a visit still going on at
  ``now`` counts to ``now``); person-days = days on site × technicians on the job then.
* **Costs** (CNY): the work report on the filed acceptance form (``Ticket.acceptance.work.costs``,
  ``chalicelib.domain.closure.Costs``); when there is none (a closure rejected), the latest filed form's
  (``AcceptanceFiled``).
* **Paid service**: ``Ticket.quote``/``Ticket.account`` when the ticket has them (billing,
  ``chalicelib.domain.billing``): revenue = the amount due (invoiced, else the approved quote), paid =
  payments received, unpaid = the balance.

After care (surveys, callbacks, complaints with CAPA)
-----------------------------------------------------
These sections read the typed events (``chalicelib/domain/events.py``); without any, a section says
"no data".

* ``SurveyAnswered``: the customer's satisfaction answer, scores 1..5 (``overall`` required). The
  latest counts.
* ``CallbackRecorded``: a callback made 5–7 days after the job (003 §2, §5), its outcome
  ``satisfied`` | ``problem`` | ``unreachable``. Every callback counts.
* ``ComplaintMoved`` of ``analyse_complaint``: the cause of a complaint (002 §4.3), ``quality`` |
  ``people`` | ``other`` (a ticket of kind ``complaint``; complaints are counted by kind even without one).
* ``ComplaintMoved`` of ``plan_capa``/``update_capa``: the complaint's CAPA status as the step left it
  (``open`` | ``in_progress`` | ``implemented`` | ``verified``). The latest of each ticket counts.

Recurring quality problems: a product model with at least ``recurring_threshold`` fault tickets in
the month (faults, plus complaints whose cause is quality).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain import billing
from chalicelib.domain.events import (
    AcceptanceFiled,
    CallbackRecorded,
    ComplaintMoved,
    Dispatched,
    EventPayload,
    SurveyAnswered,
    Unrecorded,
)
from chalicelib.domain.overtime import OvertimeState
from chalicelib.domain.plans import Milestone
from chalicelib.domain.sla import DeadlineState, Schedule
from chalicelib.domain.ticket import Action, Kind, Ticket, TicketEvent

_T = TypeVar("_T")
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_RECURRING_THRESHOLD = 3
ZERO = Decimal("0.00")

# -- the documented inputs of the after-care sections -----------------------------------------------

SURVEY_SCORES = ("overall", "timeliness", "attitude", "quality")
CALLBACK_OUTCOMES = ("satisfied", "problem", "unreachable")
COMPLAINT_CAUSES = ("quality", "people", "other")
CAPA_STATUSES = ("open", "in_progress", "implemented", "verified")
COST_PARTS = ("materials", "labour", "travel", "transport")

# -- months ------------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class BadMonth(ValueError):
    """Not a month written ``yyyy-mm``."""


class ReportMonth(BaseModel):
    """A calendar month in the service's time zone."""

    model_config = ConfigDict(frozen=True)

    year: int = Field(ge=2000, le=2999)
    month: int = Field(ge=1, le=12)

    @classmethod
    def parse(cls, text: str) -> ReportMonth:
        found = _MONTH.match(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) <= 2999:
            raise BadMonth(text)
        return cls(year=int(found.group(1)), month=int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime, timezone: str = DEFAULT_TIMEZONE) -> ReportMonth:
        """The month ``moment`` falls in, on the wall clocks of ``timezone``."""
        local = moment.astimezone(ZoneInfo(timezone))
        return cls(year=local.year, month=local.month)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def previous(self) -> ReportMonth:
        return ReportMonth(year=self.year - 1, month=12) if self.month == 1 else ReportMonth(
            year=self.year, month=self.month - 1
        )

    def next(self) -> ReportMonth:
        return ReportMonth(year=self.year + 1, month=1) if self.month == 12 else ReportMonth(
            year=self.year, month=self.month + 1
        )

    def start(self, timezone: str = DEFAULT_TIMEZONE) -> datetime:
        """00:00 on the 1st in ``timezone``, as a UTC instant."""
        return datetime(self.year, self.month, 1, tzinfo=ZoneInfo(timezone)).astimezone(UTC)

    def end(self, timezone: str = DEFAULT_TIMEZONE) -> datetime:
        """The next month's start (exclusive)."""
        return self.next().start(timezone)

    def days(self, timezone: str = DEFAULT_TIMEZONE) -> list[tuple[datetime, datetime]]:
        """The month's days on the wall clocks of ``timezone``, each [start, end) as UTC instants: the
        parts a month's report is built in."""
        zone = ZoneInfo(timezone)
        first = datetime(self.year, self.month, 1)
        following = self.next()
        count = (datetime(following.year, following.month, 1) - first).days
        bounds = [(first + timedelta(days=d)).replace(tzinfo=zone).astimezone(UTC) for d in range(count + 1)]
        return list(zip(bounds, bounds[1:], strict=False))

    def contains(self, moment: datetime, timezone: str = DEFAULT_TIMEZONE) -> bool:
        return self.start(timezone) <= moment < self.end(timezone)


def report_month_due(now: datetime, timezone: str = DEFAULT_TIMEZONE) -> ReportMonth:
    """The month a run at ``now`` reports on: the one before the current month."""
    return ReportMonth.of(now, timezone).previous()


# -- statistics --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float | None:
    """The ``share`` quantile (0..1) by linear interpolation between closest ranks; None when empty.

    The median of 1, 2, 3, 4 is 2.5; the 90th percentile of 1..10 is 9.1.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class Spread(BaseModel):
    """How long something took, in hours: how many measured, median, 90th percentile."""

    model_config = ConfigDict(frozen=True)

    count: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None

    @classmethod
    def of(cls, hours: Sequence[float]) -> Spread:
        return cls(count=len(hours), median_hours=_round(percentile(hours, 0.5)),
                   p90_hours=_round(percentile(hours, 0.9)))


# -- the report --------------------------------------------------------------------------------------


class Interval(StrEnum):
    CONTACT = "contact"
    DISPATCH = "dispatch"
    ARRIVAL = "arrival"
    RESOLUTION = "resolution"


class RuleTally(BaseModel):
    """One rule's (milestone's) deadlines in the month: met on time, met late, missed, still running."""

    model_config = ConfigDict(frozen=True)

    milestone: Milestone
    met: int = 0
    met_late: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def judged(self) -> int:
        return self.met + self.met_late + self.missed

    @property
    def met_share(self) -> float | None:
        return round(self.met / self.judged, 4) if self.judged else None


class CostTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    materials: Decimal = ZERO
    labour: Decimal = ZERO
    travel: Decimal = ZERO
    transport: Decimal = ZERO
    jobs: int = 0  # tickets with a cost record

    @property
    def total(self) -> Decimal:
        return self.materials + self.labour + self.travel + self.transport


class Money(BaseModel):
    """Paid service: what was charged, collected and is still owed (CNY)."""

    model_config = ConfigDict(frozen=True)

    paid_jobs: int = 0
    revenue: Decimal = ZERO
    collected: Decimal = ZERO
    unpaid: Decimal = ZERO
    unpaid_jobs: int = 0


class Satisfaction(BaseModel):
    model_config = ConfigDict(frozen=True)

    answers: int = 0
    averages: dict[str, float] = Field(default_factory=dict)  # score name -> mean, 2 decimals
    distribution: dict[int, int] = Field(default_factory=dict)  # overall score 1..5 -> answers


class Complaints(BaseModel):
    model_config = ConfigDict(frozen=True)

    count: int = 0
    by_cause: dict[str, int] = Field(default_factory=dict)
    capa: dict[str, int] = Field(default_factory=dict)  # CAPA status -> tickets


class RecurringProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str
    faults: int
    tickets: tuple[str, ...]


class TicketRow(BaseModel):
    """One ticket's key figures: a row of the CSV/XLSX attachment."""

    model_config = ConfigDict(frozen=True)

    number: str
    created_at: datetime
    kind: str
    priority: str | None
    status: str
    province: str
    model: str
    customer: str
    hours_to_contact: float | None = None
    hours_to_dispatch: float | None = None
    hours_to_arrival: float | None = None
    hours_to_resolution: float | None = None
    deadlines_met: int = 0
    deadlines_met_late: int = 0
    deadlines_missed: int = 0
    person_times: int = 0
    days_on_site: float = 0.0
    person_days: float = 0.0
    overtime_visits: int = 0  # visits on holidays or outside working hours the supervisor approved (000 §4.4.3)
    overtime_hours: float = 0.0
    costs: dict[str, Decimal] | None = None  # materials, labour, travel, transport, total
    revenue: Decimal | None = None
    unpaid: Decimal | None = None
    satisfaction: int | None = None
    complaint_cause: str | None = None
    capa_status: str | None = None
    callbacks: int = 0


class MonthlyReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    month: ReportMonth
    timezone: str
    computed_at: datetime
    tickets: int
    by_kind: dict[str, int]
    by_priority: dict[str, int]  # "A", "B", "C", "none"
    by_model: dict[str, int]
    by_province: dict[str, int]
    by_status: dict[str, int]
    deadlines: tuple[RuleTally, ...]
    times: dict[Interval, Spread]
    dispatches: int
    person_times: int
    days_on_site: float
    person_days: float
    overtime_visits: int = 0  # approved visits on holidays or outside working hours (000 §4.4.3)
    overtime_hours: float = 0.0
    costs: CostTotals
    money: Money
    satisfaction: Satisfaction | None  # None: no data (no survey answers)
    callbacks: dict[str, int] | None  # None: no data
    complaints: Complaints
    capa_recorded: bool  # False: no CAPA data yet
    recurring_threshold: int
    recurring: tuple[RecurringProblem, ...]
    rows: tuple[TicketRow, ...]

    @property
    def deadlines_met(self) -> int:
        return sum(t.met for t in self.deadlines)

    @property
    def deadlines_missed(self) -> int:
        """Missed, whether since met late or still owed."""
        return sum(t.met_late + t.missed for t in self.deadlines)


_CLOSING = frozenset({Action.REPORT_DEPARTURE, Action.UPLOAD_ACCEPTANCE, Action.APPROVE, Action.CANCEL})


def _empty_counts() -> dict[str, dict[str, int]]:
    return {name: {} for name in ("kind", "priority", "model", "province", "status")}


def _empty_hours() -> dict[Interval, list[float]]:
    return {interval: [] for interval in Interval}


class ReportPart(BaseModel):
    """What some of a month's tickets add to its report: the sums, counts and rows ``ReportBuilder``
    keeps. A month of 100,000 tickets is built in parts (one per day, each by its own worker) that
    are stored as JSON and merged (``ReportBuilder.absorb``) into one report: merging the parts of a
    month gives exactly the report of building it in one go."""

    month: ReportMonth
    timezone: str = DEFAULT_TIMEZONE
    computed_at: datetime
    rows: list[TicketRow] = Field(default_factory=list)
    counts: dict[str, dict[str, int]] = Field(default_factory=_empty_counts)
    tallies: dict[Milestone, dict[str, int]] = Field(default_factory=dict)
    hours: dict[Interval, list[float]] = Field(default_factory=_empty_hours)
    dispatches: int = 0
    costs: dict[str, Decimal] = Field(default_factory=dict)
    cost_jobs: int = 0
    money: dict[str, Decimal] = Field(default_factory=dict)
    paid_jobs: int = 0
    unpaid_jobs: int = 0
    surveys: list[dict[str, int]] = Field(default_factory=list)
    callbacks: dict[str, int] = Field(default_factory=dict)
    causes: dict[str, int] = Field(default_factory=dict)
    capa: dict[str, int] = Field(default_factory=dict)
    complaints: int = 0
    faults_by_model: dict[str, list[str]] = Field(default_factory=dict)


def _bump(counts: dict[str, Any], key: str, by: Any = 1) -> None:
    counts[key] = counts.get(key, 0) + by


class ReportBuilder:
    """Accumulates a month's tickets one by one (``add``), or whole parts built elsewhere
    (``absorb``); ``finish`` gives the report."""

    def __init__(
        self, month: ReportMonth, now: datetime, *, timezone: str = DEFAULT_TIMEZONE,
        recurring_threshold: int = DEFAULT_RECURRING_THRESHOLD,
    ):
        self.month = month
        self.now = now
        self.timezone = timezone
        self.recurring_threshold = max(1, recurring_threshold)
        self._part = ReportPart(month=month, timezone=timezone, computed_at=now)

    def part(self) -> ReportPart:
        """What was added so far, to be stored and absorbed into the month's report elsewhere."""
        return self._part.model_copy(deep=True)

    def absorb(self, part: ReportPart) -> None:
        """Adds a part built from other tickets of the same month, as of the same moment."""
        if (part.month, part.timezone, part.computed_at) != (self.month, self.timezone, self.now):
            raise ValueError(
                f"a part of {part.month.label} as of {part.computed_at.isoformat()} cannot join "
                f"{self.month.label} as of {self.now.isoformat()}"
            )
        mine = self._part
        mine.rows.extend(part.rows)
        for name, counts in part.counts.items():
            into = mine.counts.setdefault(name, {})
            for key, n in counts.items():
                _bump(into, key, n)
        for milestone, tally in part.tallies.items():
            into = mine.tallies.setdefault(milestone, {})  # a rule with only waived deadlines still shows
            for key, n in tally.items():
                _bump(into, key, n)
        for interval, hours in part.hours.items():
            mine.hours.setdefault(interval, []).extend(hours)
        mine.dispatches += part.dispatches
        for key, amount in part.costs.items():
            _bump(mine.costs, key, amount)
        mine.cost_jobs += part.cost_jobs
        for key, amount in part.money.items():
            _bump(mine.money, key, amount)
        mine.paid_jobs += part.paid_jobs
        mine.unpaid_jobs += part.unpaid_jobs
        mine.surveys.extend(part.surveys)
        for mine_counts, theirs in ((mine.callbacks, part.callbacks), (mine.causes, part.causes),
                                    (mine.capa, part.capa)):
            for key, n in theirs.items():
                _bump(mine_counts, key, n)
        mine.complaints += part.complaints
        for model, numbers in part.faults_by_model.items():
            mine.faults_by_model.setdefault(model, []).extend(numbers)

    def add(self, ticket: Ticket, events: Iterable[TicketEvent], schedule: Schedule | None) -> TicketRow:
        """Count one ticket. Tickets created outside the month are refused (``ValueError``)."""
        if not self.month.contains(ticket.created_at, self.timezone):
            raise ValueError(f"{ticket.number} was not created in {self.month.label}")
        part = self._part
        timeline = sorted((e for e in events if e.at <= self.now), key=lambda e: e.at)
        priority = ticket.priority.value if ticket.priority else "none"
        for name, value in (("kind", ticket.kind.value), ("priority", priority), ("model", ticket.product.model),
                            ("province", ticket.reporter.province), ("status", ticket.status.value)):
            _bump(part.counts.setdefault(name, {}), value)

        met = met_late = missed = 0
        for deadline in schedule.deadlines if schedule else ():
            tally = part.tallies.setdefault(deadline.milestone, {})
            if deadline.state == DeadlineState.MET:
                met += 1
                _bump(tally, "met")
            elif deadline.state == DeadlineState.MET_LATE:
                met_late += 1
                _bump(tally, "met_late")
            elif deadline.state == DeadlineState.MISSED:
                missed += 1
                _bump(tally, "missed")
            elif deadline.state in (DeadlineState.PENDING, DeadlineState.PAUSED):
                _bump(tally, "pending")

        hours = _intervals(ticket.created_at, timeline)
        for interval, taken in hours.items():
            part.hours.setdefault(interval, []).append(taken)

        person_times, dispatches, days, person_days = _field_work(timeline, self.now)
        part.dispatches += dispatches
        approved = [v for v in ticket.overtime if v.state == OvertimeState.APPROVED]

        costs = _costs(ticket, timeline)
        if costs is not None:
            part.cost_jobs += 1
            for name in COST_PARTS:
                _bump(part.costs, name, costs[name])

        revenue = unpaid = None
        charged = _charges(ticket)
        if charged is not None:
            revenue, collected, unpaid = charged
            part.paid_jobs += 1
            _bump(part.money, "revenue", revenue)
            _bump(part.money, "collected", collected)
            _bump(part.money, "unpaid", unpaid)
            part.unpaid_jobs += 1 if unpaid > 0 else 0

        survey = _latest(timeline, _survey)
        if survey is not None:
            part.surveys.append(survey)
        callbacks = [p.callback.outcome for e in timeline
                     if isinstance(p := e.payload, CallbackRecorded) and p.callback.outcome in CALLBACK_OUTCOMES]
        for outcome in callbacks:
            _bump(part.callbacks, outcome)
        cause = _latest(timeline, _cause)
        capa = _latest(timeline, _capa)
        if ticket.kind == Kind.COMPLAINT:
            part.complaints += 1
            _bump(part.causes, cause or "unclassified")
        if capa is not None:
            _bump(part.capa, capa)
        if ticket.kind == Kind.FAULT or (ticket.kind == Kind.COMPLAINT and cause == "quality"):
            part.faults_by_model.setdefault(ticket.product.model, []).append(ticket.number)

        row = TicketRow(
            number=ticket.number,
            created_at=ticket.created_at,
            kind=ticket.kind.value,
            priority=ticket.priority.value if ticket.priority else None,
            status=ticket.status.value,
            province=ticket.reporter.province,
            model=ticket.product.model,
            customer=ticket.reporter.customer_name,
            hours_to_contact=_round(hours.get(Interval.CONTACT)),
            hours_to_dispatch=_round(hours.get(Interval.DISPATCH)),
            hours_to_arrival=_round(hours.get(Interval.ARRIVAL)),
            hours_to_resolution=_round(hours.get(Interval.RESOLUTION)),
            deadlines_met=met,
            deadlines_met_late=met_late,
            deadlines_missed=missed,
            person_times=person_times,
            days_on_site=round(days, 2),
            person_days=round(person_days, 2),
            overtime_visits=len(approved),
            overtime_hours=round(sum(v.hours for v in approved), 1),
            costs={**costs, "total": sum(costs.values(), ZERO)} if costs is not None else None,
            revenue=revenue,
            unpaid=unpaid,
            satisfaction=survey["overall"] if survey else None,
            complaint_cause=cause,
            capa_status=capa,
            callbacks=len(callbacks),
        )
        part.rows.append(row)
        return row

    def finish(self) -> MonthlyReport:
        part = self._part
        rows = tuple(sorted(part.rows, key=lambda r: (r.created_at, r.number)))
        faults = {model: sorted(numbers) for model, numbers in part.faults_by_model.items()}
        return MonthlyReport(
            month=self.month,
            timezone=self.timezone,
            computed_at=self.now,
            tickets=len(rows),
            by_kind=_ordered(part.counts.get("kind", {}), [k.value for k in Kind]),
            by_priority=_ordered(part.counts.get("priority", {}), ["A", "B", "C", "none"]),
            by_model=_most_common(part.counts.get("model", {})),
            by_province=_most_common(part.counts.get("province", {})),
            by_status=_most_common(part.counts.get("status", {})),
            deadlines=tuple(
                RuleTally(milestone=m, **part.tallies[m]) for m in Milestone if m in part.tallies
            ),
            times={i: Spread.of(part.hours.get(i, [])) for i in Interval},
            dispatches=part.dispatches,
            person_times=sum(r.person_times for r in rows),
            days_on_site=round(sum(r.days_on_site for r in rows), 2),
            person_days=round(sum(r.person_days for r in rows), 2),
            overtime_visits=sum(r.overtime_visits for r in rows),
            overtime_hours=round(sum(r.overtime_hours for r in rows), 1),
            costs=CostTotals(**{p: part.costs.get(p) or ZERO for p in COST_PARTS}, jobs=part.cost_jobs),
            money=Money(paid_jobs=part.paid_jobs, revenue=part.money.get("revenue") or ZERO,
                        collected=part.money.get("collected") or ZERO, unpaid=part.money.get("unpaid") or ZERO,
                        unpaid_jobs=part.unpaid_jobs),
            satisfaction=_satisfaction(part.surveys),
            callbacks=_ordered(part.callbacks, list(CALLBACK_OUTCOMES)) if part.callbacks else None,
            complaints=Complaints(count=part.complaints, by_cause=dict(part.causes),
                                  capa=_ordered(part.capa, list(CAPA_STATUSES))),
            capa_recorded=bool(part.capa),
            recurring_threshold=self.recurring_threshold,
            recurring=tuple(
                RecurringProblem(model=model, faults=len(numbers), tickets=tuple(numbers))
                for model, numbers in sorted(faults.items(), key=lambda kv: (-len(kv[1]), kv[0]))
                if len(numbers) >= self.recurring_threshold
            ),
            rows=rows,
        )


def build_report(
    month: ReportMonth, now: datetime, tickets: Iterable[tuple[Ticket, Sequence[TicketEvent], Schedule | None]], *,
    timezone: str = DEFAULT_TIMEZONE, recurring_threshold: int = DEFAULT_RECURRING_THRESHOLD,
) -> MonthlyReport:
    builder = ReportBuilder(month, now, timezone=timezone, recurring_threshold=recurring_threshold)
    for ticket, events, schedule in tickets:
        builder.add(ticket, events, schedule)
    return builder.finish()


# -- reading one ticket ------------------------------------------------------------------------------


def _intervals(created: datetime, timeline: Sequence[TicketEvent]) -> dict[Interval, float]:
    firsts: dict[Action, datetime] = {}
    for event in timeline:
        firsts.setdefault(event.action, event.at)
    found = {
        Interval.CONTACT: firsts.get(Action.RECORD_CONTACT),
        Interval.DISPATCH: firsts.get(Action.DISPATCH),
        Interval.ARRIVAL: firsts.get(Action.CHECK_IN),
        Interval.RESOLUTION: firsts.get(Action.RESOLVE) or firsts.get(Action.UPLOAD_ACCEPTANCE),
    }
    return {i: max((at - created).total_seconds(), 0) / 3600 for i, at in found.items() if at is not None}


def _field_work(timeline: Sequence[TicketEvent], now: datetime) -> tuple[int, int, float, float]:
    """(person-times, dispatches, days on site, person-days) of one ticket."""
    person_times = dispatches = 0
    days = person_days = 0.0
    crew = 0
    arrived: datetime | None = None

    def leave(at: datetime) -> None:
        nonlocal arrived, days, person_days
        if arrived is not None:
            stay = max((at - arrived).total_seconds(), 0) / 86400
            days += stay
            person_days += stay * max(crew, 1)
            arrived = None

    for event in timeline:
        if isinstance(dispatched := event.payload, Dispatched):
            crew = len(dispatched.assignees) or crew
            newly = [name for name in dispatched.assignees if name not in dispatched.previous]
            if newly:
                dispatches += 1
                person_times += len(newly)
        elif event.action == Action.CHECK_IN:
            if arrived is None:
                arrived = event.at
        elif event.action in _CLOSING:
            leave(event.at)
    leave(now)
    return person_times, dispatches, days, person_days


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() and amount >= 0 else None


def _costs(ticket: Ticket, timeline: Sequence[TicketEvent]) -> dict[str, Decimal] | None:
    acceptance = ticket.acceptance
    recorded = acceptance.work.costs.model_dump() if acceptance is not None else _latest(timeline, _filed_costs)
    if recorded is None:
        return None
    parts = {part: _money(recorded.get(part, 0)) for part in COST_PARTS}
    if any(v is None for v in parts.values()):
        return None
    return {part: v for part, v in parts.items() if v is not None}


def _charges(ticket: Ticket) -> tuple[Decimal, Decimal, Decimal] | None:
    """(revenue, collected, unpaid) of a paid job with an approved quote or an invoice; else None."""
    quote = getattr(ticket, "quote", None)
    account = getattr(ticket, "account", None)
    if quote is None and account is None:
        return None
    due = billing.amount_due(quote, account)
    if due <= 0:
        return None
    collected = account.paid if account is not None else ZERO
    return due, collected, due - collected


def _latest(timeline: Sequence[TicketEvent], read: Callable[[EventPayload | Unrecorded], _T | None]) -> _T | None:
    """What ``read`` finds in the latest event it finds something in."""
    found = None
    for event in timeline:
        value = read(event.payload)
        if value is not None:
            found = value
    return found


def _filed_costs(payload: EventPayload | Unrecorded) -> dict[str, Decimal] | None:
    return payload.acceptance.work.costs.model_dump() if isinstance(payload, AcceptanceFiled) else None


def _score(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        return None
    return score if 1 <= score <= 5 and str(score) == str(value).strip() else None


def _survey(payload: EventPayload | Unrecorded) -> dict[str, int] | None:
    if not isinstance(payload, SurveyAnswered):
        return None
    # Records are data from years of writers: a score outside 1..5 is not counted.
    scores = {name: s for name in SURVEY_SCORES if (s := _score(getattr(payload.survey, name, None))) is not None}
    return scores if "overall" in scores else None


def _cause(payload: EventPayload | Unrecorded) -> str | None:
    if isinstance(payload, ComplaintMoved) and payload.action == Action.ANALYSE_COMPLAINT:
        return payload.cause if payload.cause in COMPLAINT_CAUSES else None
    return None


def _capa(payload: EventPayload | Unrecorded) -> str | None:
    if isinstance(payload, ComplaintMoved) and payload.action in (Action.PLAN_CAPA, Action.UPDATE_CAPA):
        status = payload.complaint.capa_status
        return status.value if status is not None and status.value in CAPA_STATUSES else None
    return None


def _satisfaction(answers: Sequence[Mapping[str, int]]) -> Satisfaction | None:
    if not answers:
        return None
    averages = {}
    for name in SURVEY_SCORES:
        values = [a[name] for a in answers if name in a]
        if values:
            averages[name] = round(sum(values) / len(values), 2)
    distribution = Counter(a["overall"] for a in answers)
    return Satisfaction(answers=len(answers), averages=averages,
                        distribution={score: distribution.get(score, 0) for score in range(1, 6)})


def _ordered(counts: Mapping[str, int], order: Sequence[str]) -> dict[str, int]:
    """Known keys in their natural order (zeros kept, so charts always show every bar), then others."""
    result = {key: counts.get(key, 0) for key in order}
    result.update({k: v for k, v in counts.items() if k not in result})
    return result


def _most_common(counts: Mapping[str, int]) -> dict[str, int]:
    """Largest first; ties by name, so a report merged from parts reads the same as one built whole."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)

