"""The local scheduler feeds the app's ``on_sqs_message`` functions from their queues, as Lambda's SQS
event source mapping does: a Lambda-shaped event in, the messages deleted when the function returns,
left for another try (and in the end the dead-letter queue) when it raises."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
from chalice import Chalice
from chalice.app import SQSEvent
from moto import mock_aws

from chalicelib.settings import REPORT_PARTS_QUEUE
from local.scheduler import QueueConsumer, consume_forever, discover_consumers, find_queue, poll_once, sqs_event

REPO_ROOT = Path(__file__).resolve().parents[2]
CONSUMER = QueueConsumer("report_part", "parts", batch_size=1)


@pytest.fixture
def sqs():
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def parts_queue(sqs, *, visibility_seconds: int = 60, max_receives: int = 3) -> str:
    """The queue and its dead-letter queue, as ``ensure_resources`` makes them; returns the DLQ's URL."""
    dead_letters = sqs.create_queue(QueueName="parts-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives})
    sqs.create_queue(
        QueueName="parts", Attributes={"VisibilityTimeout": str(visibility_seconds), "RedrivePolicy": redrive}
    )
    return dead_letters


def app_calling(handle) -> Chalice:
    """A Chalice app whose queue function hands each record to ``handle``: chalice's own wrapper
    turns the raw event into its SQSEvent, as on Lambda."""
    app = Chalice("queue-consumer-test")

    @app.on_sqs_message(queue="parts", batch_size=1)
    def report_part(event):
        for record in event:
            handle(record)

    return app


def waiting(sqs, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def fail(record):
    raise RuntimeError(f"part {record.body} failed")


def test_the_function_gets_the_message_body_in_a_lambda_shaped_event_and_the_message_is_deleted(sqs):
    parts_queue(sqs)
    queue = find_queue(sqs, "parts")
    sqs.send_message(QueueUrl=queue.url, MessageBody='{"month": "2026-11", "day": 3}')
    received = []

    outcome = poll_once(app_calling(received.append), CONSUMER, sqs, queue)

    assert outcome is True
    [record] = received
    assert record.body == '{"month": "2026-11", "day": 3}'
    assert record.receipt_handle
    raw = record.to_dict()
    assert raw["eventSource"] == "aws:sqs"
    assert raw["eventSourceARN"] == queue.arn == "arn:aws:sqs:us-east-1:123456789012:parts"
    assert raw["awsRegion"] == "us-east-1"
    assert raw["messageId"] and raw["md5OfBody"]
    assert raw["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp"} <= set(raw["attributes"])
    assert waiting(sqs, queue.url) == (0, 0), "a handled message is deleted"


def test_a_failing_function_leaves_the_message_for_another_try(sqs):
    parts_queue(sqs, visibility_seconds=60)
    queue = find_queue(sqs, "parts")
    sqs.send_message(QueueUrl=queue.url, MessageBody="day 3")

    outcome = poll_once(app_calling(fail), CONSUMER, sqs, queue)

    assert outcome is False
    assert waiting(sqs, queue.url) == (0, 1), "in flight until its visibility timeout has passed, not deleted"
    assert poll_once(app_calling(fail), CONSUMER, sqs, queue) is None, "hidden meanwhile"


def test_a_message_that_keeps_failing_is_retried_then_parked_in_the_dead_letter_queue(sqs):
    dead_letters = parts_queue(sqs, visibility_seconds=0, max_receives=3)  # back at once after a failure
    queue = find_queue(sqs, "parts")
    sqs.send_message(QueueUrl=queue.url, MessageBody="day 3")
    tries = []

    def count_and_fail(record):
        tries.append(record.to_dict()["attributes"]["ApproximateReceiveCount"])
        fail(record)

    outcomes = []
    for _ in range(4):
        time.sleep(0.01)  # "visible again" is checked to the millisecond
        outcomes.append(poll_once(app_calling(count_and_fail), CONSUMER, sqs, queue))

    assert outcomes == [False, False, False, None]
    assert tries == ["1", "2", "3"]
    [parked] = sqs.receive_message(QueueUrl=dead_letters)["Messages"]
    assert parked["Body"] == "day 3"


def test_the_event_is_what_chalices_sqs_event_reads_message_attributes_included():
    message = {
        "MessageId": "m-1",
        "ReceiptHandle": "rh-1",
        "MD5OfBody": "md5",
        "Body": "day 1",
        "Attributes": {"ApproximateReceiveCount": "1"},
        "MessageAttributes": {
            "month": {"DataType": "String", "StringValue": "2026-11"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
        },
    }

    event = sqs_event([message], "arn:aws:sqs:cn-north-1:123456789012:parts")
    [record] = SQSEvent(event, context=None)

    assert (record.body, record.receipt_handle) == ("day 1", "rh-1")
    raw = record.to_dict()
    assert raw["awsRegion"] == "cn-north-1"
    assert raw["messageAttributes"]["month"] == {
        "stringValue": "2026-11",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert base64.b64decode(raw["messageAttributes"]["blob"]["binaryValue"]) == b"\x00\xff"


def wait_until(predicate, seconds: float = 60) -> None:
    """Returns as soon as ``predicate()`` holds; the bound is only a safety net for a busy machine."""
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_the_running_consumer_handles_a_message_within_seconds_not_at_the_next_schedule_tick(sqs):
    parts_queue(sqs)
    received = []
    app = app_calling(lambda record: received.append(record.body))
    stop = threading.Event()
    thread = threading.Thread(target=consume_forever, args=(app, CONSUMER, sqs, stop, threading.Lock()), daemon=True)
    thread.start()
    try:
        url = sqs.get_queue_url(QueueName="parts")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="day 1")
        sqs.send_message(QueueUrl=url, MessageBody="day 2")
        # Each message is deleted once its handler returns: wait for that too, not only for the handler.
        wait_until(lambda: len(received) >= 2 and waiting(sqs, url) == (0, 0))

        assert sorted(received) == ["day 1", "day 2"]
        assert waiting(sqs, url) == (0, 0)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_a_missing_queue_does_not_stop_the_consumer(sqs):
    received = []
    stop = threading.Event()
    thread = threading.Thread(
        target=consume_forever, args=(app_calling(received.append), CONSUMER, sqs, stop), daemon=True
    )
    thread.start()
    time.sleep(0.2)  # it looked for the queue, found none, and waits to look again

    assert thread.is_alive()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_the_apps_report_part_function_is_found_with_its_queue_and_listed():
    from app import app

    assert discover_consumers(app) == [QueueConsumer("report_part", REPORT_PARTS_QUEUE, 1)]
    listed = subprocess.run(
        [sys.executable, "-m", "local.scheduler", "--list"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert f"report_part\tsqs({REPORT_PARTS_QUEUE}, batch size 1)" in listed.stdout.splitlines()
    assert "monthly_report\tcron(0 17 * * ? *)" in listed.stdout.splitlines()


class NoticedLock:
    """The scheduler's one-job-at-a-time lock, noting when someone has to wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.waited_for = threading.Event()

    def __enter__(self) -> NoticedLock:
        if not self._lock.acquire(blocking=False):
            self.waited_for.set()
            self._lock.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self._lock.release()


def test_a_queued_part_waits_for_a_running_job_and_runs_as_soon_as_it_ends(sqs):
    parts_queue(sqs)
    received = []
    one_at_a_time = NoticedLock()
    stop = threading.Event()
    thread = threading.Thread(
        target=consume_forever,
        args=(app_calling(lambda record: received.append(record.body)), CONSUMER, sqs, stop, one_at_a_time),
        daemon=True,
    )
    try:
        with one_at_a_time:  # a scheduled job is running
            thread.start()
            url = sqs.get_queue_url(QueueName="parts")["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="day 1")
            assert one_at_a_time.waited_for.wait(60), "the consumer never asked for the lock"
            assert received == []
            assert waiting(sqs, url) == (1, 0), "not even received while the job runs"
        wait_until(lambda: received)

        assert received == ["day 1"]
    finally:
        stop.set()
        thread.join(5)
