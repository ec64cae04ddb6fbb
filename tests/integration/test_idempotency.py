"""The idempotency port, over the in-memory fake and over Powertools' records in the table (moto): a
repeat waits for the first run's result, a first run that raised frees the key, and a lock left by a
request that died is taken over after seconds, not the function's timeout."""

from __future__ import annotations

import threading
import time
from unittest import mock

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters import keys, schema
from chalicelib.adapters.idempotency import IdempotentRunner
from chalicelib.adapters.memory import MemoryIdempotency
from chalicelib.services.ports import KeyReused, StillInProgress

TABLE = "service-desk"
LOCK_SECONDS = 1.0


@pytest.fixture
def table():
    with mock_aws():
        boto3.client("dynamodb").create_table(**schema.create_table_kwargs(TABLE))
        yield


@pytest.fixture(params=["memory", "dynamodb"])
def make(request):
    """``make(wait_seconds=...)``: an implementation of the port."""
    if request.param == "memory":
        yield lambda wait_seconds=10.0: MemoryIdempotency(wait_seconds=wait_seconds)
        return
    request.getfixturevalue("table")
    yield lambda wait_seconds=10.0: IdempotentRunner(TABLE, expires_after_seconds=3600, lock_seconds=LOCK_SECONDS,
                                                     wait_seconds=wait_seconds)


class Work:
    """Counts its runs; the first run may take ``hold_seconds``, or last until ``release`` is set."""

    def __init__(self, hold_seconds: float = 0.0, *, until_released: bool = False):
        self.runs = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.hold_seconds = hold_seconds
        self.until_released = until_released
        self._lock = threading.Lock()

    def __call__(self) -> dict:
        with self._lock:
            self.runs += 1
            run = self.runs
        self.started.set()
        if run == 1:
            if self.until_released:
                assert self.release.wait(60), "never released"
            time.sleep(self.hold_seconds)
        return {"number": f"SD-{run}"}

    def meanwhile(self, call):
        """``call`` once the first run has started, then the first run may end."""

        def run():
            assert self.started.wait(60), "the first run never started"
            try:
                return call()
            finally:
                self.release.set()

        return run


def in_threads(*calls):
    results: list = [None] * len(calls)

    def call(i, fn):
        try:
            results[i] = fn()
        except Exception as error:  # noqa: BLE001 - the test compares what each caller got
            results[i] = error

    threads = [threading.Thread(target=call, args=(i, fn)) for i, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    return results


def test_a_repeat_during_a_slow_first_run_waits_for_it_and_gets_the_same_result(make):
    # Slower than the lock: the first run keeps renewing it, so the repeat never takes it over. (The
    # in-memory runner has no lock to outlive: its first run need only still be running.)
    runner = make()
    work = Work(hold_seconds=2.5 * LOCK_SECONDS if isinstance(runner, IdempotentRunner) else 0.2)
    results = in_threads(*[lambda: runner.run("intake", "k", {"a": 1}, work)] * 3)
    assert results == [{"number": "SD-1"}] * 3
    assert work.runs == 1


def test_a_repeat_waits_only_so_long(make):
    runner, work = make(wait_seconds=0.3), Work(until_released=True)
    first, repeat = in_threads(lambda: runner.run("intake", "k", {"a": 1}, work),
                               work.meanwhile(lambda: runner.run("intake", "k", {"a": 1}, work)))
    assert first == {"number": "SD-1"}
    assert isinstance(repeat, StillInProgress)
    assert runner.run("intake", "k", {"a": 1}, work) == {"number": "SD-1"}


def test_a_first_run_that_raised_leaves_the_key_free(make):
    runner = make()

    def fails() -> dict:
        raise ValueError("invalid")

    with pytest.raises(ValueError):
        runner.run("intake", "k", {"a": 1}, fails)
    assert runner.run("intake", "k", {"a": 1}, Work()) == {"number": "SD-1"}


def test_a_key_with_other_content_is_refused_even_while_the_first_runs(make):
    runner, work = make(), Work(until_released=True)
    _, other = in_threads(lambda: runner.run("intake", "k", {"a": 1}, work),
                          work.meanwhile(lambda: runner.run("intake", "k", {"a": 2}, work)))
    assert isinstance(other, KeyReused)
    with pytest.raises(KeyReused):
        runner.run("intake", "k", {"a": 2}, work)
    assert runner.run("other-scope", "k", {"a": 2}, work) == {"number": "SD-2"}


class Killed(BaseException):
    """The process dies mid-request (``kill -9``, a timeout): nothing after this point runs, not even
    the clean-up that deletes the record of a run that raised."""


def crash_holding(runner: IdempotentRunner, key: str) -> None:
    def dies() -> dict:
        raise Killed()

    with pytest.raises(Killed):
        runner.run("intake", key, {"a": 1}, dies)


def stored_records() -> list[dict]:
    return boto3.client("dynamodb").query(
        TableName=TABLE, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.IDEMPOTENCY_PK}},
    )["Items"]


def lock_runs_out() -> None:
    """The lock's seconds pass: the in-progress record reads as it will once its lock has run out."""
    [record] = stored_records()
    boto3.client("dynamodb").update_item(
        TableName=TABLE, Key={"pk": record["pk"], "sk": record["sk"]},
        UpdateExpression="SET in_progress_expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time() * 1000) - 1)}},
    )


def test_a_lock_left_by_a_request_that_died_is_taken_over_after_seconds(table):
    # Seconds, not the function's timeout; long enough that "at once" is still within it on a busy machine.
    lock_seconds = 10
    runner = IdempotentRunner(TABLE, expires_after_seconds=3600, lock_seconds=lock_seconds, wait_seconds=0)
    crash_holding(runner, "k")
    [record] = stored_records()
    assert record["status"]["S"] == "INPROGRESS"
    assert int(record["in_progress_expiration"]["N"]) <= (time.time() + lock_seconds) * 1000

    with pytest.raises(StillInProgress):  # at once: it might still be working
        runner.run("intake", "k", {"a": 1}, Work())
    lock_runs_out()
    assert runner.run("intake", "k", {"a": 1}, Work()) == {"number": "SD-1"}
    assert [r["status"]["S"] for r in stored_records()] == ["COMPLETED"]


def test_a_retry_right_after_a_crash_waits_out_the_lock_and_opens_the_ticket(table):
    # No renewal here (the holder died), so a short lock is safe even on a busy machine.
    lock_seconds = 0.3
    runner = IdempotentRunner(TABLE, expires_after_seconds=3600, lock_seconds=lock_seconds, wait_seconds=5)
    crash_holding(runner, "k")
    started = time.monotonic()
    assert runner.run("intake", "k", {"a": 1}, Work()) == {"number": "SD-1"}
    assert time.monotonic() - started < lock_seconds + 1.5


def test_calls_leave_nothing_behind_on_the_shared_table_client(table):
    """Each call has a store of its own, on the app's one table client: making a Powertools store adds a
    handler to its client's events for good (a User-Agent word), which every later request would run,
    so a desk's ten-thousandth form post ran ten thousand of them per request."""
    from chalicelib.adapters.aws import client

    runner = IdempotentRunner(TABLE, expires_after_seconds=3600, lock_seconds=LOCK_SECONDS)
    assert runner.run("intake", "first", {"a": 0}, Work()) == {"number": "SD-1"}
    events = client("dynamodb").meta.events
    with mock.patch.object(events, "register", wraps=events.register) as register:
        for n in range(5):
            assert runner.run("intake", f"k{n}", {"a": n}, Work()) == {"number": "SD-1"}
    assert register.call_count == 0
