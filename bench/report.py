"""Builds the monthly report over a month of 100,000 tickets (in moto) and counts what it reads.

The report must read the month's tickets through the ``by_month`` index and each ticket's timeline by
one Query — never a Scan, and nothing of other months. The run exits 1 if it Scans, reads more than
``ITEMS_PER_TICKET`` items per ticket of the month, or counts a number of tickets other than written.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from unittest import mock

from moto import mock_aws

from bench.moto_speedups import faster_moto
from bench.sweep import (
    PROFILES,
    STATUS_MIX,
    ReadCounter,
    Story,
    _moto_items,
    _peak_rss_mb,
    _pick,
    clone,
    items_of,
    moto_writer,
    walk,
)
from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.clock import SystemClock
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.provision import ensure_resources
from chalicelib.domain.reports import MonthlyReport, ReportMonth
from chalicelib.domain.ticket import Status, format_ticket_number
from chalicelib.reporting import mail
from chalicelib.settings import get_settings

MONTH = ReportMonth.parse("2026-03")
NOW = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # the scheduled run: 2026-04-01 01:00 Shanghai
# A ticket of the month costs its index entry and its timeline (a closed one has 7 events).
ITEMS_PER_TICKET = 12


@dataclass
class Result:
    tickets: int
    other_months: int
    items_in_table: int
    fill_seconds: float
    build_seconds: float
    email_seconds: float
    email_bytes: int
    attached: bool
    seconds_in_calls: dict[str, float]
    items_read: int
    calls: dict[str, int]
    report: MonthlyReport
    by_status: Counter[str]
    peak_rss_mb: float

    @property
    def bound(self) -> int:
        return ITEMS_PER_TICKET * max(self.tickets, 1)

    @property
    def problems(self) -> list[str]:
        found = []
        if self.calls.get("Scan"):
            found.append(f"the report issued {self.calls['Scan']} Scan(s)")
        if self.items_read > self.bound:
            found.append(f"the report read {self.items_read:,} items, more than {self.bound:,}")
        if self.report.tickets != self.tickets:
            found.append(f"the report counted {self.report.tickets:,} tickets, not {self.tickets:,}")
        return found


def _created(rng: random.Random, start: datetime, end: datetime, span: timedelta) -> datetime:
    latest = max(start, end - span - timedelta(minutes=1))
    return start + (latest - start) * rng.random()


def fill(repo: DynamoTickets, write, *, tickets: int, other_months: int, due_shards: int, seed: int) -> Counter[str]:
    """``tickets`` created in March (Shanghai), ``other_months`` in February and April around it."""
    rng = random.Random(seed)
    start, end = MONTH.start(), MONTH.end()
    count = max(1, min(PROFILES, tickets // 20))
    per_status = {s: max(1, math.ceil(count * share)) for s, share in STATUS_MIX.items()}
    profiles: dict[Status, list[tuple[str, list, Story]]] = {}
    for status, n in per_status.items():
        profiles[status] = []
        for k in range(n):
            placeholder = f"PROFILE-{status.value}-{k:05d}-NUMBER"
            span = timedelta(hours=rng.uniform(2, 200))
            ticket, events = walk(placeholder, status, _created(rng, start, end, span), span, rng)
            s = Story(ticket, events, None)
            profiles[status].append((placeholder, items_of(repo, s), s))
    by_status: Counter[str] = Counter()
    batch: list[dict] = []
    for seq in range(1, tickets + other_months + 1):
        number = format_ticket_number(2026, seq)
        if seq <= tickets:
            status = _pick(rng, STATUS_MIX)
            placeholder, items, _ = rng.choice(profiles[status])
            by_status[status.value] += 1
            batch.extend(clone(items, placeholder, number, due_shards))
        else:
            # Either side of the month, some within hours of its edges (the index partitions overlap).
            before = seq % 2 == 0
            edge = start if before else end
            at = edge - timedelta(hours=rng.uniform(0.01, 300)) if before else edge + timedelta(hours=rng.uniform(0, 300))
            ticket, events = walk(number, Status.NEW, at, timedelta(minutes=1), rng)
            batch.extend(items_of(repo, Story(ticket, events, None)))
        if len(batch) >= 2500:
            write(batch)
            batch = []
            gc.freeze()
    write(batch)
    gc.freeze()
    return by_status


def run(tickets: int = 100_000, other_months: int = 2_000, *, fast_moto: bool = True, seed: int = 1) -> Result:
    wiring.use(None)
    wiring.use_reports(None)
    wiring.reset()
    aws.reset()
    with ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ))
        for name in ("CLOCK_FILE", "LOCAL_MODE"):
            os.environ.pop(name, None)
        stack.enter_context(mock_aws())
        if fast_moto:
            stack.enter_context(faster_moto())
        settings = get_settings()
        ensure_resources(settings)
        repo = DynamoTickets(settings.table_name, due_shards=settings.due_shards)
        region = aws.client("dynamodb").meta.region_name
        started = time.perf_counter()
        by_status = fill(repo, moto_writer(settings.table_name, region), tickets=tickets, other_months=other_months,
                         due_shards=settings.due_shards, seed=seed)
        fill_seconds = time.perf_counter() - started

        service = wiring.reports()
        counter = ReadCounter()
        ddb = aws.client("dynamodb")
        counter.attach(ddb)
        try:
            with mock.patch.object(SystemClock, "now", return_value=NOW):
                started = time.perf_counter()
                report = service.build(MONTH)
                build_seconds = time.perf_counter() - started
        finally:
            counter.detach(ddb)
        started = time.perf_counter()
        email = mail.build_email(report, "zh-CN", sender=settings.sender_email, recipients=["gm@example.com"],
                                 report_link=service.page_link(MONTH))
        email_bytes = len(email.as_bytes())
        email_seconds = time.perf_counter() - started
        result = Result(
            tickets=tickets, other_months=other_months, items_in_table=_moto_items(settings.table_name, region),
            fill_seconds=fill_seconds, build_seconds=build_seconds, email_seconds=email_seconds,
            email_bytes=email_bytes, attached=any(True for _ in email.iter_attachments()),
            seconds_in_calls=counter.seconds, items_read=counter.items, calls=dict(sorted(counter.calls.items())),
            report=report, by_status=by_status, peak_rss_mb=_peak_rss_mb(),
        )
    gc.unfreeze()
    wiring.reset()
    aws.reset()
    return result


def lines(r: Result) -> Iterator[str]:
    rows = [
        ("tickets in the month", f"{r.tickets:,}", " · ".join(f"{k} {v:,}" for k, v in r.by_status.most_common())),
        ("tickets in other months", f"{r.other_months:,}", "February and April, some hours from the edges"),
        ("items in the table", f"{r.items_in_table:,}", "tickets and their events"),
        ("fill", f"{r.fill_seconds:.1f} s", "moto's table directly (see bench.sweep)"),
        ("build report", f"{r.build_seconds:.1f} s",
         f"of which {sum(r.seconds_in_calls.values()):.1f} s in DynamoDB (moto) calls"),
        ("email (charts, CSV, XLSX)", f"{r.email_seconds:.1f} s",
         f"{r.email_bytes / 1e6:.1f} MB, rows {'attached' if r.attached else 'linked (too large to attach)'}"),
        ("tickets counted", f"{r.report.tickets:,}", "MonthlyReport.tickets"),
        ("items read", f"{r.items_read:,}", f"bound {r.bound:,} = {ITEMS_PER_TICKET} x tickets of the month"),
        ("items read per ticket", f"{r.items_read / max(r.tickets, 1):.2f}", ""),
        ("DynamoDB calls", f"{sum(r.calls.values()):,}",
         " · ".join(f"{op} {n:,} ({r.seconds_in_calls[op]:.1f} s)" for op, n in r.calls.items())),
        ("peak memory (RSS)", f"{r.peak_rss_mb:,.0f} MB", "whole process; moto's table dominates"),
    ]
    for name, value, note in rows:
        yield f"{name:<28} {value:>12}   {note}".rstrip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets in the month (default 100000)")
    parser.add_argument("--other-months", type=int, default=2_000, help="tickets in the months around it")
    parser.add_argument("--plain-moto", action="store_true", help="without bench/moto_speedups.py (small tables only)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = run(args.tickets, args.other_months, fast_moto=not args.plain_moto, seed=args.seed)
    print("\n".join(lines(result)))
    for problem in result.problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if not result.problems:
        print(f"OK: the report read {result.items_read:,} items for {result.tickets:,} tickets "
              f"in a table of {result.items_in_table:,}")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
