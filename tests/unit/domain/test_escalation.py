"""The escalation ladder as rules (SPEC "Escalation", 000 §4.4.2.1)."""

from datetime import UTC, datetime, timedelta

from chalicelib.domain.calendars import BusinessHours
from chalicelib.domain.escalation import (
    Ladder,
    Person,
    Roster,
    RosterBook,
    StepKind,
    hold_until_working_time,
    owner_of,
    taken_key,
)
from chalicelib.domain.plans import STANDARD_PLAN, Milestone, Role
from chalicelib.domain.sla import ClockFact, ClockFacts, FactKind, compute_schedule
from chalicelib.domain.ticket import Priority

CREATED = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)  # 10:30 in Beijing, a Friday
LADDER = Ladder(climb_after=timedelta(hours=1))


def critical_schedule(now, *facts):
    return compute_schedule(
        ClockFacts(created_at=CREATED, priority=Priority.CRITICAL, in_province=True, timeline=facts),
        STANDARD_PLAN,
        now,
    )


def dispatch_steps(now, *facts, acknowledged=frozenset()):
    return [
        (s.kind, s.role, s.at - CREATED)
        for s in LADDER.steps(critical_schedule(now, *facts), now, acknowledged)
        if s.milestone == Milestone.DISPATCHED
    ]


def test_the_supervisors_dispatch_deadline_warns_him_and_a_breach_goes_straight_to_the_chief_engineer():
    assert dispatch_steps(CREATED) == [
        (StepKind.WARNING, Role.SUPERVISOR, timedelta(hours=1, minutes=30)),
        (StepKind.BREACH, Role.CHIEF_ENGINEER, timedelta(hours=2)),
        (StepKind.BREACH, Role.GENERAL_MANAGER, timedelta(hours=3)),
    ]


def test_the_technicians_arrival_report_warns_him_and_a_breach_climbs_from_the_supervisor():
    on_site = ClockFact(at=CREATED + timedelta(hours=5), kind=FactKind.ON_SITE)
    steps = [(s.kind, s.role, s.level, s.at - on_site.at)
             for s in LADDER.steps(critical_schedule(on_site.at, on_site), on_site.at)
             if s.milestone == Milestone.ARRIVAL_REPORTED]
    assert steps == [
        (StepKind.WARNING, Role.TECHNICIAN, 0, timedelta(minutes=45)),
        (StepKind.BREACH, Role.SUPERVISOR, 1, timedelta(hours=1)),
        (StepKind.BREACH, Role.CHIEF_ENGINEER, 2, timedelta(hours=2)),
        (StepKind.BREACH, Role.GENERAL_MANAGER, 3, timedelta(hours=3)),
    ]


def test_a_technicians_step_reaches_the_supervisor_while_nobody_is_dispatched():
    supervisor, wang = Person(name="张主管", phone="+8613900000001"), Person(name="王工", phone="+8613900000002")
    book = RosterBook([Roster(levels={Role.SUPERVISOR: (supervisor,)})])
    on_site = ClockFact(at=CREATED + timedelta(hours=5), kind=FactKind.ON_SITE)
    warning = next(s for s in LADDER.steps(critical_schedule(on_site.at, on_site), on_site.at)
                   if s.milestone == Milestone.ARRIVAL_REPORTED and s.kind == StepKind.WARNING)
    told = book.recipients(warning, warning.at, province="CN-JS", technicians=(wang,))
    assert [r.person for r in told] == [wang]
    assert [r.person for r in book.recipients(warning, warning.at, province="CN-JS")] == [supervisor]


def test_a_ticket_dispatched_in_time_takes_no_dispatch_steps():
    dispatched = ClockFact(at=CREATED + timedelta(hours=1), kind=FactKind.DISPATCHED)
    assert dispatch_steps(CREATED + timedelta(hours=5), dispatched) == []


def test_an_acknowledged_breach_stops_climbing():
    now = CREATED + timedelta(hours=2, minutes=5)
    schedule = critical_schedule(now)
    breach = next(
        s for s in LADDER.steps(schedule, now) if s.kind == StepKind.BREACH and s.milestone == Milestone.DISPATCHED
    ).key.split(":")[1]
    assert [r for _, r, _ in dispatch_steps(now, acknowledged=frozenset({breach}))] == [Role.CHIEF_ENGINEER]


def test_the_owner_taking_his_own_deadline_stops_no_climb_only_someone_above_him_does():
    breach = "dispatched@20261127T043000Z"  # the supervisor owns dispatching
    assert owner_of(breach) == Role.SUPERVISOR and owner_of("arrival_reported@20261127T043000Z") == Role.TECHNICIAN
    assert taken_key(breach, Role.SUPERVISOR, owner_of(breach)) == f"owner:{breach}"
    assert taken_key(breach, Role.TECHNICIAN, owner_of(breach)) == f"owner:{breach}"
    assert taken_key(breach, Role.CHIEF_ENGINEER, owner_of(breach)) == breach
    arrival = "arrival_reported@20261127T043000Z"
    assert taken_key(arrival, Role.SUPERVISOR, owner_of(arrival)) == arrival, "the supervisor is above the technician"


def test_past_the_outer_limit_the_ladder_jumps_to_the_top():
    slow = Ladder(climb_after=timedelta(hours=5))
    steps = [s for s in slow.steps(critical_schedule(CREATED), CREATED) if s.milestone == Milestone.DISPATCHED]
    top = [s for s in steps if s.role == Role.GENERAL_MANAGER][0]
    assert (top.kind, top.at - CREATED) == (StepKind.LATEST_BREACH, timedelta(hours=6))


def test_a_warning_whose_deadline_already_passed_is_dropped_for_the_breach():
    now = CREATED + timedelta(hours=2, minutes=1)
    kinds = [k for k, _, _ in dispatch_steps(now)]
    assert StepKind.WARNING not in kinds


def test_critical_tickets_tell_the_chief_engineer_and_general_manager_at_creation():
    notices = [s for s in LADDER.steps(critical_schedule(CREATED), CREATED) if s.kind == StepKind.NOTICE]
    assert {(s.role, s.at) for s in notices} == {(Role.CHIEF_ENGINEER, CREATED), (Role.GENERAL_MANAGER, CREATED)}
    assert all(s.urgent for s in notices)


def test_once_the_notice_is_sent_it_is_not_sent_again():
    told = ClockFact(at=CREATED + timedelta(minutes=1), kind=FactKind.ESCALATION_NOTICE)
    now = CREATED + timedelta(minutes=2)
    assert [s for s in LADDER.steps(critical_schedule(now, told), now) if s.kind == StepKind.NOTICE] == []


def test_steps_already_taken_are_not_due_again_and_the_next_wake_is_the_next_step():
    now = CREATED + timedelta(hours=2)
    schedule = critical_schedule(now)
    due = LADDER.due(schedule, now, frozenset())
    taken = frozenset(s.key for s in due)
    assert LADDER.due(schedule, now, taken) == []
    assert LADDER.next_wake(schedule, now, taken) == CREATED + timedelta(hours=3)


def test_a_paused_ticket_does_not_escalate_while_it_waits_on_the_customer():
    paused = ClockFact(at=CREATED + timedelta(minutes=30), kind=FactKind.PAUSED, note="site not ready")
    now = CREATED + timedelta(hours=5)
    assert dispatch_steps(now, paused) == []


def test_non_urgent_messages_wait_for_the_recipients_working_hours():
    calendar = BusinessHours()
    friday_night = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 22:00 Friday in Beijing
    assert hold_until_working_time(friday_night, calendar) == datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # Mon 08:30
    office_hours = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert hold_until_working_time(office_hours, calendar) == office_hours


def test_the_roster_prefers_a_regional_holder_over_the_default():
    alice, bob = Person(name="Alice"), Person(name="Bob")
    book = RosterBook([
        Roster(scope="default", levels={Role.SUPERVISOR: (alice,)}),
        Roster(scope="region:CN-GD", levels={Role.SUPERVISOR: (bob,)}),
    ])
    assert book.holders(Role.SUPERVISOR, province="CN-GD") == (bob,)
    assert book.holders(Role.SUPERVISOR, province="CN-JS") == (alice,)
    assert book.holders(Role.GENERAL_MANAGER, province="CN-JS") == ()
