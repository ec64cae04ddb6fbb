"""The SLA clock, one test per rule of SPEC.md "Deadlines", plus pause, re-classification and the sweep.

Times are Shanghai wall-clock times; 10 March 2026 is a Tuesday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.plans import BASIC_PLAN, PREMIUM_PLAN, STANDARD_PLAN, Milestone, PlanRegistry, Role, ServicePlan
from chalicelib.domain.sla import (
    Checkpoint,
    CheckpointKind,
    ClockFact,
    ClockFacts,
    Deadline,
    DeadlineState,
    FactKind,
    ReasonCode,
    Schedule,
    checkpoints_between,
    compute_schedule,
    next_due,
    schedule_for,
)
from chalicelib.domain.ticket import Priority
from chalicelib.i18n.deadlines import duration, explain, target_text
from tests.unit.domain.test_plans import COMPLAINT_PLAN

SHANGHAI = ZoneInfo("Asia/Shanghai")
A, B, C = Priority.CRITICAL, Priority.URGENT, Priority.GENERAL
CREATED = datetime(2026, 3, 10, 2, 30, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0, *, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def fact(when: datetime, kind: FactKind, **details: str) -> ClockFact:
    return ClockFact(at=when, kind=kind, **details)


def paused(
    start: datetime, end: datetime | None, note: str = "waiting on customer", reason: str | None = None
) -> list[ClockFact]:
    facts = [fact(start, FactKind.PAUSED, note=note, pause_reason=reason)]
    return facts + ([fact(end, FactKind.RESUMED)] if end else [])


def clock(
    *,
    now: datetime,
    priority: Priority | None = A,
    plan: ServicePlan = STANDARD_PLAN,
    created: datetime = CREATED,
    in_province: bool = True,
    agreed: datetime | None = None,
    timeline: list[ClockFact] | tuple[ClockFact, ...] = (),
    **options: float,
) -> Schedule:
    facts = ClockFacts(
        created_at=created,
        priority=priority,
        plan=plan.name,
        in_province=in_province,
        agreed_date=agreed,
        timeline=tuple(timeline),
    )
    return compute_schedule(facts, plan, now, **options)  # type: ignore[arg-type]


def deadline(schedule: Schedule, milestone: Milestone):
    found = schedule.get(milestone)
    assert found is not None, f"no {milestone} deadline"
    return found


# ---- SPEC.md clock rows --------------------------------------------------------------------------------


def explanation(deadline: Deadline) -> list[str]:
    """Why the deadline is where it is, as an English page says it on the day the ticket came in (the clock
    gives codes and values; instants of that day show only their time)."""
    return explain("en", deadline, timezone="Asia/Shanghai", now=CREATED)


def test_supervisor_must_contact_the_reporter_within_1_hour():
    on_time = clock(now=at(10, 4), timeline=[fact(at(10, 3, 10), FactKind.CONTACTED)])
    contact = deadline(on_time, Milestone.CONTACTED)
    assert (contact.due_at, contact.state, contact.met_at) == (at(10, 3, 30), DeadlineState.MET, at(10, 3, 10))
    late = deadline(clock(now=at(10, 5), timeline=[fact(at(10, 4), FactKind.CONTACTED)]), Milestone.CONTACTED)
    assert late.state == DeadlineState.MET_LATE
    assert explanation(late)[-1] == "met at 04:00, 30 m late"


def test_critical_ticket_in_province_must_be_dispatched_within_2_hours_and_6_hours_at_the_latest():
    schedule = clock(now=at(10, 3))
    dispatch = deadline(schedule, Milestone.DISPATCHED)
    assert (dispatch.due_at, dispatch.latest_at) == (at(10, 4, 30), at(10, 8, 30))
    assert dispatch.state == DeadlineState.PENDING
    assert explanation(dispatch)[:2] == [
        "dispatch due 04:30 = created 02:30 + 2 h (standard plan, A critical, in-province, 24/7)",
        "at the latest 08:30 (created 02:30 + 6 h)",
    ]
    assert schedule.get(Milestone.ON_SITE) is None


def test_critical_ticket_out_of_province_must_be_on_site_within_12_hours():
    schedule = clock(now=at(10, 3), in_province=False)
    on_site = deadline(schedule, Milestone.ON_SITE)
    assert on_site.due_at == at(10, 14, 30)
    assert (
        explanation(on_site)[0]
        == "on site due 14:30 = created 02:30 + 12 h (standard plan, A critical, out-of-province, 24/7)"
    )
    assert schedule.get(Milestone.DISPATCHED) is None


def test_critical_ticket_tells_the_chief_engineer_and_general_manager_immediately():
    notice = deadline(clock(now=at(10, 2, 31)), Milestone.ESCALATION_NOTICE)
    assert notice.notify == (Role.CHIEF_ENGINEER, Role.GENERAL_MANAGER)
    assert notice.due_at == at(10, 2, 45)
    told = clock(now=at(10, 3), timeline=[fact(at(10, 2, 31), FactKind.ESCALATION_NOTICE)])
    assert deadline(told, Milestone.ESCALATION_NOTICE).state == DeadlineState.MET


def test_urgent_ticket_tells_the_chief_engineer_within_1_hour_dispatches_within_6_and_is_on_site_within_16():
    schedule = clock(now=at(10, 3), priority=B)
    notice = deadline(schedule, Milestone.ESCALATION_NOTICE)
    assert (notice.due_at, notice.notify) == (at(10, 3, 30), (Role.CHIEF_ENGINEER,))
    assert deadline(schedule, Milestone.DISPATCHED).due_at == at(10, 8, 30)
    assert deadline(schedule, Milestone.ON_SITE).due_at == at(10, 18, 30)
    out_of_province = clock(now=at(10, 3), priority=B, in_province=False)
    assert deadline(out_of_province, Milestone.ON_SITE).due_at == at(10, 18, 30)


def test_urgent_work_does_not_wait_for_monday():
    saturday_night = datetime(2026, 3, 14, 23, 0, tzinfo=SHANGHAI)
    schedule = clock(now=saturday_night, created=saturday_night, priority=B)
    assert deadline(schedule, Milestone.DISPATCHED).due_at == at(15, 5)


def test_general_ticket_is_dispatched_on_the_date_agreed_with_the_customer():
    agreed = at(13, 9)
    schedule = clock(now=at(10, 9), priority=C, agreed=agreed, timeline=paused(at(10, 10), at(11, 10)))
    dispatch = deadline(schedule, Milestone.DISPATCHED)
    assert dispatch.due_at == agreed  # the customer set the date: pauses do not move it
    assert explanation(dispatch)[0].startswith("dispatch due 03-13 09:00 = the date agreed with the customer")
    assert schedule.get(Milestone.ESCALATION_NOTICE) is None


def test_general_ticket_without_an_agreed_date_has_no_dispatch_deadline_yet():
    dispatch = deadline(clock(now=at(10, 9), priority=C), Milestone.DISPATCHED)
    assert (dispatch.due_at, dispatch.state) == (None, DeadlineState.PENDING)
    assert dispatch.reasons[0].code == ReasonCode.NO_AGREED_DATE


def test_general_ticket_reported_at_night_is_contacted_within_1_working_hour():
    tuesday_10pm = at(10, 22)
    schedule = clock(now=tuesday_10pm, created=tuesday_10pm, priority=C)
    assert deadline(schedule, Milestone.CONTACTED).due_at == at(11, 9, 30)


def test_until_classified_only_the_contact_promise_runs_and_it_runs_24_7():
    tuesday_10pm = at(10, 22)
    schedule = clock(now=tuesday_10pm, created=tuesday_10pm, priority=None)
    assert [d.milestone for d in schedule.deadlines] == [Milestone.CONTACTED]
    assert schedule.deadlines[0].due_at == at(10, 23)


def test_technician_must_report_to_the_supervisor_within_1_hour_of_arriving_on_site():
    before = deadline(clock(now=at(10, 9)), Milestone.ARRIVAL_REPORTED)
    assert (before.state, before.due_at) == (DeadlineState.NOT_STARTED, None)
    after = deadline(
        clock(now=at(10, 10, 30), timeline=[fact(at(10, 10), FactKind.ON_SITE)]), Milestone.ARRIVAL_REPORTED
    )
    assert after.due_at == at(10, 11)
    assert explanation(after)[0] == "arrival report due 11:00 = checked in 10:00 + 1 h (standard plan, A critical, 24/7)"


def test_progress_is_reported_at_least_once_a_day_while_on_site():
    on_site = [fact(at(10, 10), FactKind.ON_SITE), fact(at(11, 9), FactKind.PROGRESS_REPORTED)]
    report = deadline(clock(now=at(11, 12), timeline=on_site), Milestone.PROGRESS_REPORTED)
    assert (report.due_at, report.met_at, report.state) == (at(12, 9), at(11, 9), DeadlineState.PENDING)
    assert deadline(clock(now=at(12, 12), timeline=on_site), Milestone.PROGRESS_REPORTED).state == DeadlineState.MISSED


def test_a_late_progress_report_restarts_the_day_and_stays_in_the_explanation():
    timeline = [
        fact(at(10, 10), FactKind.ON_SITE),
        fact(at(11, 15), FactKind.PROGRESS_REPORTED),  # 5 h late
    ]
    report = deadline(clock(now=at(11, 16), timeline=timeline), Milestone.PROGRESS_REPORTED)
    assert (report.due_at, report.state) == (at(12, 15), DeadlineState.PENDING)
    assert "daily progress report due 03-11 10:00 came 5 h late" in explanation(report)


def test_daily_progress_reports_stop_when_the_job_is_resolved():
    timeline = [fact(at(10, 10), FactKind.ON_SITE), fact(at(11, 8), FactKind.RESOLVED)]
    report = deadline(clock(now=at(13, 8), timeline=timeline), Milestone.PROGRESS_REPORTED)
    assert report.state == DeadlineState.MET
    assert explanation(report)[-1] == "duty ended: resolved at 03-11 08:00"


def test_premium_plan_responds_in_1_hour_is_on_site_in_2_and_resolves_in_24_even_on_national_day():
    national_day = at(1, 10, month=10)
    schedule = clock(now=national_day, created=national_day, plan=PREMIUM_PLAN, priority=C)
    assert deadline(schedule, Milestone.CONTACTED).due_at == at(1, 11, month=10)
    assert deadline(schedule, Milestone.ON_SITE).due_at == at(1, 12, month=10)
    assert deadline(schedule, Milestone.RESOLVED).due_at == at(2, 10, month=10)


def test_premium_loaner_is_due_within_48_hours_once_repair_has_gone_8_hours_without_a_fix():
    created = at(1, 10, month=10)
    repair = [fact(at(1, 12, month=10), FactKind.REPAIR_STARTED)]
    schedule = clock(now=at(1, 13, month=10), created=created, plan=PREMIUM_PLAN, priority=B, timeline=repair)
    loaner = deadline(schedule, Milestone.LOANER_PROVIDED)
    assert loaner.due_at == at(3, 20, month=10)
    assert explanation(loaner)[0] == (
        "loaner provided due 10-03 20:00 = repair started 10-01 12:00 + 8 h + 48 h (premium plan, B urgent, 24/7)"
    )
    assert loaner.source == "002 §6.1"


def test_no_loaner_is_owed_when_the_fault_is_fixed_within_8_hours_of_repair():
    created = at(1, 10, month=10)
    timeline = [fact(at(1, 12, month=10), FactKind.REPAIR_STARTED), fact(at(1, 18, month=10), FactKind.RESOLVED)]
    schedule = clock(now=at(2, 9, month=10), created=created, plan=PREMIUM_PLAN, priority=B, timeline=timeline)
    assert deadline(schedule, Milestone.LOANER_PROVIDED).state == DeadlineState.WAIVED


def test_basic_plan_replies_within_one_working_day_and_is_on_site_by_the_customers_date():
    friday_4pm = at(13, 16)
    schedule = clock(now=friday_4pm, created=friday_4pm, plan=BASIC_PLAN, priority=C, agreed=at(18, 14))
    contact = deadline(schedule, Milestone.CONTACTED)
    assert contact.due_at == at(16, 16)
    assert "+ 1 working day (basic plan, C general, business hours 08:30–17:30)" in explanation(contact)[0]
    assert deadline(schedule, Milestone.ON_SITE).due_at == at(18, 14)


def test_complaints_are_handled_by_the_committed_reply_time_and_within_3_working_days():
    plans = PlanRegistry([COMPLAINT_PLAN])
    monday_9am = at(9, 9)

    def resolved_due(agreed: datetime) -> datetime | None:
        facts = ClockFacts(created_at=monday_9am, priority=C, plan="complaint", agreed_date=agreed)
        return deadline(schedule_for(facts, plans, monday_9am), Milestone.RESOLVED).due_at

    assert resolved_due(at(10, 12)) == at(10, 12)
    assert resolved_due(at(20, 12)) == at(12, 9)  # capped at 3 working days


def test_signed_acceptance_form_is_filed_within_5_working_days_of_resolution_skipping_golden_week():
    resolved = at(30, 16, month=9)
    schedule = clock(now=resolved, priority=A, timeline=[fact(resolved, FactKind.RESOLVED)])
    filing = deadline(schedule, Milestone.ACCEPTANCE_FILED)
    # Sep 30, then Oct 8, 9, 10 (make-up Saturday), 12 and 13.
    assert filing.due_at == at(13, 16, month=10)
    assert "+ 5 working days" in explanation(filing)[0]


# ---- pause and resume -----------------------------------------------------------------------------------


def test_paused_time_moves_every_pending_deadline_later_by_the_time_paused():
    schedule = clock(now=at(10, 15), in_province=False, timeline=paused(at(10, 11), at(10, 14, 10)))
    on_site = deadline(schedule, Milestone.ON_SITE)
    assert on_site.due_at == at(10, 17, 40)
    assert on_site.paused_for == h(3) + timedelta(minutes=10)
    assert "moved +3 h 10 m: paused 11:00–14:10 (waiting on customer)" in explanation(on_site)


def test_a_ticket_still_paused_keeps_its_time_left_and_wakes_no_sweep():
    met = [fact(at(10, 2, 31), FactKind.ESCALATION_NOTICE), fact(at(10, 2, 50), FactKind.CONTACTED)]
    schedule = clock(now=at(10, 12), in_province=False, timeline=met + paused(at(10, 11), None))
    on_site = deadline(schedule, Milestone.ON_SITE)
    assert on_site.state == DeadlineState.PAUSED
    assert on_site.time_left == h(3.5)
    assert "clock stopped since 11:00 (waiting on customer)" in explanation(on_site)
    assert next_due(schedule, at(10, 12)) is None


def test_resuming_gives_back_exactly_the_time_that_was_left():
    timeline = paused(at(10, 11), at(10, 20))
    on_site = deadline(clock(now=at(10, 20), in_province=False, timeline=timeline), Milestone.ON_SITE)
    assert on_site.due_at == at(10, 20) + h(3.5)


def test_on_business_hours_an_overnight_pause_only_adds_the_working_time_it_covered():
    tuesday_5pm = at(10, 17)
    timeline = paused(at(10, 17, 15), at(11, 9))
    contact = deadline(clock(now=at(11, 9), created=tuesday_5pm, priority=C, timeline=timeline), Milestone.CONTACTED)
    assert contact.paused_for == timedelta(minutes=45)
    assert contact.due_at == at(11, 9, 45)


def test_a_pause_after_the_milestone_was_met_does_not_move_it():
    timeline = [fact(at(10, 3), FactKind.DISPATCHED), *paused(at(10, 3, 30), at(10, 9))]
    dispatch = deadline(clock(now=at(10, 10), timeline=timeline), Milestone.DISPATCHED)
    assert (dispatch.due_at, dispatch.state, dispatch.paused_for) == (at(10, 4, 30), DeadlineState.MET, timedelta(0))


def test_a_milestone_met_while_paused_is_on_time_if_time_was_left():
    timeline = [*paused(at(10, 4), None), fact(at(10, 7), FactKind.DISPATCHED)]
    dispatch = deadline(clock(now=at(10, 8), timeline=timeline), Milestone.DISPATCHED)
    assert dispatch.state == DeadlineState.MET


def test_a_pause_before_a_clock_starts_does_not_count_for_it():
    timeline = [*paused(at(10, 8), at(10, 9)), fact(at(10, 10), FactKind.ON_SITE)]
    report = deadline(clock(now=at(10, 10), timeline=timeline), Milestone.ARRIVAL_REPORTED)
    assert (report.due_at, report.paused_for) == (at(10, 11), timedelta(0))


# ---- re-classification ------------------------------------------------------------------------------------


def test_reclassifying_urgent_to_critical_recomputes_from_creation_and_keeps_paused_time():
    pause = paused(at(10, 3), at(10, 4))
    as_urgent = deadline(clock(now=at(10, 4, 30), priority=B, timeline=pause), Milestone.DISPATCHED)
    assert as_urgent.due_at == at(10, 9, 30)

    upgraded = [*pause, fact(at(10, 4, 45), FactKind.RECLASSIFIED, field="priority", before="B", after="A")]
    as_critical = deadline(clock(now=at(10, 5), priority=A, timeline=upgraded), Milestone.DISPATCHED)
    assert as_critical.due_at == at(10, 5, 30)  # 02:30 + 2 h + 1 h paused
    assert as_critical.paused_for == h(1)
    assert "moved +1 h: paused 03:00–04:00 (waiting on customer)" in explanation(as_critical)
    assert "re-classified B urgent→A critical at 04:45; deadlines recomputed from creation, paused time kept" in explanation(as_critical)


def test_changing_the_plan_keeps_paused_time():
    timeline = [
        *paused(at(10, 3), at(10, 5)),
        fact(at(10, 6), FactKind.RECLASSIFIED, field="plan", before="standard", after="premium"),
    ]
    schedule = clock(now=at(10, 6), plan=PREMIUM_PLAN, priority=B, timeline=timeline)
    assert deadline(schedule, Milestone.ON_SITE).due_at == at(10, 6, 30)  # 02:30 + 2 h + 2 h paused
    assert schedule.plan == "premium"


def test_moving_a_critical_ticket_out_of_province_trades_the_dispatch_deadline_for_an_arrival_deadline():
    moved = [fact(at(10, 3), FactKind.RECLASSIFIED, field="in_province", before="in-province", after="out-of-province")]
    schedule = clock(now=at(10, 3), in_province=False, timeline=moved)
    assert schedule.get(Milestone.DISPATCHED) is None
    assert deadline(schedule, Milestone.ON_SITE).due_at == at(10, 14, 30)
    assert (
        "province changed in-province→out-of-province at 03:00" in explanation(deadline(schedule, Milestone.ON_SITE))[1]
    )


# ---- states, warnings and the sweep -------------------------------------------------------------------------


def test_a_deadline_passed_without_the_milestone_is_missed_and_says_by_how_much():
    dispatch = deadline(clock(now=at(10, 6)), Milestone.DISPATCHED)
    assert dispatch.state == DeadlineState.MISSED
    assert explanation(dispatch)[-1] == "missed: dispatch overdue by 1 h 30 m"


def test_deadlines_still_ahead_are_waived_when_the_ticket_is_cancelled_but_missed_ones_stay_missed():
    schedule = clock(now=at(10, 9), timeline=[fact(at(10, 4), FactKind.CANCELLED)])
    assert deadline(schedule, Milestone.DISPATCHED).state == DeadlineState.WAIVED
    assert deadline(schedule, Milestone.CONTACTED).state == DeadlineState.MISSED
    assert next_due(schedule, at(10, 9)) is None


def test_the_warning_comes_at_75_percent_of_the_target_unless_configured_otherwise():
    assert deadline(clock(now=at(10, 3)), Milestone.DISPATCHED).warn_at == at(10, 4)
    assert deadline(clock(now=at(10, 3), warn_share=0.5), Milestone.DISPATCHED).warn_at == at(10, 3, 30)
    eager = STANDARD_PLAN.model_copy(update={"warn_share": 0.25})
    assert deadline(clock(now=at(10, 3), plan=eager), Milestone.DISPATCHED).warn_at == at(10, 3)


def test_next_due_walks_from_warning_to_breach_to_the_outer_limit():
    told = [fact(at(10, 2, 31), FactKind.ESCALATION_NOTICE), fact(at(10, 2, 50), FactKind.CONTACTED)]
    assert next_due(clock(now=at(10, 3), timeline=told), at(10, 3)) == at(10, 4)
    assert next_due(clock(now=at(10, 4, 10), timeline=told), at(10, 4, 10)) == at(10, 4, 30)
    assert next_due(clock(now=at(10, 5), timeline=told), at(10, 5)) == at(10, 8, 30)
    dispatched = [*told, fact(at(10, 5), FactKind.DISPATCHED)]
    assert next_due(clock(now=at(10, 5), timeline=dispatched), at(10, 5)) is None


def test_a_late_sweep_still_sees_every_moment_it_slept_through():
    schedule = clock(now=at(10, 5), timeline=[fact(at(10, 2, 31), FactKind.ESCALATION_NOTICE)])
    assert checkpoints_between(schedule, at(10, 3, 10), at(10, 5)) == [
        Checkpoint(at(10, 3, 15), CheckpointKind.WARN, Milestone.CONTACTED),
        Checkpoint(at(10, 3, 30), CheckpointKind.DUE, Milestone.CONTACTED),
        Checkpoint(at(10, 4), CheckpointKind.WARN, Milestone.DISPATCHED),
        Checkpoint(at(10, 4, 30), CheckpointKind.DUE, Milestone.DISPATCHED),
    ]


def test_the_schedule_at_a_past_moment_ignores_what_happened_later():
    timeline = [fact(at(10, 4), FactKind.DISPATCHED)]
    assert deadline(clock(now=at(10, 3), timeline=timeline), Milestone.DISPATCHED).state == DeadlineState.PENDING
    assert deadline(clock(now=at(10, 5), timeline=timeline), Milestone.DISPATCHED).state == DeadlineState.MET


def test_every_explanation_is_also_structured_for_translation():
    on_site = deadline(
        clock(now=at(10, 15), in_province=False, timeline=paused(at(10, 11), at(10, 14))), Milestone.ON_SITE
    )
    due, moved = on_site.reasons[0], on_site.reasons[1]
    assert due.code == ReasonCode.DUE
    assert due.values["start_at"] == CREATED.astimezone(UTC).isoformat()
    assert (due.values["target"], due.values["priority"], due.values["in_province"]) == ("12h", "A", False)
    assert (moved.code, moved.values["added_seconds"]) == (ReasonCode.MOVED_BY_PAUSE, 3 * 3600)


def test_what_starts_and_ends_a_clock_is_a_code_not_english_words():
    timeline = [fact(at(10, 10), FactKind.ON_SITE), fact(at(11, 8), FactKind.RESOLVED)]
    schedule = clock(now=at(11, 9), in_province=False, timeline=timeline)
    arrival, progress = deadline(schedule, Milestone.ARRIVAL_REPORTED), deadline(schedule, Milestone.PROGRESS_REPORTED)
    assert explanation(arrival)[0].startswith("arrival report due 11:00 = checked in 10:00")
    assert (arrival.reasons[0].values["start"], arrival.reasons[0].values["side"]) == ("on_site", None)
    assert deadline(schedule, Milestone.ON_SITE).reasons[0].values["side"] == "out_of_province"
    assert progress.reasons[-1].code == ReasonCode.WAIVED
    assert (progress.reasons[-1].values["ended_by"], progress.reasons[-1].values["repeating"]) == ("resolved", True)
    closed = clock(now=at(12, 9), priority=C, timeline=[fact(at(12, 8), FactKind.CLOSED)])
    missed = deadline(closed, Milestone.CONTACTED).reasons[-1]
    assert (missed.code, missed.values["ended_by"], missed.values["milestone"]) == (
        ReasonCode.MISSED,
        "closed",
        "contacted",
    )
    business = deadline(closed, Milestone.CONTACTED).reasons[0].values
    assert (business["calendar"], business["calendar_opens"], business["calendar_closes"]) == (
        "business_hours",
        "08:30",
        "17:30",
    )


def test_a_deadline_carries_its_target_and_calendar_as_data_too():
    dispatch = deadline(clock(now=at(10, 3)), Milestone.DISPATCHED)
    assert target_text("en", dispatch) == "2 h (6 h at the latest)"
    assert dispatch.target_terms is not None and dispatch.target_terms.latest is not None
    assert dispatch.calendar_terms is not None and dispatch.calendar_terms.kind == "24/7"


def test_all_instants_come_out_in_utc():
    on_site = deadline(clock(now=at(10, 3), in_province=False), Milestone.ON_SITE)
    assert on_site.due_at is not None and on_site.due_at.tzinfo == UTC


def test_durations_read_as_people_say_them():
    assert duration("en", h(3) + timedelta(minutes=10)) == "3 h 10 m"
    assert duration("en", h(52)) == "2 d 4 h"
    assert duration("en", timedelta(seconds=59)) == "0 m"


# ---- properties ---------------------------------------------------------------------------------------------

pauses = st.lists(
    st.tuples(st.integers(min_value=0, max_value=72 * 60), st.integers(min_value=1, max_value=48 * 60)),
    max_size=4,
)


@settings(max_examples=40, deadline=None)
@given(
    priority=st.sampled_from([A, B, C]),
    plan=st.sampled_from([STANDARD_PLAN, BASIC_PLAN, PREMIUM_PLAN]),
    created_offset=st.integers(min_value=0, max_value=14 * 24 * 60),
    windows=pauses,
    still_paused=st.booleans(),
)
def test_pausing_never_shortens_a_deadline(priority, plan, created_offset, windows, still_paused):
    created = at(28, 0, month=9) + timedelta(minutes=created_offset)  # around Golden Week
    timeline, cursor = [], created
    for gap, length in windows:
        start = cursor + timedelta(minutes=gap)
        cursor = start + timedelta(minutes=length)
        timeline += paused(start, cursor)
    if still_paused:
        timeline += paused(cursor + h(1), None)
    timeline += [fact(created + h(2), FactKind.ON_SITE), fact(created + h(30), FactKind.RESOLVED)]
    now = cursor + h(2)
    options = {"now": now, "created": created, "priority": priority, "plan": plan, "agreed": created + h(50)}
    with_pauses = clock(timeline=timeline, **options)
    without = clock(timeline=[f for f in timeline if f.kind not in (FactKind.PAUSED, FactKind.RESUMED)], **options)
    for plain in without.deadlines:
        moved = deadline(with_pauses, plain.milestone)
        if plain.due_at is not None:
            assert moved.due_at is not None and moved.due_at >= plain.due_at
