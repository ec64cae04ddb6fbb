"""Breach → message: how long after a ladder step falls due its message goes out, with sweeps starting a
minute apart, with and without the sweep's look-ahead (``SWEEP_LOOKAHEAD_SECONDS``), for steps falling
due one by one over ten minutes and for a burst of 1,000 falling due at one moment just after a sweep
started (the worst moment for a sweep without look-ahead).

    .venv/bin/python -m bench.breach                       # 200 spread, a burst of 1,000
    .venv/bin/python -m bench.breach --spread 50 --burst 100

The app's own intake and sweep run over moto in this process on a simulated clock. Each thread keeps its
own time: it moves by 8 ms per DynamoDB call and 80 ms per SES/SNS send (what ``bench.floor`` projects for
AWS), by the CPU time the thread spends outside moto, and a wait for a moment moves it there at once.
Sweeps start every 60 s of simulated time, ``SWEEP_WORKERS`` threads each. A ticket's latency runs from
its step's moment to the end of the sends the sweep makes for it. A projection, not a measurement on AWS.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from botocore.client import BaseClient

from bench.floor import DYNAMODB_MS, SEND_MS, SENDS, archive_read_in_two, say
from bench.sweep import NOW, app_on_moto
from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.clock import SystemClock
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.permissions import SystemActor
from chalicelib.services.notifications import NotificationService
from tests.fakes import valid_report

SWEEP_EVERY = timedelta(minutes=1)
SPREAD_OVER = timedelta(minutes=10)
GOAL_SECONDS = 60.0
END_OF_TIME = datetime(9999, 1, 1, tzinfo=NOW.tzinfo)


class SimulatedClock:
    """Each thread's own simulated time; a thread that has not kept one yet starts at ``base``."""

    def __init__(self, base: datetime):
        self.base = base
        self._own = threading.local()

    def now(self) -> datetime:
        return getattr(self._own, "at", self.base)

    def set(self, moment: datetime) -> None:
        self._own.at = moment
        self._own.cpu_mark = time.thread_time()

    def sleep_until(self, moment: datetime) -> None:
        self._spend(timedelta(0))
        self._own.at = max(self.now(), moment)

    def _spend(self, waited: timedelta) -> None:
        """The thread's CPU time since its last mark, plus ``waited`` (a call's answer on AWS)."""
        cpu = time.thread_time()
        ran = cpu - getattr(self._own, "cpu_mark", cpu)
        self._own.at = self.now() + timedelta(seconds=ran) + waited
        self._own.cpu_mark = cpu

    @contextmanager
    def running(self) -> Iterator[None]:
        """The app's clock and every AWS call it makes, on this simulated time."""
        original = BaseClient._make_api_call
        clock = self

        def answered_on_aws(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            clock._spend(timedelta(0))
            try:
                return original(client, operation, params)
            finally:
                service = client.meta.service_model.service_name
                ms = SEND_MS if service in SENDS else DYNAMODB_MS if service == "dynamodb" else 0.0
                clock._own.cpu_mark = time.thread_time()  # moto's own work is not AWS's
                clock._own.at = clock.now() + timedelta(milliseconds=ms)

        with (
            mock.patch.object(BaseClient, "_make_api_call", answered_on_aws),
            mock.patch.object(SystemClock, "now", lambda _: clock.now()),
            mock.patch.object(SystemClock, "sleep_until", lambda _, moment: clock.sleep_until(moment)),
        ):
            yield


@dataclass
class Latencies:
    scenario: str
    lookahead: int
    seconds: list[float]
    tickets: int

    def percentile(self, share: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else float("nan")

    @property
    def told(self) -> int:
        return len(self.seconds)


def _told_at(clock: SimulatedClock) -> tuple[dict[str, datetime], Any]:
    """When each ticket's first escalation messages had gone out (the end of the sweep's sends for it)."""
    told: dict[str, datetime] = {}
    lock = threading.Lock()
    original = NotificationService.deliver_claimed

    def recorded(service: NotificationService, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        delivered = original(service, messages)
        with lock:
            for message in messages:
                if message.purpose.startswith("escalation:"):
                    told.setdefault(message.ticket_number, clock.now())
        return delivered

    return told, mock.patch.object(NotificationService, "deliver_claimed", recorded)


def run(scenario: str, tickets: int, lookahead: int, workers: int, seed: int = 17) -> Latencies:
    """``scenario``: "spread" (first steps falling due over ten minutes) or "burst" (all at one moment)."""
    rng = random.Random(seed)
    clock = SimulatedClock(NOW)
    environment = {"SWEEP_WORKERS": str(workers), "SWEEP_LOOKAHEAD_SECONDS": str(lookahead)}
    with app_on_moto(environment=environment) as (settings, services), clock.running(), archive_read_in_two():
        repo = DynamoTickets(settings.table_name, due_shards=settings.due_shards)
        request = ServiceRequestInput.model_validate(valid_report())
        # How long after its report a ticket's first step falls due (the same for every report here).
        clock.set(NOW - timedelta(days=1))
        probe = services.intake.submit(request, language="zh-CN").number
        first_step = dict(repo.due_tickets(END_OF_TIME, 10))[probe] - (NOW - timedelta(days=1))
        services.desk.cancel(probe, actor=SystemActor("sup"), reason="probe")
        for _ in range(tickets):  # the reports only set the scene (``archive_read_in_two``)
            offset = timedelta(seconds=rng.uniform(0, SPREAD_OVER.total_seconds())) if scenario == "spread" else None
            clock.set(NOW - first_step + (offset or timedelta(0)))
            services.intake.submit(request, language="zh-CN")
        wakes = {n: at for n, at in repo.due_tickets(END_OF_TIME, 10 * tickets) if n != probe}
        told, recording = _told_at(clock)
        # Spread: sweeps at an arbitrary phase; burst: one starts a second before the moment.
        start = NOW - timedelta(seconds=30 if scenario == "spread" else 1)
        last = max(wakes.values()) + 3 * SWEEP_EVERY
        with recording:
            sweep_at = start
            while sweep_at <= last and len(told) < len(wakes):
                clock.base = sweep_at
                clock.set(sweep_at)
                services.sla.sweep()
                sweep_at += SWEEP_EVERY
    wiring.reset()
    aws.reset()
    seconds = [(told[n] - wakes[n]).total_seconds() for n in wakes if n in told]
    return Latencies(scenario, lookahead, seconds, len(wakes))


def main(argv: Sequence[str] | None = None) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        parser = argparse.ArgumentParser(prog="python -m bench.breach", description=__doc__.splitlines()[0])
        parser.add_argument("--spread", type=int, default=200, help="tickets whose first step falls due over 10 min")
        parser.add_argument("--burst", type=int, default=1_000, help="tickets whose first step falls due at once")
        parser.add_argument("--workers", type=int, default=16, help="SWEEP_WORKERS")
        args = parser.parse_args(argv)
        results = figures(args.spread, args.burst, args.workers)
    print_table(results)
    return 0 if all(r.told == r.tickets and r.percentile(0.99) <= GOAL_SECONDS for r in results if r.lookahead) else 1


def figures(spread: int, burst: int, workers: int) -> list[Latencies]:
    results = []
    for scenario, tickets in (("spread", spread), ("burst", burst)):
        if tickets:
            results += [run(scenario, tickets, lookahead, workers) for lookahead in (0, 60)]
    return results


def print_table(results: Sequence[Latencies]) -> None:
    say("breach → message, projected on AWS (simulated clock; sweeps a minute apart)")
    say(f"{'steps due':<26} {'look-ahead':>10} {'told':>11} {'p50':>7} {'p99':>7} {'max':>7}")
    for r in results:
        what = f"{r.tickets:,} over 10 min" if r.scenario == "spread" else f"{r.tickets:,} at one moment"
        say(
            f"{what:<26} {r.lookahead:>8} s {r.told:>5,}/{r.tickets:<5,} {r.percentile(0.5):>6.1f}s "
            f"{r.percentile(0.99):>6.1f}s {max(r.seconds, default=float('nan')):>6.1f}s"
        )


if __name__ == "__main__":
    raise SystemExit(main())
