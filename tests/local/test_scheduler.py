"""The local scheduler runs the app's scheduled functions by the app's clock, as EventBridge would."""

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from local.scheduler import Job, Timetable, parse_schedule, run_forever

START = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
SWEEP = Job("sla_sweep", "rate(1 minute)", parse_schedule("rate(1 minute)"))
REPORT = Job("monthly_report", "cron(0 17 * * ? *)", parse_schedule("cron(0 17 * * ? *)"))


def due_at(timetable, now):
    job, _ = timetable.next_due(now)
    return job.name if job else None


def test_nothing_runs_before_its_time_and_the_wait_says_how_long():
    timetable = Timetable([SWEEP], START)
    job, wait = timetable.next_due(START + timedelta(seconds=20))
    assert job is None and wait == 40


def test_a_clock_moved_forward_runs_the_job_once_and_moved_back_does_not_stall_it():
    timetable = Timetable([SWEEP], START)
    later = START + timedelta(days=6)
    assert due_at(timetable, later) == "sla_sweep"
    timetable.ran(SWEEP, later)
    assert due_at(timetable, later) is None, "one run for the whole jump, not one per missed minute"
    # A test puts the clock back: the job is due a minute after the earlier time, not in six days.
    assert due_at(timetable, START + timedelta(seconds=30)) is None
    assert due_at(timetable, START + timedelta(minutes=2)) == "sla_sweep"


def test_the_job_most_overdue_runs_first():
    timetable = Timetable([SWEEP, REPORT], START)
    night = datetime(2026, 11, 27, 17, 0, 30, tzinfo=UTC)
    assert due_at(timetable, night) == "sla_sweep"  # due since 02:01
    timetable.ran(SWEEP, night)
    assert due_at(timetable, night) == "monthly_report"


def test_the_loop_runs_a_due_job_when_the_apps_clock_reaches_it():
    """The thread around the timetable: nothing while the clock stands, the function once it is due."""
    clock, ran = SimpleNamespace(at=START), threading.Event()
    clock.now = lambda: clock.at
    app = SimpleNamespace(handler_map={"sla_sweep": lambda event, context: ran.set()})
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(app, [SWEEP], stop, clock), daemon=True)
    thread.start()
    try:
        assert not ran.is_set()
        clock.at = START + timedelta(minutes=2)
        assert ran.wait(60), "the due job never ran"  # a safety net: it runs within a second
    finally:
        stop.set()
        thread.join(60)


@pytest.mark.parametrize("expression, after, expected", [
    ("rate(5 minutes)", datetime(2026, 11, 27, 2, 0, tzinfo=UTC), datetime(2026, 11, 27, 2, 5, tzinfo=UTC)),
    ("cron(0 17 L * ? *)", datetime(2026, 11, 27, 2, 0, tzinfo=UTC), datetime(2026, 11, 30, 17, 0, tzinfo=UTC)),
    ("cron(0 1 ? * 2 *)", datetime(2026, 11, 27, 2, 0, tzinfo=UTC), datetime(2026, 11, 30, 1, 0, tzinfo=UTC)),
])
def test_aws_schedule_expressions(expression, after, expected):
    assert parse_schedule(expression).next_after(after) == expected
