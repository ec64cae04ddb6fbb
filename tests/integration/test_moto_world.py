"""The integration tests share one moto per process (``tests/moto_world.py``): what one test stores is gone
for the next, a resource one test changes is made afresh for the next, and a staff account's token is
made once and still opens the pages."""

from __future__ import annotations

import pytest
from chalice.test import Client
from moto import mock_aws
from moto.backends import get_backend

from chalicelib import wiring
from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.cognito import add_staff
from chalicelib.domain.staff import StaffRole
from tests.integration.conftest import PASSWORD, desk_on_moto


@pytest.fixture
def world(monkeypatch, moto_world, jwks_url):
    """``with world() as resources``: the shared moto entered as the ``aws`` fixture enters it, once per
    simulated test."""
    return lambda: desk_on_moto(monkeypatch, moto_world, jwks_url)


def store_something_everywhere(resources: dict[str, str]) -> None:
    client("dynamodb").put_item(TableName=resources["table"], Item={"pk": {"S": "T#1"}, "sk": {"S": "TICKET"}})
    client("s3").put_object(Bucket=resources["bucket"], Key="uploads/photo.jpg", Body=b"jpeg")
    client("s3").put_object_tagging(
        Bucket=resources["bucket"], Key="uploads/photo.jpg", Tagging={"TagSet": [{"Key": "attached", "Value": "no"}]}
    )
    for queue in (resources["report_queue_url"], resources["notification_dlq_url"]):
        client("sqs").send_message(QueueUrl=queue, MessageBody="{}")
    client("ses").send_email(
        Source=resources["sender"],
        Destination={"ToAddresses": ["boss@example.com"]},
        Message={"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hi"}}},
    )
    client("sns").publish(PhoneNumber="+8613800138000", Message="hi")
    client("sns").publish(TopicArn=resources["desk_topic"], Message="hi")
    client("sns").create_topic(Name="made-by-a-test")
    add_staff(resources["user_pool_id"], "li.gong", [StaffRole.SUPERVISOR], password=PASSWORD, name="李工")


def what_is_stored(resources: dict[str, str]) -> dict[str, object]:
    ses = next(b for _, _, b in get_backend("ses").iter_backends() if b.sent_messages or b.email_identities)
    sns = next(b for _, _, b in get_backend("sns").iter_backends() if resources["desk_topic"] in b.topics)
    return {
        "items": client("dynamodb").scan(TableName=resources["table"])["Items"],
        "objects": client("s3").list_objects_v2(Bucket=resources["bucket"]).get("Contents", []),
        "messages": [
            client("sqs").receive_message(QueueUrl=queue).get("Messages", [])
            for queue in (resources["report_queue_url"], resources["notification_dlq_url"])
        ],
        "emails": ses.sent_messages,
        "texts": list(sns.sms_messages.values()),
        "topic": sns.topics[resources["desk_topic"]].sent_notifications,
        "other topics": [arn for arn in sns.topics if arn != resources["desk_topic"]],
        "staff": client("cognito-idp").list_users(UserPoolId=resources["user_pool_id"])["Users"],
    }


NOTHING = {
    "items": [],
    "objects": [],
    "messages": [[], []],
    "emails": [],
    "texts": [],
    "topic": [],
    "other topics": [],
    "staff": [],
}


def test_a_test_finds_nothing_another_stored_in_the_same_resources(world):
    with world() as first:
        store_something_everywhere(first)
        stored = what_is_stored(first)
        assert all(stored[kind] for kind in NOTHING), stored

    with world() as second:
        assert what_is_stored(second) == NOTHING
        assert second == first  # the same resources, not made again
        # An upload of the same name is not tagged by the last test's upload.
        client("s3").put_object(Bucket=second["bucket"], Key="uploads/photo.jpg", Body=b"jpeg")
        tags = client("s3").get_object_tagging(Bucket=second["bucket"], Key="uploads/photo.jpg")["TagSet"]
        assert tags == []


def test_a_resource_a_test_changed_is_made_afresh_for_the_next(world):
    with world() as first:
        ddb = client("dynamodb")
        ddb.update_table(
            TableName=first["table"], GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": keys.GSI_SEARCH}}]
        )
        client("sqs").create_queue(QueueName="left-behind")
        ddb.put_item(TableName=first["table"], Item={"pk": {"S": "T#1"}, "sk": {"S": "TICKET"}})

    with world() as second:
        indexes = client("dynamodb").describe_table(TableName=second["table"])["Table"]["GlobalSecondaryIndexes"]
        assert keys.GSI_SEARCH in {index["IndexName"] for index in indexes}
        assert client("dynamodb").scan(TableName=second["table"])["Items"] == []
        assert not any(url.endswith("/left-behind") for url in client("sqs").list_queues().get("QueueUrls", []))


def test_a_test_with_a_moto_of_its_own_leaves_the_resources_to_be_made_again(world):
    with world():
        pass
    with mock_aws():  # starts and ends with every service emptied
        pass
    with world() as again:
        assert client("dynamodb").describe_table(TableName=again["table"])["Table"]["TableStatus"] == "ACTIVE"
        assert what_is_stored(again) == NOTHING


def test_a_staff_token_is_made_once_and_its_account_is_there_again_for_the_next_test(world, moto_world):
    def token(resources):
        def make():
            add_staff(resources["user_pool_id"], "wang", [StaffRole.TECHNICIAN], password=PASSWORD)
            return wiring.services().staff_sign_in.sign_in("wang", PASSWORD).id_token

        return moto_world.staff_account(resources["user_pool_id"], "wang", (StaffRole.TECHNICIAN.value,), make)

    with world() as first:
        issued = token(first)
    with world() as second:
        assert client("cognito-idp").list_users(UserPoolId=second["user_pool_id"])["Users"] == []
        assert token(second) == issued
        [user] = client("cognito-idp").list_users(UserPoolId=second["user_pool_id"])["Users"]
        groups = client("cognito-idp").admin_list_groups_for_user(UserPoolId=second["user_pool_id"], Username="wang")
        assert user["Username"] == "wang" and [g["GroupName"] for g in groups["Groups"]] == ["technician"]
        # The kept token still opens a technician's page.
        from app import app

        with Client(app) as pages:
            assert pages.http.get("/staff/jobs", headers={"Cookie": f"sd_staff={issued}"}).status_code == 200
    with world() as third:  # the restored account is cleared after the test like any other
        assert client("cognito-idp").list_users(UserPoolId=third["user_pool_id"])["Users"] == []
