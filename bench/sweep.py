"""One SLA sweep over a table of many tickets: how many DynamoDB items it reads, and how long it takes.

    .venv/bin/python -m bench.sweep [--tickets 100000] [--due 50] [--writer backend|boto3] [--plain-moto]

The table lives in moto, in this process. It is filled with tickets in every state — each one walked
through the real lifecycle (``Ticket.apply``), its next wake-up computed by the app's own
``SlaService.next_wake`` and its items built by the adapter (``DynamoTickets._ticket_item`` and
``_event_item``) — of which only ``--due`` have a wake-up in the past. Then the app's sweep runs once,
with the clock pinned, while a botocore hook on the app's DynamoDB client counts every item read.

The sweep must read about as many items as are due, not the table: the run fails (exit 1) if it
reads more than ``ITEMS_PER_DUE_TICKET`` items per due ticket, issues a Scan, or finds a different
number of due tickets than were written. bench/README.md explains the figures.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from moto import mock_aws
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from chalicelib import wiring
from chalicelib.adapters import aws, keys
from chalicelib.adapters.clock import SystemClock
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.provision import ensure_resources
from chalicelib.domain.events import Classification, Classified, Dispatched
from chalicelib.domain.ticket import (
    OPEN_STATUSES,
    Action,
    Channel,
    Kind,
    Priority,
    Product,
    Reporter,
    Status,
    Ticket,
    TicketEvent,
    format_ticket_number,
    open_ticket,
)
from chalicelib.services.sla import SlaService, SweepReport
from chalicelib.settings import get_settings
from local.moto_speedups import faster_moto
from tests.fakes import DEMO_ROSTER

# A Tuesday, 10:00 in Shanghai: a working day, so business-hours plans are running too.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)

# A due ticket costs its index entry, the ticket, its timeline (a handful of events) and its ladder
# records; 20 leaves room for long timelines. Reading the table would cost thousands per due ticket.
ITEMS_PER_DUE_TICKET = 20

# What a service desk's table looks like after a few months: most tickets finished.
STATUS_MIX: dict[Status, float] = {
    Status.CLOSED: 0.55,
    Status.CANCELLED: 0.05,
    Status.NEW: 0.04,
    Status.TRIAGED: 0.06,
    Status.DISPATCHED: 0.10,
    Status.ON_SITE: 0.12,
    Status.WAITING_ON_CUSTOMER: 0.04,
    Status.AWAITING_APPROVAL: 0.04,
}
PRIORITY_MIX = {Priority.CRITICAL: 0.15, Priority.URGENT: 0.35, Priority.GENERAL: 0.50}
PLAN_MIX = {"standard": 0.7, "premium": 0.15, "basic": 0.15}
PROVINCES = ("CN-JS", "CN-JS", "CN-JS", "CN-SH", "CN-ZJ", "CN-AH", "CN-SD", "CN-GD")
MODELS = ("KYN28-12", "XGN15-12", "GCS", "MNS", "SC11-1000/10")

# Tickets that are not due are cloned from at most this many fully built "profiles" (see ``clone``).
PROFILES = 1000


# -- tickets with a history ----------------------------------------------------------------------

_CLASSIFY = "classify"
# The moves that bring a new ticket to each status, in order (the lifecycle table allows them).
PATHS: dict[Status, tuple[str | Action, ...]] = {
    Status.NEW: (),
    Status.TRIAGED: (_CLASSIFY, Action.RECORD_CONTACT),
    Status.DISPATCHED: (_CLASSIFY, Action.RECORD_CONTACT, Action.DISPATCH),
    Status.ON_SITE: (_CLASSIFY, Action.RECORD_CONTACT, Action.DISPATCH, Action.CHECK_IN),
    Status.WAITING_ON_CUSTOMER: (_CLASSIFY, Action.RECORD_CONTACT, Action.DISPATCH, Action.CHECK_IN, Action.PAUSE),
    Status.AWAITING_APPROVAL: (
        _CLASSIFY, Action.RECORD_CONTACT, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE,
    ),
    Status.CLOSED: (
        _CLASSIFY, Action.RECORD_CONTACT, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE, Action.APPROVE,
    ),
    Status.CANCELLED: (_CLASSIFY, Action.CANCEL),
}


@dataclass(frozen=True)
class Story:
    ticket: Ticket
    events: list[TicketEvent]
    wake: datetime | None


def _pick(rng: random.Random, mix: dict[Any, float]) -> Any:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def walk(number: str, status: Status, created: datetime, span: timedelta, rng: random.Random) -> tuple[
    Ticket, list[TicketEvent]
]:
    """A ticket opened at ``created`` and moved to ``status``, its moves spread evenly over ``span``."""
    province = rng.choice(PROVINCES)
    ticket, first = open_ticket(
        number=number,
        reporter=Reporter(
            customer_name=f"客户{rng.randrange(5000):04d}有限公司",
            contact_person="王工",
            phone=f"+86138{rng.randrange(10**8):08d}",
            phone_is_mobile=True,
            province=province,
            city="苏州",
            address="工业园区星湖街 328 号",
        ),
        product=Product(model=rng.choice(MODELS), serial_number=f"SN-{rng.randrange(10**6):06d}"),
        description="开关柜合闸后跳闸，车间停产。",
        kind=Kind.FAULT,
        channel=rng.choice((Channel.WEB, Channel.WEB, Channel.PHONE)),
        at=created,
        actor="web",
        plan=_pick(rng, PLAN_MIX),
        in_province=province == "CN-JS",
    )
    events = [first]
    moves = PATHS[status]
    for i, move in enumerate(moves, start=1):
        at = created + span * i / (len(moves) + 1)
        if move == _CLASSIFY:
            priority = _pick(rng, PRIORITY_MIX)
            ticket, event = ticket.apply(
                Action.CLASSIFY, actor="supervisor", at=at, summary=f"classified priority={priority.value}",
                details=Classified.setting(Action.CLASSIFY, Classification(priority=priority), ticket),
            )
        elif move == Action.DISPATCH:
            ticket, event = ticket.apply(
                Action.DISPATCH, actor="supervisor", at=at, summary="dispatched tech-07",
                details=Dispatched(assignees=("tech-07",), previous=ticket.assignees),
            )
        else:
            assert isinstance(move, Action)
            ticket, event = ticket.apply(move, actor="staff", at=at, summary=move.value.replace("_", " "))
        events.append(event)
    return ticket, events


def story(sla: SlaService, number: str, status: Status, rng: random.Random, *, due: bool) -> Story:
    """A ticket in ``status`` whose next wake-up (as the app computes it) is past ``NOW`` iff ``due``."""
    for _ in range(50):
        if status not in OPEN_STATUSES:
            age = timedelta(days=rng.uniform(2, 120))
            span = min(age, timedelta(hours=rng.uniform(4, 240)))
        elif due:
            age = span = timedelta(hours=rng.uniform(1, 12))
        else:
            age = span = timedelta(minutes=rng.uniform(2, 40))
        for _ in range(6):
            ticket, events = walk(number, status, NOW - age, span, rng)
            wake = sla.next_wake(ticket, events, NOW)
            if due and wake is not None and wake <= NOW:
                return Story(ticket, events, wake)
            if not due and (wake is None or wake > NOW):
                return Story(ticket, events, wake)
            # Recently opened tickets are on time, old ones are late: move the story towards the goal.
            age = span = age * 2 if due else age / 2
    raise RuntimeError(f"could not build a {'due' if due else 'not-due'} {status.value} ticket")


def items_of(repo: DynamoTickets, s: Story) -> list[dict[str, Any]]:
    """The items the adapter writes for this ticket: itself, the event of ``create`` and one per move."""
    number = s.ticket.number
    return [
        repo._ticket_item(s.ticket, s.wake),
        repo._event_item(number, s.events[0], 1),
        # DeskService saves each move alone: the event carries the ticket's version after it, suffix 0.
        *(repo._event_item(number, e, version, 0) for version, e in enumerate(s.events[1:], start=2)),
    ]


def _swap(attribute: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    ((kind, value),) = attribute.items()
    if kind == "S":
        return {"S": value.replace(old, new)} if old in value else attribute
    if kind == "M":
        return {"M": {k: _swap(v, old, new) for k, v in value.items()}}
    if kind == "L":
        return {"L": [_swap(v, old, new) for v in value]}
    if kind == "SS":
        return {"SS": [v.replace(old, new) for v in value]}
    return attribute


def clone(items: Sequence[dict[str, Any]], old: str, new: str, due_shards: int) -> list[dict[str, Any]]:
    """The items of ``items``' ticket under another number: what the adapter would write for it.

    Building every one of 100,000 tickets through pydantic and the serializer takes minutes; a
    profile's items with the number swapped are the same items (the number is in the keys and in
    ``data``, and picks the ``due`` shard). The test checks clones against the adapter.
    """
    out = []
    for item in items:
        copy = {name: _swap(value, old, new) for name, value in item.items()}
        if "due_pk" in copy:
            copy["due_pk"] = {"S": keys.due_pk(keys.TICKET_DUE, new, due_shards)}
        out.append(copy)
    return out


# -- filling the table ---------------------------------------------------------------------------


def moto_writer(table_name: str, region: str) -> Callable[[list[dict[str, Any]]], None]:
    """Straight into moto's table (``Table.put_item``: moto's own validation, no HTTP round trip)."""
    table = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][region].get_table(table_name)

    def write(items: list[dict[str, Any]]) -> None:
        for item in items:
            table.put_item(item)

    return write


def boto3_writer(table_name: str) -> Callable[[list[dict[str, Any]]], None]:
    """``BatchWriteItem`` through the app's client, 25 items a call, as a loader on AWS would."""
    ddb = aws.client("dynamodb")

    def write(items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), 25):
            pending: dict[str, Any] = {table_name: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
            while pending:
                pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    return write


@dataclass
class Filled:
    by_status: Counter[str] = field(default_factory=Counter)
    items: int = 0
    open_due_later: int = 0
    open_never_due: int = 0
    due_numbers: list[str] = field(default_factory=list)


def fill(
    sla: SlaService, repo: DynamoTickets, write: Callable[[list[dict[str, Any]]], None], *, tickets: int, due: int,
    due_shards: int, seed: int,
) -> Filled:
    rng = random.Random(seed)
    # The due tickets draw from their own sequence: the same seed makes the same due tickets at any size.
    due_rng = random.Random(seed * 7919 + 1)
    filled = Filled()
    others = tickets - due
    # Every profile stands for at least 20 tickets, so small runs stay quick.
    count = min(PROFILES, others // 20)
    per_status = {s: max(1, math.ceil(count * share)) for s, share in STATUS_MIX.items()}
    profiles: dict[Status, list[tuple[str, list[dict[str, Any]], Story]]] = {}
    for status, count in per_status.items():
        profiles[status] = []
        for k in range(count):
            placeholder = f"PROFILE-{status.value}-{k:05d}-NUMBER"
            s = story(sla, placeholder, status, rng, due=False)
            profiles[status].append((placeholder, items_of(repo, s), s))

    batch: list[dict[str, Any]] = []
    for seq in range(1, tickets + 1):
        if seq <= others:
            status = _pick(rng, STATUS_MIX)
            placeholder, items, s = rng.choice(profiles[status])
            number = format_ticket_number(s.ticket.created_at.year, seq)
            new_items = clone(items, placeholder, number, due_shards)
            if status in OPEN_STATUSES:
                if s.wake is None:
                    filled.open_never_due += 1
                else:
                    filled.open_due_later += 1
        else:
            status = due_rng.choice((Status.NEW, Status.TRIAGED, Status.DISPATCHED))
            number = format_ticket_number(NOW.year, seq)
            # Each due ticket is built on its own, the whole way through the app's code.
            new_items = items_of(repo, story(sla, number, status, due_rng, due=True))
            filled.due_numbers.append(number)
        filled.by_status[status.value] += 1
        filled.items += len(new_items)
        batch.extend(new_items)
        if len(batch) >= 2500:
            write(batch)
            batch = []
            # moto's table lives in this process: millions of long-lived objects that Python's cycle
            # collector would otherwise walk again and again. On AWS the table is not in our heap.
            gc.freeze()
    write(batch)
    gc.freeze()
    return filled


# -- counting what the sweep reads ---------------------------------------------------------------


class ReadCounter:
    """Counts DynamoDB items read (what on-demand billing charges read units for) and calls made.

    ``ScannedCount`` is what a Query or Scan read before any filter; a GetItem reads its item if
    there is one; a batch or transactional get reads what it returns.
    """

    def __init__(self) -> None:
        self.items = 0
        self.calls: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}
        self._started = 0.0

    def before(self, **kwargs: Any) -> None:
        self._started = time.perf_counter()

    def after(self, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        operation = model.name
        self.seconds[operation] = self.seconds.get(operation, 0.0) + time.perf_counter() - self._started
        self.calls[operation] += 1
        if operation in ("Query", "Scan"):
            self.items += int(parsed.get("ScannedCount", 0))
        elif operation == "GetItem":
            self.items += 1 if parsed.get("Item") else 0
        elif operation == "BatchGetItem":
            self.items += sum(len(found) for found in parsed.get("Responses", {}).values())
        elif operation == "TransactGetItems":
            self.items += sum(1 for r in parsed.get("Responses", []) if r.get("Item"))

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb.*", self.before, unique_id="bench-before")
        client.meta.events.register("after-call.dynamodb.*", self.after, unique_id="bench-after")

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-call.dynamodb.*", unique_id="bench-before")
        client.meta.events.unregister("after-call.dynamodb.*", unique_id="bench-after")


# -- the benchmark -------------------------------------------------------------------------------


@dataclass
class Result:
    tickets: int
    due: int
    writer: str
    fast_moto: bool
    filled: Filled
    items_in_table: int
    fill_seconds: float
    sweep_seconds: float
    seconds_in_calls: dict[str, float]
    report: SweepReport
    items_read: int
    calls: dict[str, int]
    peak_rss_mb: float

    @property
    def expected_due(self) -> int:
        return min(self.due, 500)  # SlaService.sweep's default limit

    @property
    def bound(self) -> int:
        return ITEMS_PER_DUE_TICKET * max(self.expected_due, 1)

    @property
    def items_per_due(self) -> float:
        return self.items_read / max(self.report.tickets_read, 1)

    @property
    def problems(self) -> list[str]:
        found = []
        if self.calls.get("Scan"):
            found.append(f"the sweep issued {self.calls['Scan']} Scan(s)")
        if self.items_read > self.bound:
            found.append(f"the sweep read {self.items_read:,} items, more than {self.bound:,}")
        if self.report.tickets_read != self.expected_due:
            found.append(f"the sweep found {self.report.tickets_read} due tickets, not {self.expected_due}")
        return found


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _moto_items(table_name: str, region: str) -> int:
    # Counted inside moto, not through the API: the benchmark itself must not Scan either.
    table = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][region].get_table(table_name)
    return sum(len(bucket) for bucket in table.items.values())


@contextmanager
def app_on_moto(*, fast_moto: bool = True, environment: dict[str, str] | None = None) -> Iterator[Any]:
    """The app's own services over moto in this process, with the demo roster: (settings, services)."""
    wiring.use(None)
    wiring.reset()
    aws.reset()
    with ExitStack() as stack:
        # The app must read the system clock (pinned by the benchmark), not a local stack's clock file.
        stack.enter_context(mock.patch.dict(os.environ, environment or {}))
        for name in ("CLOCK_FILE", "LOCAL_MODE"):
            os.environ.pop(name, None)
        stack.enter_context(mock_aws())
        if fast_moto:
            stack.enter_context(faster_moto())
        settings = get_settings()
        ensure_resources(settings)
        services = wiring.services()
        services.config.put_roster(DEMO_ROSTER)
        yield settings, services


def run(tickets: int = 100_000, due: int = 50, *, writer: str = "moto", fast_moto: bool = True, seed: int = 1) -> Result:
    if not 0 <= due <= tickets:
        raise ValueError("--due must be between 0 and --tickets")
    with app_on_moto(fast_moto=fast_moto) as (settings, services):
        repo = DynamoTickets(settings.table_name, due_shards=settings.due_shards)
        region = aws.client("dynamodb").meta.region_name
        write = moto_writer(settings.table_name, region) if writer == "moto" else boto3_writer(settings.table_name)

        started = time.perf_counter()
        filled = fill(services.sla, repo, write, tickets=tickets, due=due, due_shards=settings.due_shards, seed=seed)
        fill_seconds = time.perf_counter() - started

        counter = ReadCounter()
        ddb = aws.client("dynamodb")
        counter.attach(ddb)
        try:
            with mock.patch.object(SystemClock, "now", return_value=NOW):
                started = time.perf_counter()
                report = services.sla.sweep()
                sweep_seconds = time.perf_counter() - started
        finally:
            counter.detach(ddb)
        result = Result(
            tickets=tickets, due=due, writer=writer, fast_moto=fast_moto, filled=filled,
            items_in_table=_moto_items(settings.table_name, region), fill_seconds=fill_seconds,
            sweep_seconds=sweep_seconds, seconds_in_calls=counter.seconds, report=report,
            items_read=counter.items, calls=dict(sorted(counter.calls.items())), peak_rss_mb=_peak_rss_mb(),
        )
    gc.unfreeze()
    wiring.reset()
    aws.reset()
    return result


def lines(r: Result) -> Iterator[str]:
    statuses = " · ".join(f"{name} {count:,}" for name, count in r.filled.by_status.most_common())
    rows = [
        ("tickets in the table", f"{r.tickets:,}", statuses),
        ("items in the table", f"{r.items_in_table:,}", "tickets, their events, the roster"),
        ("open, due later", f"{r.filled.open_due_later:,}", "in the 'due' index, wake-up after now"),
        ("open, nothing pending", f"{r.filled.open_never_due:,}", "not in the 'due' index (e.g. clock paused)"),
        ("due now", f"{r.due:,}", "in the 'due' index, wake-up before now"),
        ("fill", f"{r.fill_seconds:.1f} s", f"writer: {r.writer}; moto speed-ups {'on' if r.fast_moto else 'off'}"),
        ("sweep", f"{r.sweep_seconds:.2f} s", f"of which {sum(r.seconds_in_calls.values()):.2f} s in DynamoDB (moto) calls"),
        ("tickets_read", f"{r.report.tickets_read:,}", "SweepReport"),
        ("steps_taken", f"{r.report.steps_taken:,}", f"SweepReport (conflicts {r.report.conflicts})"),
        ("items read", f"{r.items_read:,}", f"bound {r.bound:,} = {ITEMS_PER_DUE_TICKET} x due"),
        ("items read per due ticket", f"{r.items_per_due:.1f}", ""),
        ("items read / items in table", f"{r.items_read / max(r.items_in_table, 1):.5%}", ""),
        ("DynamoDB calls", f"{sum(r.calls.values()):,}", " · ".join(
            f"{op} {n} ({r.seconds_in_calls[op]:.2f} s)" for op, n in r.calls.items()
        )),
        ("peak memory (RSS)", f"{r.peak_rss_mb:,.0f} MB", "whole process; moto's table dominates"),
    ]
    for name, value, note in rows:
        yield f"{name:<28} {value:>12}   {note}".rstrip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets in the table (default 100000)")
    parser.add_argument("--due", type=int, default=50, help="how many of them are due now (default 50)")
    parser.add_argument(
        "--writer", choices=("moto", "boto3"), default="moto",
        help="fill through moto's table directly (default, fast) or BatchWriteItem calls (slow)",
    )
    parser.add_argument("--plain-moto", action="store_true", help="without local/moto_speedups.py (small tables only)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = run(args.tickets, args.due, writer=args.writer, fast_moto=not args.plain_moto, seed=args.seed)
    print("\n".join(lines(result)))
    for problem in result.problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if not result.problems:
        print(f"OK: the sweep read {result.items_read:,} items for {result.report.tickets_read} due tickets "
              f"in a table of {result.items_in_table:,}")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
