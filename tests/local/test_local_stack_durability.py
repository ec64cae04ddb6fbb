"""The whole local stack (``python -m local.run``) comes back with everything after a restart: from a
snapshot plus a short log, not by replaying every request since the first day; and after ``kill -9``
in the middle of concurrent submissions, with every submission it answered with success.

Timings are bounded generously: these check behaviour (the restart replays a bounded log), not speed;
``bench/local_stack.py`` measures speed."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.local_sent_messages import SentMessage, sent_messages
from chalicelib.web.submission import submit_report
from local import snapshots
from tests.e2e.stack import LocalStack
from tests.fakes import valid_report

# Each starts a whole local stack of its own and fills it: with the end-to-end tests, not the inner loop.
pytestmark = pytest.mark.e2e

# Far above what a restart takes (a few seconds), far below replaying thousands of writes one by one
# as the stack once did (about a minute per thousand).
RESTART_BOUND_SECONDS = 60


@pytest.fixture(autouse=True)
def unlimited(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests post many reports from one address: lift the front door's per-hour limits."""
    monkeypatch.setenv("INTAKE_LIMIT_PHONE_PER_HOUR", "1000000")
    monkeypatch.setenv("INTAKE_LIMIT_IP_PER_HOUR", "1000000")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    running = LocalStack(tmp_path / "state", tmp_path / "run.log")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def services_of(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app's own services in this process, talking to the stack's AWS (faster than HTTP)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", stack.aws_url)
    monkeypatch.setenv("LOCAL_MODE", "true")
    monkeypatch.setenv("CLOCK_FILE", str(stack.state_dir / "clock.json"))
    monkeypatch.setenv("PUBLIC_BASE_URL", stack.app_url)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    wiring.reset()
    aws.reset()
    yield
    wiring.reset()
    aws.reset()


def logged_writes(state_dir: Path) -> int:
    return sum(len(path.read_bytes().splitlines()) for _, path in snapshots.logs(state_dir))


def health(stack: LocalStack) -> dict[str, int]:
    with urllib.request.urlopen(f"{stack.aws_url}/_local/health", timeout=10) as response:
        return dict(json.load(response))


def snapshot_written(stack: LocalStack) -> dict[str, int]:
    """The stand-in's health once no snapshot is being written (the last one's child has finished)."""
    deadline = time.monotonic() + RESTART_BOUND_SECONDS
    while (state := health(stack))["snapshotting"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not state["snapshotting"], "the last snapshot is still being written"
    return state


def without_ids(messages: list[SentMessage]) -> list[tuple[str, str, str, str, str]]:
    return [(m.kind, m.to, m.source, m.subject, m.body) for m in messages]


def tracking_page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        return str(response.read().decode())


def test_a_restart_loads_the_snapshot_and_every_ticket_and_message_is_there(stack, services_of):
    receipts = []
    for n in range(160):
        report = valid_report(customer_name=f"重启客户 {n}", phone=f"1380013{n:04d}")
        receipts.append(submit_report(report, lang="zh-CN", idempotency_key=uuid.uuid4().hex))
    sent_before = sent_messages(stack.aws_url, timeout=30)
    assert len(sent_before) >= 2 * len(receipts)
    # Several snapshots were taken on the way; the writes since the last are a short log.
    written = snapshot_written(stack)
    since_snapshot = logged_writes(stack.state_dir)
    assert snapshots.snapshots(stack.state_dir), "no snapshot was written"

    started = time.monotonic()
    stack.restart(kill9=True)
    took = time.monotonic() - started

    assert took < RESTART_BOUND_SECONDS, stack.log()
    restored = health(stack)
    assert restored["snapshot"] > written["snapshot"] >= 0
    assert restored["restored"] == since_snapshot < 2_000
    assert restored["refused"] == 0
    for receipt in receipts:
        assert receipt["number"] in tracking_page(receipt["tracking_url"])
    # moto gives a replayed message a new id; those restored from the snapshot keep theirs. Every one is
    # back; their order across emails and texts is known only for messages sent since the start.
    assert sorted(without_ids(sent_messages(stack.aws_url, timeout=30))) == sorted(without_ids(sent_before))


def post_report(stack: LocalStack, n: int) -> dict[str, str]:
    request = urllib.request.Request(
        f"{stack.app_url}/api/requests",
        data=json.dumps(valid_report(customer_name=f"并发客户 {n}")).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status in (200, 201)
        return dict(json.load(response))


@pytest.fixture
def often_snapshotted_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """A stack that snapshots every 60 writes, so the kill also lands during or right after one."""
    monkeypatch.setenv("LOCAL_AWS_SNAPSHOT_EVERY", "60")
    running = LocalStack(tmp_path / "state", tmp_path / "run.log")
    running.start()
    yield running
    running.stop()


def test_kill_9_during_concurrent_submissions_loses_no_acknowledged_one(often_snapshotted_stack):
    stack = often_snapshotted_stack
    acknowledged: list[dict[str, str]] = []
    failed = 0
    stop = threading.Event()
    lock = threading.Lock()

    def client(worker: int) -> None:
        nonlocal failed
        n = 0
        while not stop.is_set():
            n += 1
            try:
                receipt = post_report(stack, worker * 10_000 + n)
            except (urllib.error.URLError, OSError, AssertionError):
                with lock:
                    failed += 1
                continue
            with lock:
                acknowledged.append(receipt)

    workers = [threading.Thread(target=client, args=(w,), daemon=True) for w in range(6)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    stack.kill9()  # in the middle of submissions: some are in flight and never answered
    stop.set()
    for worker in workers:
        worker.join(70)
    assert len(acknowledged) >= 40, f"only {len(acknowledged)} answered before the kill"

    stack.start()

    assert health(stack)["refused"] == 0
    assert health(stack)["snapshot"] > 0, "no snapshot was taken before the kill"
    for receipt in acknowledged:
        assert receipt["number"] in tracking_page(receipt["tracking_url"]), receipt
    numbers = [receipt["number"] for receipt in acknowledged]
    assert len(set(numbers)) == len(numbers)
