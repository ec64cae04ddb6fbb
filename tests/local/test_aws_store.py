"""The local AWS stand-in keeps every accepted write across a ``kill -9`` (local/aws_store.py).

Each test starts the store as a subprocess on a free port with its own state directory, writes
through boto3 and plain HTTP, kills it without warning, starts it again and reads everything back.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from local import dev_server, snapshots
from local.aws_store import DEFERRED_HEADER, HEALTH_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]
AWKWARD_KEY = "forms/with space/a+b%2Fc/验收单.pdf"  # spaces, plus, an encoded slash, non-ASCII
PHOTO = bytes(range(256)) * 64 + b"\x00\xff\r\n--not-a-boundary\r\n"  # binary, with CR/LF and NULs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Store:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "LOCAL_STATE_DIR": str(self.state_dir), "LOCAL_AWS_PORT": str(self.port)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.aws_store"], cwd=REPO_ROOT, env=env, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the store exited during start-up"
            try:
                if requests.get(f"{self.url}/_local/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.02)  # it starts in about a third of a second
        raise AssertionError("the store did not become healthy")

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(s3={"addressing_style": "path"}),
        )

    def sent(self) -> list[dict[str, str]]:
        return list(requests.get(f"{self.url}/_local/sent-messages", timeout=10).json())

    def recording(self) -> list[dict[str, Any]]:
        """Every logged request since the last snapshot, oldest first."""
        return [
            json.loads(line) for _, path in snapshots.logs(self.state_dir) for line in path.read_text().splitlines()
        ]

    def current_log(self) -> Path:
        return snapshots.logs(self.state_dir)[-1][1]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    running = Store(tmp_path / "state")
    running.start()
    yield running
    running.stop()


def write_everything(store: Store) -> None:
    ddb = store.client("dynamodb")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="t", Item={"pk": {"S": "ticket#1"}, "name": {"S": "张三"}})
    for _ in range(3):
        ddb.update_item(
            TableName="t",
            Key={"pk": {"S": "counter"}},
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "ticket#2"}}}},
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "event#2"}}}},
        ]
    )
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.put_item(
            TableName="t",
            Item={"pk": {"S": "ticket#1"}, "name": {"S": "overwritten"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    ddb.get_item(TableName="t", Key={"pk": {"S": "ticket#1"}})
    ddb.scan(TableName="t")

    s3 = store.client("s3")
    s3.create_bucket(Bucket="files-bucket")
    post = s3.generate_presigned_post("files-bucket", "photos/a.jpg", Fields={"Content-Type": "image/jpeg"})
    answer = requests.post(post["url"], data=post["fields"], files={"file": ("a.jpg", PHOTO, "image/jpeg")}, timeout=10)
    assert answer.status_code < 300, answer.text
    s3.put_object(Bucket="files-bucket", Key="photos/doomed.jpg", Body=PHOTO)
    s3.delete_object(Bucket="files-bucket", Key="photos/doomed.jpg")
    s3.put_object(Bucket="files-bucket", Key="forms/kept.bin", Body=PHOTO)
    s3.put_object(Bucket="files-bucket", Key=AWKWARD_KEY, Body=b"odd", Metadata={"original_name": "form.pdf"})

    ses = store.client("ses")
    ses.verify_email_identity(EmailAddress="noreply@example.com")
    ses.send_email(
        Source="noreply@example.com",
        Destination={"ToAddresses": ["customer@example.com"]},
        Message={"Subject": {"Data": "您的报修单"}, "Body": {"Text": {"Data": "SD-2026-000001"}}},
    )

    sns = store.client("sns")
    topic = sns.create_topic(Name="desk")["TopicArn"]
    sns.publish(TopicArn=topic, Message="new ticket")
    sns.publish(PhoneNumber="+8613800138000", Message="您的报修单 SD-2026-000001")


def assert_everything_is_back(store: Store) -> None:
    ddb = store.client("dynamodb")
    assert ddb.get_item(TableName="t", Key={"pk": {"S": "ticket#1"}})["Item"]["name"] == {"S": "张三"}
    assert ddb.get_item(TableName="t", Key={"pk": {"S": "counter"}})["Item"]["n"] == {"N": "3"}
    assert "Item" in ddb.get_item(TableName="t", Key={"pk": {"S": "event#2"}})

    s3 = store.client("s3")
    uploaded = s3.get_object(Bucket="files-bucket", Key="photos/a.jpg")
    assert uploaded["Body"].read() == PHOTO
    assert uploaded["ContentType"] == "image/jpeg"
    assert s3.get_object(Bucket="files-bucket", Key="forms/kept.bin")["Body"].read() == PHOTO
    awkward = s3.get_object(Bucket="files-bucket", Key=AWKWARD_KEY)
    assert awkward["Body"].read() == b"odd"
    assert awkward["Metadata"] == {"original_name": "form.pdf"}
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="files-bucket").get("Contents", [])]
    assert sorted(keys) == sorted(["forms/kept.bin", "photos/a.jpg", AWKWARD_KEY])

    sent = store.sent()  # what the local outbox page reads
    assert [(m["kind"], m["to"], m["subject"], m["body"]) for m in sent] == [
        ("email", "customer@example.com", "您的报修单", "SD-2026-000001"),
        ("sms", "+8613800138000", "", "您的报修单 SD-2026-000001"),
    ]
    [topic] = store.client("sns").list_topics()["Topics"]
    assert topic["TopicArn"].endswith(":desk")
    assert "noreply@example.com" in store.client("ses").list_identities()["Identities"]


def test_every_accepted_write_survives_kill_9(store: Store) -> None:
    write_everything(store)
    assert_everything_is_back(store)

    store.kill9()
    store.start()

    assert requests.get(f"{store.url}/_local/health", timeout=5).json() == {
        "ready": True,
        "snapshot": 0,
        "restored": 17,
        "refused": 0,
        "snapshotting": False,
    }
    assert_everything_is_back(store)


def test_reads_and_refused_writes_are_not_recorded(store: Store) -> None:
    write_everything(store)

    recorded = store.recording()
    targets = [e["headers"].get("X-Amz-Target", "") for e in recorded]
    assert not any(t.endswith(("GetItem", "Scan", "Query", "DescribeTable", "ListTables")) for t in targets)
    assert all(e["method"] not in {"GET", "HEAD"} for e in recorded)
    # Only one of the two PutItem calls on ticket#1 was accepted.
    assert targets.count("DynamoDB_20120810.PutItem") == 1


def test_a_half_written_last_line_is_dropped_and_later_writes_still_count(store: Store) -> None:
    ddb = store.client("dynamodb")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    store.kill9()
    with open(store.current_log(), "ab") as file:
        file.write(b'{"headers": {"X-Amz-Tar')  # what a crash in the middle of an append leaves

    store.start()
    store.client("dynamodb").put_item(TableName="t", Item={"pk": {"S": "after-crash"}})
    store.kill9()
    store.start()

    assert "Item" in store.client("dynamodb").get_item(TableName="t", Key={"pk": {"S": "after-crash"}})


def test_queues_are_neither_recorded_nor_replayed(store: Store) -> None:
    # Queued report parts are work in flight: replaying a SendMessage would run a finished part again.
    sqs = store.client("sqs")
    url = sqs.create_queue(QueueName="service-desk-report-parts")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody='{"day": 1}')
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    store.client("sns").create_topic(Name="desk")  # kept, as before

    recorded = store.recording()
    assert [e["headers"].get("X-Amz-Target", e["url"]) for e in recorded] == [f"{store.url}/"]  # CreateTopic only
    store.kill9()
    # A queue request in a recording written before queues were left out is not replayed either.
    old_line = {
        "headers": {
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sqs/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0",
            "X-Amz-Target": "AmazonSQS.CreateQueue",
            "Content-Type": "application/x-amz-json-1.0",
        },
        "method": "POST",
        "url": f"{store.url}/",
        "body": base64.b64encode(json.dumps({"QueueName": "from-an-old-recording"}).encode()).decode(),
        "body_encoded": True,
    }
    with open(store.current_log(), "ab") as file:
        file.write(json.dumps(old_line).encode() + b"\n")
    store.start()

    assert store.client("sqs").list_queues().get("QueueUrls", []) == []
    assert [t["TopicArn"].rsplit(":", 1)[-1] for t in store.client("sns").list_topics()["Topics"]] == ["desk"]


def test_the_sent_messages_come_a_page_at_a_time_counted_from_the_newest(store: Store) -> None:
    write_everything(store)
    response = requests.get(f"{store.url}/_local/sent-messages?limit=1&skip=0", timeout=30)
    assert response.headers["X-Total-Count"] == "2"
    assert [m["kind"] for m in response.json()] == ["sms"]  # the newest
    older = requests.get(f"{store.url}/_local/sent-messages?limit=1&skip=1", timeout=30).json()
    assert [m["kind"] for m in older] == ["email"]
    assert requests.get(f"{store.url}/_local/sent-messages?limit=5&skip=2", timeout=30).json() == []


def test_the_sent_messages_are_in_the_order_they_were_sent_across_email_and_text(store: Store) -> None:
    ses, sns = store.client("ses"), store.client("sns")
    ses.verify_email_identity(EmailAddress="noreply@example.com")
    ses.send_email(
        Source="noreply@example.com",
        Destination={"ToAddresses": ["a@example.com"]},
        Message={"Subject": {"Data": "first"}, "Body": {"Text": {"Data": "1"}}},
    )
    sns.publish(PhoneNumber="+8613800138000", Message="second")
    ses.send_email(
        Source="noreply@example.com",
        Destination={"ToAddresses": ["b@example.com"]},
        Message={"Subject": {"Data": "third"}, "Body": {"Text": {"Data": "3"}}},
    )
    newest = requests.get(f"{store.url}/_local/sent-messages?limit=2&skip=0", timeout=30).json()
    assert [m["to"] for m in newest] == ["+8613800138000", "b@example.com"]


def deferred_client(store: Store, service: str) -> Any:
    """A client marking its requests as the app's dev server does (``local/dev_server.py``)."""
    client = store.client(service)
    client.meta.events.register("before-send", dev_server.mark_deferred)
    return client


def durability(store: Store) -> dict[str, int]:
    return dict(requests.get(f"{store.url}/_local/sync", timeout=10).json())


def make_table(store: Store) -> None:
    store.client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_a_write_is_durable_before_its_answer_unless_its_client_syncs_itself(store: Store) -> None:
    make_table(store)
    assert durability(store) == {"written": 1, "durable": 1}  # a plain client's write: fsync'ed first

    deferred_client(store, "dynamodb").put_item(TableName="t", Item={"pk": {"S": "deferred"}})
    assert durability(store) == {"written": 2, "durable": 1}  # in the log, not yet fsync'ed

    # A plain client's read waits until what it may see is durable.
    assert "Item" in store.client("dynamodb").get_item(TableName="t", Key={"pk": {"S": "deferred"}})
    assert durability(store) == {"written": 2, "durable": 2}


def test_a_sync_makes_every_deferred_write_durable_and_they_survive_kill_9(store: Store) -> None:
    make_table(store)
    ddb = deferred_client(store, "dynamodb")
    for n in range(3):
        ddb.put_item(TableName="t", Item={"pk": {"S": f"ticket#{n}"}})
    assert durability(store) == {"written": 4, "durable": 1}

    answer = requests.post(f"{store.url}/_local/sync", timeout=10)
    assert answer.json() == {"written": 4, "durable": 4}
    store.kill9()
    store.start()

    found = store.client("dynamodb").scan(TableName="t")["Items"]
    assert sorted(item["pk"]["S"] for item in found) == ["ticket#0", "ticket#1", "ticket#2"]
    assert [e["headers"].get(DEFERRED_HEADER) for e in store.recording()] == [None] * 4  # not logged


def test_one_connection_carries_many_requests(store: Store) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", store.port, timeout=10)
    list_tables = {
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    try:
        answers, sockets = [], []
        for _ in range(3):
            connection.request("POST", "/", body=b"{}", headers=list_tables)
            answer = connection.getresponse()
            answers.append((answer.status, json.loads(answer.read())))
            sockets.append(connection.sock)  # http.client opens a new one only if the server closed it
        assert sockets[0] is not None and sockets == [sockets[0]] * 3
        connection.request("GET", HEALTH_PATH)
        health = connection.getresponse()
        assert (health.status, json.loads(health.read())["ready"]) == (200, True)
    finally:
        connection.close()
    assert answers == [(200, {"TableNames": []})] * 3


def test_a_head_answer_keeps_the_objects_length_and_its_connection_goes_on(store: Store) -> None:
    s3 = store.client("s3")
    s3.create_bucket(Bucket="files-bucket")
    s3.put_object(Bucket="files-bucket", Key="photos/a.jpg", Body=PHOTO)

    assert s3.head_object(Bucket="files-bucket", Key="photos/a.jpg")["ContentLength"] == len(PHOTO)
    assert s3.get_object(Bucket="files-bucket", Key="photos/a.jpg")["Body"].read() == PHOTO
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket="files-bucket", Key="photos/missing.jpg")  # a 404 without a body
    assert s3.list_objects_v2(Bucket="files-bucket")["KeyCount"] == 1


def test_a_clean_stop_snapshots_what_was_logged_so_the_next_start_replays_nothing(store: Store) -> None:
    write_everything(store)
    assert len(store.recording()) == 17

    store.stop()  # SIGTERM, as Ctrl-C on make run sends
    store.start()

    health = requests.get(f"{store.url}/_local/health", timeout=5).json()
    assert (health["snapshot"], health["restored"], health["refused"]) == (1, 0, 0)
    assert_everything_is_back(store)
