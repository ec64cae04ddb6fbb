"""The local scheduler runs the app's scheduled functions by the app's clock, as EventBridge would."""

import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from local.scheduler import Job, parse_schedule, run_forever


class MovableClock:
    def __init__(self):
        self.at = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

    def now(self):
        return self.at


def started(jobs, clock, calls):
    app = SimpleNamespace(handler_map={job.name: (lambda event, context, n=job.name: calls.append(n)) for job in jobs})
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(app, jobs, stop, clock), daemon=True)
    thread.start()
    return stop


def wait_until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_clock_moved_forward_runs_the_job_and_moved_back_does_not_stall_it():
    clock, calls = MovableClock(), []
    jobs = [Job("sla_sweep", "rate(1 minute)", parse_schedule("rate(1 minute)"))]
    stop = started(jobs, clock, calls)
    try:
        assert not wait_until(lambda: calls, seconds=1.5), "nothing is due before a minute passes"
        clock.at += timedelta(days=6)
        assert wait_until(lambda: len(calls) == 1)
        clock.at -= timedelta(days=6)  # a test puts the clock back
        time.sleep(1.5)
        clock.at += timedelta(minutes=2)
        assert wait_until(lambda: len(calls) == 2), "the job runs again a minute later, not in six days"
    finally:
        stop.set()


@pytest.mark.parametrize("expression, after, expected", [
    ("rate(5 minutes)", datetime(2026, 11, 27, 2, 0, tzinfo=UTC), datetime(2026, 11, 27, 2, 5, tzinfo=UTC)),
    ("cron(0 17 L * ? *)", datetime(2026, 11, 27, 2, 0, tzinfo=UTC), datetime(2026, 11, 30, 17, 0, tzinfo=UTC)),
    ("cron(0 1 ? * 2 *)", datetime(2026, 11, 27, 2, 0, tzinfo=UTC), datetime(2026, 11, 30, 1, 0, tzinfo=UTC)),
])
def test_aws_schedule_expressions(expression, after, expected):
    assert parse_schedule(expression).next_after(after) == expected
