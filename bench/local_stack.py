"""The local stack (``make run``) holding up to 10,000 tickets: form posts, the stand-in's memory, restart.

    .venv/bin/python -m bench.local_stack [--tickets 10000] [--sizes 0,1000,5000,10000] [--posts 100]

Tickets are filled through the app's own services (``submit_report``: validation, idempotency, the
intake's transaction and its notifications, sent by moto's SES and SNS) in this process, against
moto with the stand-in's speed-ups, without HTTP. At each size the filled state is written as the
stand-in's snapshot (``local/snapshots.py``, the format it writes itself) into a fresh state
directory, and a whole stack (``python -m local.run``, as ``make run``) starts from it. Then:

- ``--posts`` customer form posts (``POST /requests``, urlencoded, a new idempotency key each, one
  after another), over HTTP to the app, each timed until its answer (the 303 to the tracking page),
  and the CPU time the stand-in and the app's dev server spent per post (from ``/proc``: on a shared
  machine a post's time includes waiting for others' work, its CPU time much less so);
- the stand-in's resident memory (RSS) after them;
- at the largest size, the stack is killed with ``kill -9`` (the whole process group) and started
  again: the time until the app answers, and the same after a clean stop (Ctrl-C).

Targets (exit 1 if missed): p50 ≤ 100 ms and p95 ≤ 250 ms at every size, the stand-in ≤ 1.5 GB, a
restart ≤ 15 s. The machine is shared, so run it when it is quiet. bench/README.md has the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import moto
from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.dynamodb_archive import DynamoArchive
from chalicelib.adapters.local_sent_messages import sent_messages
from chalicelib.adapters.provision import ensure_resources
from chalicelib.settings import get_settings
from chalicelib.web.submission import submit_report
from local import moto_speedups, snapshots
from local.aws_store import TRANSIENT_SERVICES
from tests.e2e.stack import LocalStack, processes_in_group
from tests.fakes import DEMO_ROSTER, valid_report

P50_TARGET_MS = 100
P95_TARGET_MS = 250
MEMORY_TARGET_MB = 1536
RESTART_TARGET_SECONDS = 15
PROVINCES = ("CN-JS", "CN-JS", "CN-SH", "CN-ZJ", "CN-GD", "CN-BJ")
KINDS = ("fault", "fault", "installation", "maintenance")
# One client posts thousands of reports from one address: lift the front door's per-hour limits.
UNLIMITED = {"INTAKE_LIMIT_PHONE_PER_HOUR": "1000000", "INTAKE_LIMIT_IP_PER_HOUR": "1000000"}


@dataclass
class Size:
    tickets: int
    fill_seconds: float
    latencies_ms: list[float]
    store_rss_mb: float
    cpu_ms_per_post: dict[str, float]
    snapshot_mb: float
    start_seconds: float
    load_average: float  # the machine's, over the last minute, as the posts ended

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Result:
    sizes: list[Size] = field(default_factory=list)
    restart_kill9_seconds: float = 0.0
    restart_clean_seconds: float = 0.0
    restart_load_average: float = 0.0
    sent_messages: int = 0

    def problems(self) -> list[str]:
        found = []
        for size in self.sizes:
            if size.percentile(0.5) > P50_TARGET_MS or size.percentile(0.95) > P95_TARGET_MS:
                found.append(
                    f"at {size.tickets:,} tickets form posts took p50 {size.percentile(0.5):.0f} ms, "
                    f"p95 {size.percentile(0.95):.0f} ms"
                )
            if size.store_rss_mb > MEMORY_TARGET_MB:
                found.append(f"at {size.tickets:,} tickets the stand-in held {size.store_rss_mb:,.0f} MB")
        for what, seconds in (("kill -9", self.restart_kill9_seconds), ("a clean stop", self.restart_clean_seconds)):
            if seconds > RESTART_TARGET_SECONDS:
                found.append(f"a restart after {what} took {seconds:.1f} s")
        return found


def report(n: int) -> dict[str, object]:
    return valid_report(
        customer_name=f"基准客户 {n % 700}",
        phone=f"139{n:08d}"[:11],
        province=PROVINCES[n % len(PROVINCES)],
        kind=KINDS[n % len(KINDS)],
        serial_number=f"SN-BENCH-{n:06d}",
        description=f"第 {n} 号报修：开关柜合闸后跳闸，车间停产。",
    )


def fill(start: int, stop: int) -> None:
    for n in range(start, stop):
        submit_report(report(n), lang="zh-CN", idempotency_key=f"bench-{n}")


def store_rss_mb(stack: LocalStack) -> float:
    # The stand-in's server is the first process with its command line; later ones write snapshots.
    for pid in sorted(processes_in_group(stack.pgid)):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"local.aws_store" not in command:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            continue
    return 0.0


def cpu_seconds(stack: LocalStack) -> dict[str, float]:
    """CPU time (user + system) used so far by the stand-in and by the app's dev server. On a shared
    machine it says what a post costs better than its time does, which includes waiting for others."""
    found = {"stand-in": 0.0, "app": 0.0}
    for pid in processes_in_group(stack.pgid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = "stand-in" if b"local.aws_store" in command else "app" if b"local.dev_server" in command else None
        if name:
            found[name] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def post_forms(stack: LocalStack, first: int, count: int) -> list[float]:
    opener = urllib.request.build_opener(_NoRedirect)
    latencies = []
    for n in range(first, first + count):
        form = {**report(n), "idempotency_key": uuid.uuid4().hex}
        request = urllib.request.Request(
            f"{stack.app_url}/requests",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        started = time.perf_counter()
        try:
            opener.open(request, timeout=120)
            raise AssertionError("the form post did not redirect to the tracking page")
        except urllib.error.HTTPError as answer:
            if answer.code != 303:
                raise
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def timed_start(stack: LocalStack) -> float:
    started = time.monotonic()
    stack.start()
    return time.monotonic() - started


_archive_init = DynamoArchive.__init__


def _archive_with_two_reads(archive: DynamoArchive, table_name: str, *, one_statement: bool = True) -> None:
    _archive_init(archive, table_name, one_statement=False)


def run(tickets: int, sizes: list[int], posts: int, work: Path) -> Iterator[Size | Result]:
    """Yields each size's figures as soon as they are measured, then the whole result."""
    result = Result()
    wiring.reset()
    aws.reset()
    with ExitStack() as stack:
        stack.enter_context(
            mock.patch.dict(
                os.environ,
                {
                    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
                    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
                    **UNLIMITED,
                },
            )
        )
        for name in ("CLOCK_FILE", "LOCAL_MODE"):
            os.environ.pop(name, None)
        stack.enter_context(mock_aws())
        stack.enter_context(moto_speedups.faster_moto())
        stack.enter_context(moto_speedups.untracked_dynamodb_models())
        # The fill looks each report up in the archive as the local stack's app does, with two reads: moto
        # answers the one PartiQL statement used on AWS by reading every item, so the fill would slow with
        # every ticket.
        stack.enter_context(mock.patch.object(DynamoArchive, "__init__", _archive_with_two_reads))
        snapshots.register_reducers()
        ensure_resources(get_settings())
        wiring.services().config.put_roster(DEMO_ROSTER)
        filled = 0
        for size in sorted(set(min(s, tickets) for s in sizes)):
            started = time.perf_counter()
            fill(filled, size)
            fill_seconds = time.perf_counter() - started
            filled = size
            state = work / f"state-{size}"
            snapshot = snapshots.snapshot_path(state, 1)
            state.mkdir(parents=True)
            snapshots.write_snapshot(snapshot, snapshots.collect(TRANSIENT_SERVICES), moto.__version__)
            snapshot_mb = snapshot.stat().st_size / 2**20  # the stack replaces it with its own later
            local = LocalStack(state, work / f"run-{size}.log")
            try:
                start_seconds = timed_start(local)
                post_forms(local, 1_000_000, 5)  # the app's first requests import and connect
                before = cpu_seconds(local)
                latencies = post_forms(local, 2_000_000, posts)
                cpu = {name: 1000 * (used - before[name]) / posts for name, used in cpu_seconds(local).items()}
                measured = Size(
                    size,
                    fill_seconds,
                    latencies,
                    store_rss_mb(local),
                    cpu,
                    snapshot_mb,
                    start_seconds,
                    os.getloadavg()[0],
                )
                if size == max(sizes):
                    local.kill9()
                    result.restart_load_average = os.getloadavg()[0]
                    result.restart_kill9_seconds = timed_start(local)
                    post_forms(local, 3_000_000, 5)
                    if local.interrupt() != 0:
                        raise AssertionError(f"the stack did not stop cleanly:\n{local.log()}")
                    result.restart_clean_seconds = timed_start(local)
                    result.sent_messages = len(sent_messages(local.aws_url, timeout=120))
            finally:
                local.stop()
            shutil.rmtree(state, ignore_errors=True)
            result.sizes.append(measured)
            yield measured
    wiring.reset()
    aws.reset()
    yield result


def size_line(size: Size) -> str:
    return (
        f"{size.tickets:>7,}  {size.percentile(0.5):7.0f} ms {size.percentile(0.95):7.0f} ms "
        f"{max(size.latencies_ms):7.0f} ms  {size.store_rss_mb:9,.0f} MB  {size.snapshot_mb:7.1f} MB "
        f"{size.start_seconds:7.1f} s  {size.fill_seconds:8.1f} s   "
        f"{size.cpu_ms_per_post['stand-in']:5.0f} + {size.cpu_ms_per_post['app']:3.0f} ms     {size.load_average:4.1f}"
    )


HEADER = (
    "tickets   post p50    p95        max     stand-in RSS  snapshot  start     fill (in-process)  "
    "CPU per post (stand-in + app)  load"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--sizes", default="0,1000,5000,10000", help="ticket counts to measure at")
    parser.add_argument("--posts", type=int, default=100, help="form posts measured at each size")
    args = parser.parse_args(argv)
    sizes = [min(int(s), args.tickets) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-local-stack-"))
    print(
        f"moto {moto.__version__}; speed-ups: {moto_speedups.moto_mismatches() or 'on'}; "
        f"{args.posts} form posts per size; state under {work}",
        flush=True,
    )
    print(HEADER, flush=True)
    result = Result()
    try:
        for step in run(args.tickets, sizes, args.posts, work):
            if isinstance(step, Size):
                print(size_line(step), flush=True)
            else:
                result = step
    finally:
        shutil.rmtree(work, ignore_errors=True)
    flat = [s.percentile(0.5) for s in result.sizes]
    print(
        f"restart at {max(sizes):,} tickets: after kill -9 {result.restart_kill9_seconds:.1f} s, "
        f"after Ctrl-C {result.restart_clean_seconds:.1f} s (until the app answers; load average "
        f"{result.restart_load_average:.1f} on {os.cpu_count()} cores)"
    )
    print(f"messages sent (SES + SNS) at {max(sizes):,} tickets: {result.sent_messages:,}")
    print(
        f"p50 from the smallest to the largest size: {flat[0]:.0f} ms → {flat[-1]:.0f} ms "
        f"(median over sizes {statistics.median(flat):.0f} ms)"
    )
    problems = result.problems()
    for problem in problems:
        print(f"MISSED: {problem}")
    print("OK: every target met" if not problems else f"{len(problems)} target(s) missed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
