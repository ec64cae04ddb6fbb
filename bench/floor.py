"""Close to the floor: AWS calls and time of the supervisor's queue, of an intake and a staff move, and of a
sweep through a burst of due tickets, with what they project to on AWS.

    .venv/bin/python -m bench.floor                    # queue at 1/100/1,000/10,000 open; writes; burst of 1,000
    .venv/bin/python -m bench.floor --open 1 100 --burst 50     # a quick run

Everything runs against moto in this process (importing ``bench`` swaps in fake credentials). Calls are
counted with a botocore hook on every client the app makes (``before-call``), time in them with
``after-call``. "Projected on AWS" replaces the time spent in moto by 8 ms per DynamoDB call (what a
512 MB Lambda sees in one region, as the issue measured) and 80 ms per provider send (SES, SNS); it is a
projection, not a measurement on AWS.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from unittest import mock

from botocore.client import BaseClient

from bench.sweep import NOW, Story, app_on_moto, clone, moto_writer, walk
from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.clock import SystemClock
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.queue import QueueFilter
from chalicelib.domain.ticket import OPEN_STATUSES, Priority, format_ticket_number
from chalicelib.services.intake import PublicOrigin
from tests.fakes import valid_report

DYNAMODB_MS = 8.0  # per call on AWS, as measured for the issue
SEND_MS = 80.0  # per SES/SNS send on AWS (an assumption: the providers answer in tens of milliseconds)
SENDS = ("ses", "sns")
PAGE_BOUND_CALLS, PAGE_BOUND_MS = 5, 300
INTAKE_BOUND, MOVE_BOUND = 4, 5


@dataclass
class Calls:
    """Every AWS call the app makes, by service and operation, and the seconds spent in them."""

    made: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def dynamodb(self) -> int:
        return sum(n for op, n in self.made.items() if op.startswith("dynamodb."))

    @property
    def sends(self) -> int:
        return sum(n for op, n in self.made.items() if op.split(".")[0] in SENDS)

    @property
    def total(self) -> int:
        return sum(self.made.values())

    def projected_ms(self, measured_ms: float) -> float:
        """Measured time without moto's, plus what the calls cost on AWS."""
        return max(measured_ms - self.seconds * 1000, 0.0) + self.dynamodb * DYNAMODB_MS + self.sends * SEND_MS


@contextmanager
def counting() -> Iterator[Calls]:
    calls = Calls()
    original = BaseClient._make_api_call

    def counted(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return original(client, operation, params)
        finally:
            calls.seconds += time.perf_counter() - started
            calls.made[f"{client.meta.service_model.service_name}.{operation}"] += 1

    with mock.patch.object(BaseClient, "_make_api_call", counted):
        yield calls


# -- the queue -------------------------------------------------------------------------------------


@dataclass
class QueueFigure:
    open_tickets: int
    rows: int
    calls: int
    ms: float  # median of three first pages, in this process against moto
    projected_ms: float


def _open_profiles(sla: Any, repo: DynamoTickets, rng: random.Random, count: int) -> list[tuple[str, list]]:
    profiles = []
    statuses = sorted(OPEN_STATUSES)
    for k in range(count):
        placeholder = f"PROFILE-{k:05d}-NUMBER"
        age = timedelta(minutes=rng.uniform(2, 600))
        ticket, events = walk(placeholder, statuses[k % len(statuses)], NOW - age, age, rng)
        ticket, wake = sla.projected(ticket, events, NOW)
        from bench.sweep import items_of

        profiles.append((placeholder, items_of(repo, Story(ticket, events, wake))))
    return profiles


def queue_figures(services: Any, repo: DynamoTickets, write: Any, sizes: Sequence[int]) -> list[QueueFigure]:
    rng = random.Random(17)
    profiles = _open_profiles(services.sla, repo, rng, 60)
    figures, stored = [], 0
    for size in sizes:
        batch = []
        while stored < size:
            stored += 1
            placeholder, items = profiles[stored % len(profiles)]
            # Numbers of a year the counter never hands out: the writes below take theirs from it.
            batch.extend(clone(items, placeholder, format_ticket_number(2019, stored), 4))
        write(batch)
        runs = []
        for _ in range(3):
            with counting() as calls:
                started = time.perf_counter()
                page = services.queue.queue(QueueFilter())
                runs.append(((time.perf_counter() - started) * 1000, calls, len(page.rows)))
        ms = statistics.median(r[0] for r in runs)
        _, calls, rows = runs[-1]
        figures.append(QueueFigure(size, rows, calls.total, ms, calls.projected_ms(ms)))
    return figures


# -- writes: an intake and a plain staff move ----------------------------------------------------------


@dataclass
class WriteFigure:
    what: str
    calls: Calls
    ms: float


def write_figures(services: Any) -> list[WriteFigure]:
    figures = []
    request = ServiceRequestInput.model_validate(valid_report())
    services.intake.submit(request, language="zh-CN", origin=PublicOrigin(ip="192.0.2.1"))  # warm the caches
    with counting() as calls:
        started = time.perf_counter()
        number = services.intake.submit(request.model_copy(update={"phone": "+8613900139000"}), language="zh-CN",
                                        origin=PublicOrigin(ip="192.0.2.2")).number
        figures.append(WriteFigure("intake (public form, email + SMS)", calls, (time.perf_counter() - started) * 1000))
    for what, move in (
        ("staff move: contact recorded", lambda: services.desk.record_contact(number, actor="sup")),
        ("staff move: classified C", lambda: services.desk.classify(number, actor="sup", priority=Priority.GENERAL)),
    ):
        with counting() as calls:
            started = time.perf_counter()
            move()
            figures.append(WriteFigure(what, calls, (time.perf_counter() - started) * 1000))
    return figures


# -- a burst of due tickets ---------------------------------------------------------------------------


@dataclass
class BurstFigure:
    due: int
    workers: int
    escalated: int
    calls: Calls
    seconds: float

    @property
    def per_ticket_ms(self) -> float:
        """What one ticket waits on AWS and providers, in a row (its reads, its write, its sends)."""
        return (self.calls.dynamodb * DYNAMODB_MS + self.calls.sends * SEND_MS) / max(self.due, 1)

    @property
    def projected_seconds(self) -> float:
        """The burst on AWS: the tickets' waits spread over the workers, plus this process's own work."""
        cpu = max(self.seconds - self.calls.seconds, 0.0)
        return self.per_ticket_ms * self.due / self.workers / 1000 + cpu


def burst_figure(services: Any, due: int, workers: int) -> BurstFigure:
    numbers = []
    request = ServiceRequestInput.model_validate(valid_report())
    with mock.patch.object(SystemClock, "now", return_value=NOW - timedelta(hours=3)):
        for _ in range(due):
            numbers.append(services.intake.submit(request, language="zh-CN").number)
    with mock.patch.object(SystemClock, "now", return_value=NOW), counting() as calls:
        started = time.perf_counter()
        report = services.sla.sweep()
        seconds = time.perf_counter() - started
    return BurstFigure(due, workers, len({s.split()[0] for s in report.steps}), calls, seconds)


# -- the run ---------------------------------------------------------------------------------------


@contextmanager
def world(workers: int) -> Iterator[tuple[Any, DynamoTickets, Any]]:
    with app_on_moto(environment={"SWEEP_WORKERS": str(workers)}) as (settings, services):
        repo = DynamoTickets(settings.table_name, due_shards=settings.due_shards)
        yield services, repo, moto_writer(settings.table_name, aws.client("dynamodb").meta.region_name)
    wiring.reset()
    aws.reset()


def main(argv: Sequence[str] | None = None) -> int:
    # The app's metrics are printed as EMF lines; the figures go to the real stdout only.
    with contextlib.redirect_stdout(io.StringIO()):
        return _run(argv)


def say(line: str = "") -> None:
    print(line, file=sys.__stdout__, flush=True)


def _run(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, nargs="*", default=[1, 100, 1_000, 10_000], help="open tickets")
    parser.add_argument("--burst", type=int, default=1_000, help="due tickets in the burst")
    parser.add_argument("--workers", type=int, default=16, help="SWEEP_WORKERS")
    args = parser.parse_args(argv)
    problems = []

    with world(args.workers) as (services, repo, write):
        say("supervisor's queue, first page of 50 (the page's service call)")
        say(f"{'open':>8} {'rows':>5} {'calls':>6} {'ms here':>9} {'projected':>10}")
        for f in queue_figures(services, repo, write, args.open):
            say(f"{f.open_tickets:>8,} {f.rows:>5} {f.calls:>6} {f.ms:>9.1f} {f.projected_ms:>8.1f} ms")
            if f.calls > PAGE_BOUND_CALLS or f.projected_ms > PAGE_BOUND_MS:
                problems.append(f"queue at {f.open_tickets}: {f.calls} calls, {f.projected_ms:.0f} ms")
        say()
        say("writes (AWS calls; sends are SES/SNS)")
        for w in write_figures(services):
            other = w.calls.total - w.calls.sends
            detail = ", ".join(f"{n} {op}" for op, n in sorted(w.calls.made.items()))
            say(f"  {w.what:<36} {other} calls + {w.calls.sends} sends  ({detail}); {w.ms:.0f} ms here")
            bound = INTAKE_BOUND if w.what.startswith("intake") else MOVE_BOUND
            if other > bound:
                problems.append(f"{w.what}: {other} calls over {bound}")
    if args.burst:
        with world(args.workers) as (services, _, _):
            b = burst_figure(services, args.burst, args.workers)
        say()
        say(f"burst: {b.due:,} tickets due at once, one sweep, SWEEP_WORKERS={b.workers}")
        say(f"  escalated            {b.escalated:,}")
        say(f"  calls                {b.calls.dynamodb:,} DynamoDB + {b.calls.sends:,} sends "
              f"({b.calls.dynamodb / b.due:.1f} + {b.calls.sends / b.due:.1f} a ticket)")
        say(f"  here (moto)          {b.seconds:.1f} s")
        say(f"  projected on AWS     {b.projected_seconds:.1f} s  ({b.per_ticket_ms:.0f} ms of waiting a ticket, "
              f"{b.workers} at once)")
        if b.escalated != b.due or b.projected_seconds > 60:
            problems.append(f"burst: {b.escalated} of {b.due} escalated, {b.projected_seconds:.0f} s projected")
    for problem in problems:
        say(f"OVER THE GOAL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
