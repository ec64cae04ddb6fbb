"""Close to the floor: AWS calls and time of the supervisor's queue, of an intake and a staff move, of a
sweep through a burst of due tickets, how long a breach waits for its message, the app's import (cold
start) and the deployment package, with what they project to on AWS; the last table is one row per goal.

    .venv/bin/python -m bench.floor                    # queue at 1/100/1,000/10,000 open; writes; burst of 1,000
    .venv/bin/python -m bench.floor --open 1 100 --burst 50 --spread 20     # a quick run

Everything runs against moto in this process (importing ``bench`` swaps in fake credentials). Calls are
counted with a botocore hook on every client the app makes (``before-call``), time in them with
``after-call``. "Projected on AWS" replaces the time spent in moto by 8 ms per DynamoDB call (what a
512 MB Lambda sees in one region, as the issue measured) and 80 ms per provider send (SES, SNS); it is a
projection, not a measurement on AWS. Breach → message runs ``bench.breach`` (a simulated clock with the
same costs). The import is timed by ``bench.cold_start`` (the package unpacked as on Lambda); the package is
the newest one the infra tests synthesized (``.cache/cdk-synth``), if any.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import statistics
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from botocore.client import BaseClient

from bench import cold_start
from bench.sweep import NOW, Story, app_on_moto, clone, moto_writer, walk
from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.clock import SystemClock
from chalicelib.adapters.dynamodb_archive import DynamoArchive
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.queue import QueueFilter
from chalicelib.domain.ticket import OPEN_STATUSES, Priority, format_ticket_number
from chalicelib.services.intake import PublicOrigin
from tests.fakes import valid_report

DYNAMODB_MS = 8.0  # per call on AWS, as measured for the issue
SEND_MS = 80.0  # per SES/SNS send on AWS (an assumption: the providers answer in tens of milliseconds)
SENDS = ("ses", "sns")
PAGE_BOUND_CALLS, PAGE_BOUND_MS = 5, 300
INTAKE_BOUND, MOVE_BOUND = 4, 5
BURST_BOUND_SECONDS = BREACH_BOUND_SECONDS = 60
IMPORT_BOUND_MS = 400
PACKAGE_BOUND_BYTES = 6_000_000  # the goal says 6 MB: a megabyte of a million bytes, not 6 MiB
PROJECT = Path(__file__).resolve().parents[1]


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
        ("staff move: contact recorded", lambda: services.desk.record_contact(number, actor=SystemActor("sup"))),
        ("staff move: classified C", lambda: services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.GENERAL)),
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


@contextmanager
def archive_read_in_two() -> Iterator[None]:
    """For reports that only set a scene: moto answers the intake's one PartiQL select by reading every item
    of every table (AWS reads the two partitions it names), which thousands of tickets make minutes long."""

    def two_reads(archive: DynamoArchive, serial: str | None, e164: str) -> tuple[Any, list[str]]:
        return archive.product(serial) if serial else None, archive.customer_ids_by_phone(e164)

    with mock.patch.object(DynamoArchive, "for_report", two_reads):
        yield


def burst_figure(services: Any, due: int, workers: int) -> BurstFigure:
    numbers = []
    request = ServiceRequestInput.model_validate(valid_report())
    with mock.patch.object(SystemClock, "now", return_value=NOW - timedelta(hours=3)), archive_read_in_two():
        for _ in range(due):
            numbers.append(services.intake.submit(request, language="zh-CN").number)
    with mock.patch.object(SystemClock, "now", return_value=NOW), counting() as calls:
        started = time.perf_counter()
        report = services.sla.sweep()
        seconds = time.perf_counter() - started
    return BurstFigure(due, workers, len({s.split()[0] for s in report.steps}), calls, seconds)


# -- cold start and package ------------------------------------------------------------------------


def package() -> tuple[Path, int, int] | None:
    """The newest synthesized deployment package: (path, bytes, files under ``__pycache__``)."""
    found = cold_start.newest_synth()
    if found is None:
        return None
    caches = sum("__pycache__" in name for name in zipfile.ZipFile(found).namelist())
    return found, found.stat().st_size, caches


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
    parser.add_argument("--spread", type=int, default=200, help="breach → message: steps falling due over 10 min")
    args = parser.parse_args(argv)
    problems = []
    goals: list[tuple[str, str, str, bool]] = []  # what, today, goal, met

    with world(args.workers) as (services, repo, write):
        say("supervisor's queue, first page of 50 (the page's service call)")
        say(f"{'open':>8} {'rows':>5} {'calls':>6} {'ms here':>9} {'projected':>10}")
        queue = queue_figures(services, repo, write, args.open)
        for f in queue:
            say(f"{f.open_tickets:>8,} {f.rows:>5} {f.calls:>6} {f.ms:>9.1f} {f.projected_ms:>8.1f} ms")
            if f.calls > PAGE_BOUND_CALLS or f.projected_ms > PAGE_BOUND_MS:
                problems.append(f"queue at {f.open_tickets}: {f.calls} calls, {f.projected_ms:.0f} ms")
        goals.append((
            "supervisor's queue, page of 50, at " + " / ".join(f"{f.open_tickets:,}" for f in queue) + " open",
            " / ".join(f"{f.calls}" for f in queue) + " calls; " + " / ".join(f"{f.projected_ms:.0f}" for f in queue)
            + " ms projected",
            f"≤ {PAGE_BOUND_CALLS} calls, ≤ {PAGE_BOUND_MS} ms at 10,000",
            all(f.calls <= PAGE_BOUND_CALLS and f.projected_ms <= PAGE_BOUND_MS for f in queue)
            and max(f.open_tickets for f in queue) >= 10_000,
        ))
    # The writes in a table of their own: what they cost does not depend on the table's size on AWS, while
    # moto reads every item for the archive's PartiQL select.
    with world(args.workers) as (services, _, _):
        say()
        say("writes (AWS calls; sends are SES/SNS)")
        for w in write_figures(services):
            other = w.calls.total - w.calls.sends
            detail = ", ".join(f"{n} {op}" for op, n in sorted(w.calls.made.items()))
            say(f"  {w.what:<36} {other} calls + {w.calls.sends} sends  ({detail}); {w.ms:.0f} ms here")
            bound = INTAKE_BOUND if w.what.startswith("intake") else MOVE_BOUND
            if other > bound:
                problems.append(f"{w.what}: {other} calls over {bound}")
            goals.append((f"AWS calls: {w.what}", f"{other} + {w.calls.sends} sends", f"≤ {bound} plus sends",
                          other <= bound))
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
        if b.escalated != b.due or b.projected_seconds > BURST_BOUND_SECONDS:
            problems.append(f"burst: {b.escalated} of {b.due} escalated, {b.projected_seconds:.0f} s projected")
        goals.append((f"sweep, burst of {b.due:,} due tickets", f"{b.escalated:,} escalated in "
                      f"{b.projected_seconds:.1f} s projected ({b.workers} workers)",
                      f"all within {BURST_BOUND_SECONDS} s", b.escalated == b.due and b.projected_seconds <= 60))
    if args.spread or args.burst:
        from bench.breach import figures, print_table

        say()
        latencies = figures(args.spread, args.burst, args.workers)
        print_table(latencies)
        ahead = [r for r in latencies if r.lookahead]
        worst = max((r.percentile(0.99) for r in ahead), default=float("nan"))
        met = all(r.told == r.tickets and r.percentile(0.99) <= BREACH_BOUND_SECONDS for r in ahead)
        if not met:
            problems.append(f"breach → message: p99 {worst:.1f} s")
        goals.append(("breach → message (look-ahead 60 s)", "p99 " + " / ".join(
            f"{r.percentile(0.99):.1f} s ({r.tickets:,} {'spread' if r.scenario == 'spread' else 'at once'})"
            for r in ahead), f"p99 ≤ {BREACH_BOUND_SECONDS} s, also in a burst of 1,000", met))
    say()
    cold = cold_start.measure()
    for line in cold_start.lines(cold):
        say(line)
    if cold.goal_ms is not None:
        goals.append(
            (
                "`import app` (cold start: CPU time as on Lambda, with the bytecode layer)",
                f"{cold.goal_ms:.0f} ms ({cold.without_bytecode_ms:.0f} ms compiled from source)",
                f"≤ {IMPORT_BOUND_MS} ms",
                cold.goal_ms <= IMPORT_BOUND_MS,
            )
        )
    built = package()
    if built is None:
        say("package: none synthesized yet (the infra tests build it)")
    else:
        path, size, caches = built
        say(f"package: {size:,} bytes ({size / 2**20:.2f} MiB), {caches} cached files ({path.parent.name})")
        goals.append(("deployment package", f"{size / 2**20:.2f} MiB, {caches} cached files",
                      "≤ 6 MB, no caches", size <= PACKAGE_BOUND_BYTES and caches == 0))
    say()
    say("| what | today | goal | met |")
    say("|---|---|---|---|")
    for what, today, goal, met in goals:
        say(f"| {what} | {today} | {goal} | {'yes' if met else 'NO'} |")
    for problem in problems:
        say(f"OVER THE GOAL: {problem}")
    return 1 if problems or not all(met for *_, met in goals) else 0


if __name__ == "__main__":
    raise SystemExit(main())
