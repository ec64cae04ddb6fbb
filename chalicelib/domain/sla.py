"""The SLA clock: every deadline of a ticket, derived from its facts and history, never patched.

``compute_schedule`` is a pure function of (the ticket's clock facts, its plan, now). Re-classifying a
ticket, pausing it or changing its plan just changes the facts; the schedule is computed again from
creation, so time spent paused is never lost when the SLA changes (a known failure of peer products).

How a deadline is found: its clock starts at creation (or at another milestone, e.g. acceptance filing
starts when the job is resolved), and runs on the rule's calendar until the target's working time is
used up. Time paused (waiting on the customer) does not run the clock, so each pause pushes every
pending deadline later by the working time it covered. A deadline set by the date agreed with the
customer is not moved by pauses: the customer set it, and a new date is a new fact.

Every deadline explains itself as data (``Deadline.reasons``: a code plus values), which
``chalicelib/i18n/deadlines.py`` says in the reader's language; ``Deadline.target_terms`` and
``calendar_terms`` give its target and calendar the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, NamedTuple

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
)

from chalicelib.domain.calendars import AlwaysOpen, BusinessHours, Calendar
from chalicelib.domain.plans import (
    DEFAULT_PLAN_NAME,
    Milestone,
    MilestoneRule,
    PlanRegistry,
    Role,
    ServicePlan,
    Target,
)
from chalicelib.domain.ticket import Action, Priority

_ZERO = timedelta(0)

# Facts may arrive in any zone; the clock works in UTC so every output instant is UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda moment: moment.astimezone(UTC))]


class FactKind(StrEnum):
    """What happened to a ticket, as far as the clock cares. Milestone kinds share the milestone's value."""

    ESCALATION_NOTICE = Milestone.ESCALATION_NOTICE.value
    CONTACTED = Milestone.CONTACTED.value
    DISPATCHED = Milestone.DISPATCHED.value
    ON_SITE = Milestone.ON_SITE.value  # the technician checked in
    ARRIVAL_REPORTED = Milestone.ARRIVAL_REPORTED.value
    PROGRESS_REPORTED = Milestone.PROGRESS_REPORTED.value
    RESOLVED = Milestone.RESOLVED.value
    LOANER_PROVIDED = Milestone.LOANER_PROVIDED.value
    ACCEPTANCE_FILED = Milestone.ACCEPTANCE_FILED.value
    REPAIR_STARTED = "repair_started"
    SIGNATURE_REFUSED = "signature_refused"
    PAUSED = "paused"
    RESUMED = "resumed"
    RECLASSIFIED = "reclassified"  # priority, plan, province or agreed date changed
    CLOSED = "closed"
    CANCELLED = "cancelled"


# Ticket actions that are clock facts by themselves; the service layer maps its events with this.
# A CLASSIFY event becomes one RECLASSIFIED fact per changed field (its before/after dicts). RESOLVED,
# REPAIR_STARTED, LOANER_PROVIDED and the escalation notice come from events this table does not know.
FACT_FOR_ACTION: dict[Action, FactKind] = {
    Action.RECORD_CONTACT: FactKind.CONTACTED,
    Action.DISPATCH: FactKind.DISPATCHED,
    Action.CHECK_IN: FactKind.ON_SITE,
    Action.REPORT_PROGRESS: FactKind.PROGRESS_REPORTED,
    Action.UPLOAD_ACCEPTANCE: FactKind.ACCEPTANCE_FILED,
    Action.PAUSE: FactKind.PAUSED,
    Action.RESUME: FactKind.RESUMED,
    Action.CLASSIFY: FactKind.RECLASSIFIED,
    Action.APPROVE: FactKind.CLOSED,
    Action.CANCEL: FactKind.CANCELLED,
    Action.REPORT_ARRIVAL: FactKind.ARRIVAL_REPORTED,
    Action.START_REPAIR: FactKind.REPAIR_STARTED,
    Action.RESOLVE: FactKind.RESOLVED,
    Action.REFUSE_SIGNATURE: FactKind.SIGNATURE_REFUSED,
    Action.ISSUE_LOANER: FactKind.LOANER_PROVIDED,  # 002 §6.1, chalicelib/domain/loaners.py
    # Complaints (chalicelib/domain/complaints.py): committing the reply time is the contact
    # (003 §3.3), the resolution agreed with the customer is the reply, closing ends the clock.
    Action.COMMIT_REPLY: FactKind.CONTACTED,
    Action.AGREE_RESOLUTION: FactKind.RESOLVED,
    Action.CLOSE_COMPLAINT: FactKind.CLOSED,
}


class ClockFact(BaseModel):
    """One dated fact. A pause carries its reason's code (``pause_reason``, one of the supervisor's form)
    and what was typed with it (``note``); a re-classification says what changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: UtcDatetime
    kind: FactKind
    note: str = ""
    pause_reason: str | None = None
    field: str | None = None  # reclassified: "priority", "plan", "in_province" or "agreed_date"
    before: str | None = None
    after: str | None = None


class ClockFacts(BaseModel):
    """The SLA-relevant facts of one ticket: its current classification and its history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    created_at: UtcDatetime
    priority: Priority | None = None
    plan: str = DEFAULT_PLAN_NAME
    in_province: bool = True
    agreed_date: UtcDatetime | None = None
    timeline: tuple[ClockFact, ...] = ()


class DeadlineState(StrEnum):
    PENDING = "pending"
    PAUSED = "paused"  # the clock is stopped; due_at is where it would be if resumed now
    MET = "met"
    MET_LATE = "met_late"
    MISSED = "missed"
    NOT_STARTED = "not_started"  # its clock starts at a milestone that has not happened yet
    WAIVED = "waived"  # no longer owed: the job ended or the duty became moot before it was due


OPEN_STATES = frozenset({DeadlineState.PENDING, DeadlineState.PAUSED, DeadlineState.MISSED})


class ReasonCode(StrEnum):
    DUE = "due"
    DUE_AGREED = "due_agreed"
    NO_AGREED_DATE = "no_agreed_date"
    LATEST = "latest"
    MOVED_BY_PAUSE = "moved_by_pause"
    CLOCK_STOPPED = "clock_stopped"
    RECLASSIFIED = "reclassified"
    LATE_BEFORE = "late_before"
    NOT_STARTED = "not_started"
    MET = "met"
    MET_LATE = "met_late"
    MISSED = "missed"
    WAIVED = "waived"
    TIME_LEFT = "time_left"
    HOLIDAYS_ASSUMED = "holidays_assumed"  # working days of a year with no official holiday schedule


class Reason(BaseModel):
    """One line of a deadline's explanation: a ``code`` and the ``values`` it is said with.

    Instants in ``values`` are ISO 8601 UTC strings, durations are whole seconds, spans are compact
    (``"2h30m"``, ``"5d"``: days are working days of ``calendar``). What started or ended a clock is a
    code: ``"created"``, ``"repair_started"``, a milestone, or ``"closed"``/``"cancelled"`` (the ticket).
    """

    model_config = ConfigDict(frozen=True)

    code: ReasonCode
    values: dict[str, str | int | bool | None] = Field(default_factory=dict)


class Deadline(BaseModel):
    """One milestone's deadline as of ``Schedule.computed_at``."""

    model_config = ConfigDict(frozen=True)

    milestone: Milestone
    state: DeadlineState
    starts_at: datetime | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    latest_at: datetime | None = None
    prompt_at: datetime | None = None  # when the supervisor is told the duty began (``MilestoneRule.prompt``)
    met_at: datetime | None = None  # for a repeating duty: the last time it was done
    paused_for: timedelta = _ZERO  # working time added to the target by pauses
    time_left: timedelta | None = None  # working time until due, for pending and paused deadlines
    notify: tuple[Role, ...] = ()
    source: str | None = None
    reasons: tuple[Reason, ...] = ()
    # The promise it keeps and the calendar its clock runs on, as data (pages say them in their language).
    target_terms: Target | None = None
    calendar_terms: Calendar | None = None

    @property
    def is_open(self) -> bool:
        """Still owed: not met, not waived, and its clock has started."""
        return self.state in OPEN_STATES


class Schedule(BaseModel):
    """All deadlines of a ticket, as of ``computed_at``."""

    model_config = ConfigDict(frozen=True)

    plan: str
    priority: Priority | None
    in_province: bool
    computed_at: datetime
    deadlines: tuple[Deadline, ...] = ()

    def get(self, milestone: Milestone) -> Deadline | None:
        return next((d for d in self.deadlines if d.milestone == milestone), None)


class CheckpointKind(StrEnum):
    WARN = "warn"
    DUE = "due"
    LATEST = "latest"


class Checkpoint(NamedTuple):
    """A moment the sweep must act on: warn the owner, escalate a breach, or escalate its outer limit."""

    at: datetime
    kind: CheckpointKind
    milestone: Milestone


def compute_schedule(
    facts: ClockFacts,
    plan: ServicePlan,
    now: datetime,
    *,
    warn_share: float | None = None,
) -> Schedule:
    """Every deadline of the ticket under ``plan``, as of ``now``.

    Facts dated after ``now`` are ignored, so the same history gives the schedule at any past moment.
    ``warn_share`` (default: the plan's, 75%) places the warning within each target.
    """
    now = _utc(now)
    timeline = sorted((f for f in facts.timeline if f.at <= now), key=lambda f: f.at)
    builder = _ScheduleBuilder(
        facts=facts,
        plan=plan,
        now=now,
        timeline=timeline,
        warn_share=plan.warn_share if warn_share is None else warn_share,
    )
    terms = plan.terms_for(facts.priority)
    deadlines = []
    for milestone, rule in (terms.milestones if terms else {}).items():
        chosen = rule.target_for(facts.in_province)
        if chosen is not None:
            deadlines.append(builder.deadline(milestone, rule, *chosen))
    return Schedule(
        plan=plan.name,
        priority=facts.priority,
        in_province=facts.in_province,
        computed_at=now,
        deadlines=tuple(deadlines),
    )


def schedule_for(
    facts: ClockFacts,
    plans: PlanRegistry,
    now: datetime,
    *,
    warn_share: float | None = None,
) -> Schedule:
    """``compute_schedule`` with the ticket's plan looked up by name (raises ``UnknownPlan``)."""
    plan = plans.get(facts.plan)
    return compute_schedule(facts, plan, now, warn_share=warn_share)


def checkpoints(schedule: Schedule) -> list[Checkpoint]:
    """The warn, due and at-the-latest moments of every deadline still owed, earliest first."""
    found = []
    for deadline in schedule.deadlines:
        if deadline.state not in (DeadlineState.PENDING, DeadlineState.MISSED):
            continue
        for kind, at in (
            (CheckpointKind.WARN, deadline.warn_at),
            (CheckpointKind.DUE, deadline.due_at),
            (CheckpointKind.LATEST, deadline.latest_at),
        ):
            if at is not None:
                found.append(Checkpoint(at, kind, deadline.milestone))
    return sorted(found)


def checkpoints_between(schedule: Schedule, since: datetime, until: datetime) -> list[Checkpoint]:
    """Checkpoints in (since, until]: what a sweep that last ran at ``since`` must act on now."""
    return [c for c in checkpoints(schedule) if since < c.at <= until]


def next_due(schedule: Schedule, now: datetime) -> datetime | None:
    """The earliest warn, due or at-the-latest moment after ``now`` — what the sweep index stores.

    Paused deadlines have none (resuming recomputes the schedule); moments at or before ``now`` are
    the caller's to act on (see ``checkpoints_between``).
    """
    now = _utc(now)
    return next((c.at for c in checkpoints(schedule) if c.at > now), None)


# ---- internals ---------------------------------------------------------------------------------------


class _Pause(NamedTuple):
    start: datetime
    end: datetime | None  # None: still paused
    note: str
    reason: str | None  # the form's code


class _Run(NamedTuple):
    """Where a clock run ends, which pauses it skipped (with the working time each added), and if stopped."""

    end: datetime
    skipped: list[tuple[_Pause, timedelta]]
    stopped: bool


def _run_clock(
    calendar: AlwaysOpen | BusinessHours,
    start: datetime,
    amount: timedelta,
    pauses: Sequence[_Pause],
    *,
    stop: datetime | None,
    now: datetime,
) -> _Run:
    """Spend ``amount`` of working time from ``start``, not counting paused time.

    Pauses after ``stop`` (the milestone met, or the duty ended) no longer matter; a pause still open
    is counted up to ``now`` and marks the run as stopped.
    """
    cursor, remaining, stopped = start, amount, False
    skipped: list[tuple[_Pause, timedelta]] = []
    for pause in pauses:
        if stop is not None and pause.start >= stop:
            break
        end = pause.end if pause.end is not None else now
        if stop is not None:
            end = min(end, stop)
        # A pause still open stops the clock even at the moment it began (nothing paused yet, but the
        # clock no longer runs); a finished one that ended before the cursor changes nothing.
        if end <= cursor and not (pause.end is None and end == cursor and (stop is None or stop > now)):
            continue
        if pause.start > cursor:
            available = calendar.between(cursor, pause.start)
            if available >= remaining:
                return _Run(calendar.add(cursor, remaining), skipped, False)
            remaining -= available
            cursor = pause.start
        skipped.append((pause, calendar.between(cursor, end)))
        stopped = pause.end is None and (stop is None or stop > now)
        cursor = end
    return _Run(calendar.add(cursor, remaining), skipped, stopped)


def _pauses(timeline: Iterable[ClockFact]) -> list[_Pause]:
    """Pause/resume pairs in order; a second pause while paused or a stray resume changes nothing."""
    pauses: list[_Pause] = []
    open_since: ClockFact | None = None
    for fact in timeline:
        if fact.kind == FactKind.PAUSED and open_since is None:
            open_since = fact
        elif fact.kind == FactKind.RESUMED and open_since is not None:
            pauses.append(_Pause(open_since.at, fact.at, open_since.note, open_since.pause_reason))
            open_since = None
    if open_since is not None:
        pauses.append(_Pause(open_since.at, None, open_since.note, open_since.pause_reason))
    return pauses


class _ScheduleBuilder:
    def __init__(
        self,
        *,
        facts: ClockFacts,
        plan: ServicePlan,
        now: datetime,
        timeline: list[ClockFact],
        warn_share: float,
    ):
        self.facts, self.plan, self.now = facts, plan, now
        self.timeline = timeline
        self.warn_share = warn_share
        self.pauses = _pauses(timeline)
        self.ended = next((f for f in timeline if f.kind in (FactKind.CLOSED, FactKind.CANCELLED)), None)
        self.reclassified = [self._reclassified_reason(f) for f in timeline if f.kind == FactKind.RECLASSIFIED]

    # -- one deadline --

    def deadline(self, milestone: Milestone, rule: MilestoneRule, target: Target, side: str | None) -> Deadline:
        calendar = self.plan.calendar_for(self.facts.priority, rule)
        # Which promise the deadline follows (plan, priority, province side, calendar), said by the pages.
        context: _Context = {
            "plan": self.plan.name,
            "priority": self.facts.priority.value if self.facts.priority else None,
            "in_province": self.facts.in_province,
            "side": side,
            **_calendar_values(calendar),
        }
        common: dict[str, object] = {
            "milestone": milestone,
            "notify": rule.notify,
            "source": rule.source,
            "target_terms": target,
            "calendar_terms": calendar,
        }
        start, anchor = self._anchor(rule)
        if anchor is None:
            reason = Reason(
                code=ReasonCode.NOT_STARTED,
                values={"milestone": milestone.value, "starts_at": start},
            )
            return Deadline.model_validate(
                {**common, "state": DeadlineState.NOT_STARTED, "reasons": (reason, *self.reclassified)}
            )
        if rule.repeat:
            return self._repeating(milestone, rule, target, calendar, anchor, start, context, common)

        met_at = self._first(milestone.value, since=anchor)
        end_of_duty, ended_by = self._end_of_duty(rule, since=anchor)
        stop = min((t for t in (met_at, end_of_duty) if t is not None), default=None)
        delay = rule.delay.on(calendar) if rule.delay else _ZERO
        reasons: list[Reason] = []

        def run(amount: timedelta) -> _Run:
            return _run_clock(calendar, anchor, delay + amount, self.pauses, stop=stop, now=self.now)

        latest_at: datetime | None = None
        skipped: list[tuple[_Pause, timedelta]] = []
        stopped = False
        if target.agreed_date:
            due_at = self.facts.agreed_date
            capped = run(target.within.on(calendar)) if target.within else None
            if capped is not None and (due_at is None or capped.end < due_at):
                due_at, skipped, stopped = capped
                reasons.append(self._due_reason(milestone, due_at, start, anchor, rule, target, calendar, context))
            elif due_at is not None:
                reasons.append(
                    Reason(
                        code=ReasonCode.DUE_AGREED,
                        values={"milestone": milestone.value, "due_at": _iso(due_at), **context},
                    )
                )
            else:
                reasons.append(
                    Reason(
                        code=ReasonCode.NO_AGREED_DATE,
                        values={"milestone": milestone.value},
                    )
                )
            warn_at = calendar.add(anchor, calendar.between(anchor, due_at) * self.warn_share) if due_at else None
        else:
            assert target.within is not None
            within = target.within.on(calendar)
            due_at, skipped, stopped = run(within)
            warn_at = run(within * self.warn_share).end
            reasons.append(self._due_reason(milestone, due_at, start, anchor, rule, target, calendar, context))
            if target.latest is not None:
                latest_at = run(target.latest.on(calendar)).end
                reasons.append(
                    Reason(
                        code=ReasonCode.LATEST,
                        values={
                            "latest_at": _iso(latest_at),
                            "start": start,
                            "start_at": _iso(anchor),
                            "latest": target.latest.describe(),
                            "calendar": calendar.kind,
                        },
                    )
                )

        reasons.extend(self._pause_reasons(skipped, stopped, calendar))
        reasons.extend(_holiday_reasons(calendar, anchor, due_at))
        reasons.extend(self.reclassified)
        state = self._state(met_at, due_at, end_of_duty, stopped)
        time_left = calendar.between(self.now, due_at) if due_at and state in _RUNNING else None
        reasons.append(self._state_reason(state, milestone, met_at, due_at, end_of_duty, ended_by, time_left, calendar))
        return Deadline.model_validate(
            {
                **common,
                "state": state,
                "starts_at": anchor,
                "due_at": due_at,
                "warn_at": warn_at,
                "latest_at": latest_at,
                # The duty begins at its start, or after its delay (a loaner: 8 h into the repair).
                "prompt_at": (run(_ZERO).end if rule.delay else anchor) if rule.prompt else None,
                "met_at": met_at,
                "paused_for": sum((added for _, added in skipped), _ZERO),
                "time_left": time_left,
                "reasons": tuple(reasons),
            }
        )

    def _repeating(
        self,
        milestone: Milestone,
        rule: MilestoneRule,
        target: Target,
        calendar: AlwaysOpen | BusinessHours,
        anchor: datetime,
        start: str,
        context: _Context,
        common: dict[str, object],
    ) -> Deadline:
        """A duty done again and again (daily progress reports): each report restarts the clock."""
        assert target.within is not None
        within = target.within.on(calendar)
        end_of_duty, ended_by = self._end_of_duty(rule, since=anchor)
        done = [
            f.at
            for f in self.timeline
            if f.kind.value == milestone.value and f.at >= anchor and (end_of_duty is None or f.at <= end_of_duty)
        ]
        reasons: list[Reason] = []
        cycle_start, late_before = anchor, False
        for at in done:
            due = _run_clock(calendar, cycle_start, within, self.pauses, stop=at, now=self.now).end
            if at > due:
                late_before = True
                reasons.append(
                    Reason(
                        code=ReasonCode.LATE_BEFORE,
                        values={
                            "milestone": milestone.value,
                            "due_at": _iso(due),
                            "met_at": _iso(at),
                            "late_seconds": int((at - due).total_seconds()),
                        },
                    )
                )
            cycle_start = at
        run = _run_clock(calendar, cycle_start, within, self.pauses, stop=end_of_duty, now=self.now)
        # After the first report the clock runs from the last one: "… = last progress report 10:00 + 24 h".
        cycle_from = milestone.value if done else start
        due_reason = self._due_reason(
            milestone, run.end, cycle_from, cycle_start, rule, target, calendar, context, since_last=bool(done)
        )
        reasons.insert(0, due_reason)
        reasons.extend(self._pause_reasons(run.skipped, run.stopped, calendar))
        reasons.extend(_holiday_reasons(calendar, cycle_start, run.end))
        reasons.extend(self.reclassified)
        met_at = done[-1] if done else None
        if end_of_duty is not None and end_of_duty <= run.end:
            state = DeadlineState.MET_LATE if late_before else DeadlineState.MET
            reasons.append(
                Reason(
                    code=ReasonCode.WAIVED,
                    values={"ended_at": _iso(end_of_duty), "ended_by": ended_by, "repeating": True},
                )
            )
        else:
            state = self._state(None, run.end, end_of_duty, run.stopped)
        time_left = calendar.between(self.now, run.end) if state in _RUNNING else None
        if end_of_duty is None or end_of_duty > run.end:
            reasons.append(
                self._state_reason(state, milestone, None, run.end, end_of_duty, ended_by, time_left, calendar)
            )
        warn_at = _run_clock(
            calendar, cycle_start, within * self.warn_share, self.pauses, stop=end_of_duty, now=self.now
        ).end
        return Deadline.model_validate(
            {
                **common,
                "state": state,
                "starts_at": cycle_start,
                "due_at": run.end,
                "warn_at": warn_at,
                "met_at": met_at,
                "paused_for": sum((added for _, added in run.skipped), _ZERO),
                "time_left": time_left,
                "reasons": tuple(reasons),
            }
        )

    # -- facts --

    def _anchor(self, rule: MilestoneRule) -> tuple[str, datetime | None]:
        """What starts the rule's clock (``"created"``, ``"repair_started"`` or a milestone), and when it did (None: not yet)."""
        start = str(rule.starts_at)
        if start == "created":
            return start, self.facts.created_at
        return start, self._first(start, since=self.facts.created_at)

    def _first(self, kind: str, *, since: datetime) -> datetime | None:
        return next((f.at for f in self.timeline if f.kind.value == kind and f.at >= since), None)

    def _end_of_duty(self, rule: MilestoneRule, *, since: datetime) -> tuple[datetime | None, str]:
        """When the duty stopped being owed, and what ended it: its ``ends_with`` milestone, or the ticket
        ``"closed"``/``"cancelled"``."""
        candidates = []
        if rule.ends_with is not None:
            at = self._first(rule.ends_with.value, since=since)
            if at is not None:
                candidates.append((at, rule.ends_with.value))
        if self.ended is not None:
            candidates.append((self.ended.at, self.ended.kind.value))
        if not candidates:
            return None, ""
        return min(candidates)

    # -- state --

    def _state(
        self, met_at: datetime | None, due_at: datetime | None, end_of_duty: datetime | None, stopped: bool
    ) -> DeadlineState:
        if met_at is not None:
            return DeadlineState.MET if due_at is None or met_at <= due_at else DeadlineState.MET_LATE
        if end_of_duty is not None:
            return DeadlineState.WAIVED if due_at is None or end_of_duty <= due_at else DeadlineState.MISSED
        if stopped:
            return DeadlineState.PAUSED
        if due_at is not None and self.now > due_at:
            return DeadlineState.MISSED
        return DeadlineState.PENDING

    # -- explanation --

    def _due_reason(
        self,
        milestone: Milestone,
        due_at: datetime,
        start: str,
        start_at: datetime,
        rule: MilestoneRule,
        target: Target,
        calendar: AlwaysOpen | BusinessHours,
        context: _Context,
        *,
        since_last: bool = False,
    ) -> Reason:
        """``since_last``: a repeating duty's clock restarted at its last report (``start`` is the milestone)."""
        assert target.within is not None
        values: dict[str, str | int | bool | None] = {
            "milestone": milestone.value,
            "due_at": _iso(due_at),
            "start": start,
            "start_at": _iso(start_at),
            "since_last": since_last,
            "target": target.within.describe(),
            "delay": rule.delay.describe() if rule.delay else None,
            **context,
        }
        return Reason(code=ReasonCode.DUE, values=values)

    def _pause_reasons(
        self, skipped: list[tuple[_Pause, timedelta]], stopped: bool, calendar: AlwaysOpen | BusinessHours
    ) -> list[Reason]:
        """``added_seconds`` is working time of ``calendar``."""
        reasons = []
        for index, (pause, added) in enumerate(skipped):
            still_open = stopped and index == len(skipped) - 1
            if still_open:
                reasons.append(
                    Reason(
                        code=ReasonCode.CLOCK_STOPPED,
                        values={"paused_at": _iso(pause.start), "pause_reason": pause.reason, "note": pause.note},
                    )
                )
            elif added > _ZERO:
                end = pause.end or self.now
                reasons.append(
                    Reason(
                        code=ReasonCode.MOVED_BY_PAUSE,
                        values={
                            "added_seconds": int(added.total_seconds()),
                            "calendar": calendar.kind,
                            "paused_at": _iso(pause.start),
                            "resumed_at": _iso(end),
                            "pause_reason": pause.reason,
                            "note": pause.note,
                        },
                    )
                )
        return reasons

    def _reclassified_reason(self, fact: ClockFact) -> Reason:
        return Reason(
            code=ReasonCode.RECLASSIFIED,
            values={"field": fact.field, "before": fact.before, "after": fact.after, "at": _iso(fact.at)},
        )

    def _state_reason(
        self,
        state: DeadlineState,
        milestone: Milestone,
        met_at: datetime | None,
        due_at: datetime | None,
        end_of_duty: datetime | None,
        ended_by: str,
        calendar_left: timedelta | None,
        calendar: AlwaysOpen | BusinessHours,
    ) -> Reason:
        """``calendar_left``: working time of ``calendar`` until due (``left_seconds``)."""
        if state == DeadlineState.MET and met_at is not None:
            return Reason(code=ReasonCode.MET, values={"met_at": _iso(met_at)})
        if state == DeadlineState.MET_LATE and met_at is not None and due_at is not None:
            late = met_at - due_at
            return Reason(
                code=ReasonCode.MET_LATE,
                values={"met_at": _iso(met_at), "late_seconds": int(late.total_seconds())},
            )
        if state == DeadlineState.WAIVED and end_of_duty is not None:
            return Reason(
                code=ReasonCode.WAIVED,
                values={"ended_at": _iso(end_of_duty), "ended_by": ended_by, "repeating": False},
            )
        if state == DeadlineState.MISSED and due_at is not None:
            until = end_of_duty or self.now
            late = until - due_at
            return Reason(
                code=ReasonCode.MISSED,
                values={
                    "milestone": milestone.value,
                    "due_at": _iso(due_at),
                    "late_seconds": int(late.total_seconds()),
                    "ended_at": _iso(end_of_duty) if end_of_duty is not None else None,
                    "ended_by": ended_by or None,
                },
            )
        left = calendar_left if due_at is not None else None
        if left is None:
            return Reason(
                code=ReasonCode.TIME_LEFT,
                values={"left_seconds": None, "calendar": calendar.kind},
            )
        return Reason(
            code=ReasonCode.TIME_LEFT,
            values={"left_seconds": int(left.total_seconds()), "calendar": calendar.kind},
        )


_RUNNING = frozenset({DeadlineState.PENDING, DeadlineState.PAUSED})

# Which promise a deadline follows, as values: plan, priority, province side and calendar.
_Context = dict[str, str | int | bool | None]


def _holiday_reasons(
    calendar: AlwaysOpen | BusinessHours, start: datetime, due_at: datetime | None
) -> list[Reason]:
    """A deadline that counts working days of a year without an official schedule says so."""
    if due_at is None:
        return []
    return [
        Reason(
            code=ReasonCode.HOLIDAYS_ASSUMED,
            values={"year": year, "basis": basis.value},
        )
        for year, basis in calendar.assumptions(start, due_at).items()
    ]


def _calendar_values(calendar: AlwaysOpen | BusinessHours) -> dict[str, str | int | bool | None]:
    if isinstance(calendar, BusinessHours):
        return {
            "calendar": calendar.kind,
            "calendar_opens": f"{calendar.opens:%H:%M}",
            "calendar_closes": f"{calendar.closes:%H:%M}",
            "calendar_timezone": calendar.timezone,
        }
    return {"calendar": calendar.kind, "calendar_opens": None, "calendar_closes": None, "calendar_timezone": None}


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the SLA clock needs timezone-aware datetimes")
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
