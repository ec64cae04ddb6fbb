"""Builds the monthly report over a month of 100,000 tickets (in moto), part by part as on AWS, and
counts what each part reads.

The report is built in parts, one per day of the month (Shanghai): ``ReportService.start`` queues one
``ReportPartJob`` per day, a ``report_part`` Lambda builds each (``run_part``), and whoever finishes the
last part assembles and emails the report. Here the queue only collects the jobs, and the benchmark
runs them one after another (with one timeline reader: moto runs in this process, so threads would
only share its CPU), measuring each part as one Lambda invocation: wall time, CPU time, time in AWS
(moto) calls, items read, calls, tickets. The last part's run also assembles the report; the assembly
is measured on its own and left out of that part's figures. bench/README.md explains the figures.

Every part must read its day through the ``by_month`` index and each ticket's timeline by one Query —
never a Scan, nothing of other months. The run exits 1 if it Scans, reads more than
``ITEMS_PER_TICKET`` items per ticket of the month, counts a number of tickets other than written, if
the parts' tickets do not add up to the month or do not cover it day by day, or if the report is not
stored and emailed.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import boto3
from moto import mock_aws
from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID

from bench.sweep import (
    PROFILES,
    STATUS_MIX,
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
from chalicelib.adapters import aws, keys
from chalicelib.adapters.clock import SystemClock
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.provision import ensure_resources
from chalicelib.adapters.s3_reports import S3ReportArchive
from chalicelib.domain.reports import MonthlyReport, ReportMonth
from chalicelib.domain.ticket import Status, format_ticket_number
from chalicelib.i18n import LANGUAGES
from chalicelib.reporting import mail, tables
from chalicelib.services.ports import ReportBuild, ReportPartJob
from chalicelib.services.reports import ReportService, part_key, report_email_key, report_key, rows_key
from chalicelib.settings import get_settings
from local.moto_speedups import faster_moto

MONTH = ReportMonth.parse("2026-03")
NOW = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # the scheduled run: 2026-04-01 01:00 Shanghai
# A ticket of the month costs its index entry and its timeline (a closed one has 7 events).
ITEMS_PER_TICKET = 12
RECIPIENT = "gm@example.com"

# The projection for AWS (``PartRun.on_lambda``, ``_network``): what a call would cost there instead of
# moto's time. Assumptions, not measurements.
DDB_CALL_MS = 5.0  # one DynamoDB call (Query, GetItem, UpdateItem...), request to parsed response
IN_FLIGHT = 16  # REPORT_READ_WORKERS: timeline Queries a part has on the wire at once
S3_CALL_MS = 20.0  # one S3 PutObject/GetObject (a part: hundreds of KB to a few MB) or SES SendRawEmail
REPORT_PART_MEMORY_MB = 1769  # infra: report_part's memory, one whole vCPU (CPU comes with memory on Lambda)
REPORT_PART_TIMEOUT_S = 300  # infra: report_part's timeout


# -- counting AWS calls ------------------------------------------------------------------------


def _value_size(value: dict[str, Any]) -> int:
    """An attribute value's size by DynamoDB's rules (UTF-8 bytes; numbers ~1 byte per 2 digits + 1;
    maps and lists 3 bytes + 1 per element)."""
    (tag, inner), = value.items()
    if tag == "S":
        return len(inner.encode())
    if tag == "N":
        return _number_size(inner)
    if tag == "B":
        return len(inner)
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "SS":
        return sum(len(s.encode()) for s in inner)
    if tag == "NS":
        return sum(_number_size(n) for n in inner)
    if tag == "BS":
        return sum(len(b) for b in inner)
    if tag == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    if tag == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    raise ValueError(tag)


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0")
    return (max(len(digits), 1) + 1) // 2 + 1


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _read_units(size: int, consistent: bool) -> float:
    """On-demand/provisioned read units of one read returning ``size`` bytes: 4 KB each, rounded up
    (at least one); half for an eventually consistent read."""
    units = max(1, math.ceil(size / 4096))
    return units if consistent else units / 2


@dataclass
class Tally:
    """AWS calls made between two moments (``CallCounter.snapshot`` differences)."""

    calls: Counter[str] = field(default_factory=Counter)  # by operation: Query, GetItem, PutObject, ...
    seconds: Counter[str] = field(default_factory=Counter)  # before-call -> after-call, by operation
    moto_seconds: float = 0.0  # before-call -> before-parse: moto answering (and signing the request)
    moto_cpu: float = 0.0  # the same in this thread's CPU time (immune to other processes on the machine)
    items: int = 0  # DynamoDB items read (as ReadCounter in bench.sweep)
    read_units: float = 0.0  # what DynamoDB would charge for those reads
    index_queries: int = 0  # Queries on a secondary index (pages of the by_month index)
    index_seconds: float = 0.0  # their time (before-call -> after-call)
    timelines: int = 0  # Queries of a ticket's timeline (pk = TICKET#<n>, sk begins with EVENT#)
    overhead: float = 0.0  # the counter's own work (item sizes), CPU time: taken out of "outside moto"

    def __sub__(self, other: Tally) -> Tally:
        return Tally(
            calls=self.calls - other.calls, seconds=self.seconds - other.seconds,
            moto_seconds=self.moto_seconds - other.moto_seconds, moto_cpu=self.moto_cpu - other.moto_cpu,
            items=self.items - other.items,
            read_units=self.read_units - other.read_units, index_queries=self.index_queries - other.index_queries,
            index_seconds=self.index_seconds - other.index_seconds, timelines=self.timelines - other.timelines,
            overhead=self.overhead - other.overhead,
        )

    @property
    def in_calls(self) -> float:
        return sum(self.seconds.values())

    def calls_of(self, *operations: str) -> int:
        return sum(self.calls[op] for op in operations)


_DDB_READS = ("Query", "Scan", "GetItem", "BatchGetItem", "TransactGetItems")


class CallCounter:
    """botocore hooks on the app's DynamoDB, S3 and SES clients. Single-threaded use only (the
    report service runs with ``read_workers=1`` here): one call is in flight at a time."""

    def __init__(self) -> None:
        self.total = Tally()
        self._started = self._parsing = 0.0
        self._started_cpu = self._parsing_cpu = 0.0
        self._consistent = False
        self._index = False
        self._timeline = False

    def snapshot(self) -> Tally:
        t = self.total
        return dataclasses.replace(t, calls=Counter(t.calls), seconds=Counter(t.seconds))

    def _params(self, params: dict[str, Any], **kwargs: Any) -> None:
        self._consistent = bool(params.get("ConsistentRead"))
        self._index = "IndexName" in params
        self._timeline = params.get("ExpressionAttributeValues", {}).get(":prefix") == {"S": keys.EVENT_PREFIX}

    def _before(self, **kwargs: Any) -> None:
        self._started_cpu = self._parsing_cpu = time.thread_time()
        self._started = self._parsing = time.perf_counter()

    def _parse(self, **kwargs: Any) -> None:
        self._parsing = time.perf_counter()
        self._parsing_cpu = time.thread_time()

    def _after(self, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        ended = time.perf_counter()
        ended_cpu = time.thread_time()
        operation = model.name
        t = self.total
        t.calls[operation] += 1
        t.seconds[operation] += ended - self._started
        t.moto_seconds += self._parsing - self._started
        t.moto_cpu += self._parsing_cpu - self._started_cpu
        if model.service_model.service_name != "dynamodb" or operation not in _DDB_READS:
            return
        if operation in ("Query", "Scan"):
            t.items += int(parsed.get("ScannedCount", 0))
            t.timelines += self._timeline
            if self._index:
                t.index_queries += 1
                t.index_seconds += ended - self._started
            t.read_units += _read_units(sum(item_size(i) for i in parsed.get("Items", [])), self._consistent)
        elif operation == "GetItem":
            found = parsed.get("Item")
            t.items += 1 if found else 0
            t.read_units += _read_units(item_size(found) if found else 0, self._consistent)
        elif operation == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                t.items += len(items)
                t.read_units += sum(_read_units(item_size(i), self._consistent) for i in items)
        elif operation == "TransactGetItems":
            found = [r["Item"] for r in parsed.get("Responses", []) if r.get("Item")]
            t.items += len(found)
            t.read_units += sum(2 * _read_units(item_size(i), True) for i in found)
        t.overhead += time.thread_time() - ended_cpu

    def attach(self, services: Sequence[str]) -> None:
        for service in services:
            events = aws.client(service).meta.events
            if service == "dynamodb":
                events.register("before-parameter-build.dynamodb.*", self._params, unique_id="bench-params")
            events.register(f"before-call.{service}.*", self._before, unique_id="bench-before")
            events.register(f"before-parse.{service}.*", self._parse, unique_id="bench-parse")
            events.register(f"after-call.{service}.*", self._after, unique_id="bench-after")

    def detach(self, services: Sequence[str]) -> None:
        for service in services:
            events = aws.client(service).meta.events
            for event, uid in (("before-parameter-build", "bench-params"), ("before-call", "bench-before"),
                               ("before-parse", "bench-parse"), ("after-call", "bench-after")):
                events.unregister(f"{event}.{service}.*", unique_id=uid)


COUNTED = ("dynamodb", "s3", "ses")


# -- the fan-out -------------------------------------------------------------------------------


class CollectingQueue:
    """The ``ReportQueue`` of the benchmark: keeps the jobs ``start`` queues, to run them one by one."""

    def __init__(self) -> None:
        self.jobs: list[ReportPartJob] = []

    def send(self, jobs: Sequence[ReportPartJob]) -> None:
        self.jobs.extend(jobs)


def report_service(queue: CollectingQueue | None, *, read_workers: int = 1) -> ReportService:
    """Built as ``wiring._aws_reports`` builds it, with ``queue`` instead of SQS, ``read_workers``
    timeline readers and one recipient."""
    settings = get_settings()
    built = wiring.services()
    config = dataclasses.replace(wiring.report_config(settings), read_workers=read_workers, recipients=(RECIPIENT,))
    return ReportService(
        DynamoTickets(settings.table_name, due_shards=settings.due_shards), built.sla,
        S3ReportArchive(settings.bucket_name), built.notifications, built.clock, config, queue,
    )


@dataclass
class PartRun:
    """One part, as one ``report_part`` invocation would run it (the assembly taken out)."""

    index: int
    day: str  # the Shanghai date
    tickets: int
    wall: float
    cpu_time: float  # this thread's CPU time (moto runs in it too)
    calls: Tally
    stored_bytes: int

    @property
    def cpu(self) -> float:
        """CPU time outside moto: the app's own work plus botocore building requests and parsing
        responses (which a Lambda does too), without the counter's bookkeeping."""
        return self.cpu_time - self.calls.moto_cpu - self.calls.overhead

    @property
    def network(self) -> float:
        return _network(self.calls)

    @property
    def on_lambda(self) -> float:
        """Projected duration on AWS: the CPU time measured here (one core; report_part has one vCPU)
        plus the network time, not overlapped (an upper bound: the reader threads' waits overlap the
        main thread's work)."""
        return self.cpu + self.network


def _network(t: Tally) -> float:
    """Projected time on the wire on AWS: timeline Queries ``IN_FLIGHT`` at a time, every other call
    one after another."""
    slow = t.calls_of("PutObject", "GetObject", "SendRawEmail")
    other_ddb = sum(t.calls.values()) - slow - t.timelines
    return (t.timelines * DDB_CALL_MS / IN_FLIGHT + other_ddb * DDB_CALL_MS + slow * S3_CALL_MS) / 1000


@dataclass
class Assembly:
    wall: float
    cpu_time: float
    calls: Tally
    seconds: dict[str, float]  # wall clock in the rows' CSV and XLSX (every language), the email, its charts
    email_bytes: int
    attached: bool
    report_bytes: int  # report.json: the figures, without the rows
    row_files: dict[str, int]  # the rows' files, by language and format: bytes
    sent: int  # messages moto's SES took
    report: MonthlyReport | None  # what ``assemble`` returned: the month's report, rows included

    @property
    def cpu(self) -> float:
        return self.cpu_time - self.calls.moto_cpu - self.calls.overhead

    @property
    def on_lambda(self) -> float:
        return self.cpu + _network(self.calls)


@dataclass
class Result:
    tickets: int
    other_months: int
    items_in_table: int  # after the fill
    fill_seconds: float
    jobs: list[ReportPartJob]
    parts: list[PartRun]
    assembly: Assembly
    start_calls: Tally
    report: MonthlyReport | None  # the stored report.json
    build: ReportBuild | None  # the build record after the last part
    by_status: Counter[str]
    peak_rss_mb: float
    built_in_one_go: MonthlyReport | None = None  # ``ReportService.build`` of the same month, if asked
    built_with_threads: MonthlyReport | None = None  # the same with REPORT_READ_WORKERS=4

    @property
    def total(self) -> Tally:
        total = Tally()
        for t in [self.start_calls, *(p.calls for p in self.parts), self.assembly.calls]:
            total.calls += t.calls
            total.seconds += t.seconds
            total.moto_seconds += t.moto_seconds
            total.moto_cpu += t.moto_cpu
            total.items += t.items
            total.read_units += t.read_units
            total.index_queries += t.index_queries
            total.index_seconds += t.index_seconds
            total.timelines += t.timelines
            total.overhead += t.overhead
        return total

    @property
    def items_read(self) -> int:
        return self.total.items

    @property
    def calls(self) -> dict[str, int]:
        return dict(sorted(self.total.calls.items()))

    @property
    def bound(self) -> int:
        return ITEMS_PER_TICKET * max(self.tickets, 1)

    @property
    def largest(self) -> PartRun:
        return max(self.parts, key=lambda p: (p.tickets, p.wall))

    @property
    def median(self) -> PartRun:
        ordered = sorted(self.parts, key=lambda p: (p.tickets, p.wall))
        return ordered[(len(ordered) - 1) // 2]

    @property
    def problems(self) -> list[str]:
        found = []
        if self.calls.get("Scan"):
            found.append(f"the report issued {self.calls['Scan']} Scan(s)")
        if self.items_read > self.bound:
            found.append(f"the report read {self.items_read:,} items, more than {self.bound:,}")
        if self.report is None:
            found.append("no report.json was stored")
        elif self.report.tickets != self.tickets:
            found.append(f"the report counted {self.report.tickets:,} tickets, not {self.tickets:,}")
        days = MONTH.days()
        if [(j.index, j.start, j.end) for j in self.jobs] != [(i, s, e) for i, (s, e) in enumerate(days)]:
            found.append(f"the {len(self.jobs)} jobs queued are not the month's {len(days)} days in order")
        if sum(p.tickets for p in self.parts) != self.tickets:
            found.append(f"the parts hold {sum(p.tickets for p in self.parts):,} tickets, not {self.tickets:,}")
        if self.build is None or self.build.assembled_at is None or len(self.build.done) != len(days):
            found.append("the build record does not show every part done and the report assembled")
        if self.assembly.sent != 1:
            found.append(f"the report was emailed {self.assembly.sent} time(s), not once")
        return found


# -- filling the table -------------------------------------------------------------------------


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


# -- the benchmark -----------------------------------------------------------------------------


def _run_parts(service: ReportService, queue: CollectingQueue, counter: CallCounter, s3: Any, bucket: str) -> tuple[
    list[PartRun], Assembly
]:
    assembled: dict[str, Any] = {}
    emails: list[EmailMessage] = []
    seconds: dict[str, float] = {}
    original_assemble = service.assemble

    def timed_assemble(build: ReportBuild) -> MonthlyReport:
        before, started, started_cpu = counter.snapshot(), time.perf_counter(), time.thread_time()
        try:
            assembled["report"] = original_assemble(build)
            return assembled["report"]  # type: ignore[no-any-return]
        finally:
            assembled["wall"] = time.perf_counter() - started
            assembled["cpu"] = time.thread_time() - started_cpu
            assembled["calls"] = counter.snapshot() - before

    def timed(name: str, original: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                made = original(*args, **kwargs)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
            if name == "email":
                emails.append(made)
            return made

        return run

    parts = []
    zone = ZoneInfo(get_settings().timezone)
    with (
        mock.patch.object(service, "assemble", timed_assemble),
        mock.patch.object(tables, "to_csv", timed("rows CSV", tables.to_csv)),
        mock.patch.object(tables, "to_xlsx", timed("rows XLSX", tables.to_xlsx)),
        mock.patch.object(mail, "build_email", timed("email", mail.build_email)),
        mock.patch.object(mail, "chart_images", timed("charts", mail.chart_images)),
    ):
        for job in queue.jobs:
            assembled.pop("wall", None)
            before, started, started_cpu = counter.snapshot(), time.perf_counter(), time.thread_time()
            service.run_part(job)
            wall, cpu = time.perf_counter() - started, time.thread_time() - started_cpu
            calls = counter.snapshot() - before
            if "wall" in assembled:  # this part completed the build: its run included the assembly
                wall, cpu = wall - assembled["wall"], cpu - assembled["cpu"]
                calls = calls - assembled["calls"]
            body = s3.get_object(Bucket=bucket, Key=part_key(job.month, job.build_id, job.index))["Body"].read()
            parts.append(PartRun(index=job.index, day=job.start.astimezone(zone).date().isoformat(),
                                 tickets=len(json.loads(body)["rows"]), wall=wall, cpu_time=cpu, calls=calls,
                                 stored_bytes=len(body)))
    report_bytes = _size(s3, bucket, report_key(MONTH.label))
    email = emails[-1] if emails else None
    region = aws.client("ses").meta.region_name
    sent = len(get_backend("ses")[DEFAULT_ACCOUNT_ID][region].sent_messages)
    assembly = Assembly(
        wall=assembled.get("wall", 0.0), cpu_time=assembled.get("cpu", 0.0), calls=assembled.get("calls", Tally()),
        seconds=seconds, email_bytes=_size(s3, bucket, report_email_key(MONTH.label)),
        attached=email is not None and any(True for _ in email.iter_attachments()),
        report_bytes=report_bytes, sent=sent, report=assembled.get("report"),
        row_files={f"{lang} {ext}": _size(s3, bucket, rows_key(MONTH.label, lang, ext))
                   for lang in LANGUAGES for ext in ("csv", "xlsx")},
    )
    return parts, assembly


def _size(s3: Any, bucket: str, key: str) -> int:
    try:
        return int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
    except s3.exceptions.ClientError:
        return 0


def run(tickets: int = 100_000, other_months: int = 2_000, *, fast_moto: bool = True, seed: int = 1,
        compare: bool = False) -> Result:
    """``compare``: also build the month with ``ReportService.build`` (in one go, one reader thread, and
    again with four), to check the assembled report against (small runs only)."""
    wiring.use(None)
    wiring.use_reports(None)
    wiring.reset()
    aws.reset()
    with ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ))
        for name in ("CLOCK_FILE", "LOCAL_MODE", "REPORT_QUEUE_URL"):
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
        items_in_table = _moto_items(settings.table_name, region)
        # The benchmark's own look-ups go through a client the counter does not watch.
        s3 = boto3.client("s3", region_name=region)

        queue = CollectingQueue()
        service = report_service(queue)
        stack.enter_context(mock.patch.object(SystemClock, "now", return_value=NOW))
        counter = CallCounter()
        counter.attach(COUNTED)
        try:
            before = counter.snapshot()
            started_build = service.start(MONTH, send=True)
            start_calls = counter.snapshot() - before
            parts, assembly = _run_parts(service, queue, counter, s3, settings.bucket_name)
        finally:
            counter.detach(COUNTED)
        report = service.stored(MONTH)
        build = repo.report_build(MONTH.label, started_build.started_at, started_build.build_id)
        result = Result(
            tickets=tickets, other_months=other_months, items_in_table=items_in_table,
            fill_seconds=fill_seconds, jobs=list(queue.jobs), parts=parts, assembly=assembly, start_calls=start_calls,
            report=report, build=build, by_status=by_status, peak_rss_mb=_peak_rss_mb(),
        )
        if compare:
            result.built_in_one_go = service.build(MONTH)
            result.built_with_threads = report_service(None, read_workers=4).build(MONTH)
    gc.unfreeze()
    wiring.reset()
    aws.reset()
    return result


# -- the output --------------------------------------------------------------------------------


def _ops(t: Tally, seconds: bool = False) -> str:
    return " · ".join(f"{op} {n:,}" + (f" ({t.seconds[op]:.1f} s)" if seconds else "")
                      for op, n in sorted(t.calls.items()))


def _part_line(p: PartRun) -> str:
    c = p.calls
    return (f"{p.day}: {p.tickets:,} tickets, {c.items:,} items read; CPU {p.cpu_time:.1f} s = {c.moto_cpu:.1f} s "
            f"moto answering + {p.cpu:.1f} s outside moto; {c.index_queries} index pages ({c.index_seconds:.1f} s) · "
            f"{_ops(c, seconds=True)}")


def lines(r: Result) -> Iterator[str]:
    total = r.total
    largest, median = r.largest, r.median
    a = r.assembly
    parts_wall = sum(p.wall for p in r.parts)
    stored_parts = sum(p.stored_bytes for p in r.parts)
    counts = sorted(p.tickets for p in r.parts)
    rows = [
        ("tickets in the month", f"{r.tickets:,}", " · ".join(f"{k} {v:,}" for k, v in r.by_status.most_common())),
        ("tickets in other months", f"{r.other_months:,}", "February and April, some hours from the edges"),
        ("items in the table", f"{r.items_in_table:,}", "tickets and their events"),
        ("fill", f"{r.fill_seconds:.1f} s", "moto's table directly (see bench.sweep)"),
        ("start", f"{len(r.jobs)} jobs", f"queued, one per Shanghai day; {_ops(r.start_calls)}"),
        ("parts, one after another", f"{parts_wall:,.1f} s",
         f"wall clock; CPU {sum(p.cpu_time for p in r.parts):.1f} s = {sum(p.calls.moto_cpu for p in r.parts):.1f} s "
         f"moto answering + {sum(p.cpu for p in r.parts):.1f} s outside moto (app, botocore) + "
         f"{sum(p.calls.overhead for p in r.parts):.1f} s counting"),
        ("tickets per part", f"{counts[len(counts) // 2]:,}",
         f"median; smallest {counts[0]:,}, largest {counts[-1]:,}; all parts {sum(counts):,} "
         f"({'= the month' if sum(counts) == r.tickets else 'NOT the month'})"),
        ("largest part", f"{largest.wall:.1f} s", "wall clock; " + _part_line(largest)),
        ("median part", f"{median.wall:.1f} s", "wall clock; " + _part_line(median)),
        ("stored parts", f"{stored_parts / 1e6:.1f} MB",
         f"{len(r.parts)} part-NN.json, largest {max(p.stored_bytes for p in r.parts) / 1e6:.2f} MB"),
        ("assembly", f"{a.wall:.1f} s",
         f"wall clock, in the last part's run, not in its figures; CPU {a.cpu_time:.1f} s, of which "
         f"{a.calls.moto_cpu:.1f} s moto answering; {_ops(a.calls, seconds=True)}"),
        ("  rows as CSV and XLSX", f"{a.seconds.get('rows CSV', 0) + a.seconds.get('rows XLSX', 0):.1f} s",
         f"CSV {a.seconds.get('rows CSV', 0):.1f} s · XLSX {a.seconds.get('rows XLSX', 0):.1f} s, in "
         f"{len(LANGUAGES)} languages; " + " · ".join(f"{k} {v / 1e6:.1f} MB" for k, v in a.row_files.items())),
        ("  the email", f"{a.seconds.get('email', 0):.1f} s",
         f"charts {a.seconds.get('charts', 0):.1f} s; {a.email_bytes / 1e6:.1f} MB, rows "
         f"{'attached' if a.attached else 'linked (too large to attach)'}; sent {a.sent} (moto SES)"),
        ("report.json", f"{a.report_bytes / 1e6:.2f} MB", "the figures without the rows"),
        ("tickets counted", f"{r.report.tickets if r.report else 0:,}", "MonthlyReport.tickets of report.json"),
        ("items read", f"{r.items_read:,}", f"bound {r.bound:,} = {ITEMS_PER_TICKET} x tickets of the month"),
        ("items read per ticket", f"{r.items_read / max(r.tickets, 1):.2f}",
         f"{total.index_queries:,} index pages, {total.timelines:,} timeline Queries, "
         f"{total.calls['Query'] - total.index_queries - total.timelines:,} other Queries, {total.calls['Scan']} Scans"),
        ("AWS calls", f"{sum(total.calls.values()):,}", _ops(total, seconds=True)),
        ("peak memory (RSS)", f"{r.peak_rss_mb:,.0f} MB",
         "whole process: moto's table, and every copy of an item moto made for a response (it keeps them)"),
    ]
    for name, value, note in rows:
        yield f"{name:<28} {value:>12}   {note}".rstrip()
    yield ""
    yield (f"Projection for AWS, one report_part invocation ({REPORT_PART_MEMORY_MB:,} MB = one vCPU, timeout "
           f"{REPORT_PART_TIMEOUT_S} s). Assumed: {DDB_CALL_MS:g} ms per DynamoDB call, {IN_FLIGHT} timeline Queries in "
           f"flight (REPORT_READ_WORKERS), every other call one at a time, {S3_CALL_MS:g} ms per S3 or SES call; CPU = "
           f"the CPU time outside moto measured here (one core of this machine); network and CPU added, not overlapped.")
    for name, p in (("largest", largest), ("median", median)):
        yield (f"  {name + ' part':<16} {p.tickets:>7,} tickets  {p.calls.read_units:>7,.0f} read units  "
               f"network {p.network:5.1f} s + CPU {p.cpu:5.1f} s = {p.on_lambda:5.1f} s "
               f"({p.on_lambda / REPORT_PART_TIMEOUT_S:.0%} of the timeout)")
    worst = largest.on_lambda + a.on_lambda
    yield (f"  {'assembly':<16} {'':>7}          {a.calls.read_units:>7,.0f} read units  "
           f"network {_network(a.calls):5.1f} s + CPU {a.cpu:5.1f} s = {a.on_lambda:5.1f} s; the largest part "
           f"finishing last: {worst:.1f} s ({worst / REPORT_PART_TIMEOUT_S:.0%} of the timeout)")
    yield (f"  {'month':<16} {r.tickets:>7,} tickets  {total.read_units:>7,.0f} read units  "
           f"({total.read_units / max(r.tickets, 1):.2f} per ticket)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets in the month (default 100000)")
    parser.add_argument("--other-months", type=int, default=2_000, help="tickets in the months around it")
    parser.add_argument("--plain-moto", action="store_true", help="without local/moto_speedups.py (small tables only)")
    parser.add_argument("--parts", action="store_true", help="print every part, not only the largest and median")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = run(args.tickets, args.other_months, fast_moto=not args.plain_moto, seed=args.seed)
    print("\n".join(lines(result)))
    if args.parts:
        for p in result.parts:
            print(f"  part {p.index:02d} {_part_line(p)}")
    for problem in result.problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if not result.problems:
        print(f"OK: {len(result.parts)} parts read {result.items_read:,} items for {result.tickets:,} tickets "
              f"in a table of {result.items_in_table:,}, never a Scan")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
