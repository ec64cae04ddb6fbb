import json

from chalicelib.adapters.aws import client
from chalicelib.adapters.provision import ensure_resources
from chalicelib.settings import REPORT_PARTS_QUEUE, get_settings


def test_provisioning_twice_changes_nothing(aws):
    first = ensure_resources(get_settings())
    second = ensure_resources(get_settings())
    assert first == second
    table = client("dynamodb").describe_table(TableName="service-desk")["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {
        "by_status",
        "by_customer",
        "by_month",
        "by_assignee",
        "due",
        "search",
        "queue",
    }
    assert "noreply@service-desk.local" in client("ses").list_identities()["Identities"]


def test_the_report_parts_queue_retries_a_part_three_times_then_parks_it(aws):
    sqs = client("sqs")
    url = aws["report_queue_url"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])

    assert url.endswith(f"/{REPORT_PARTS_QUEUE}")
    assert int(attributes["VisibilityTimeout"]) >= 60  # a slow part is not handed out twice
    assert int(redrive["maxReceiveCount"]) == 3
    assert redrive["deadLetterTargetArn"].endswith(f":{REPORT_PARTS_QUEUE}-dlq")
