"""Scheduled functions, invoked the way EventBridge would, through Chalice's test client."""

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.clock import SystemClock
from chalicelib.adapters.ses_email import SesEmailSender
from chalicelib.services.ports import DeliveryError
from tests.fakes import valid_report


def outbox_states():
    items = aws_client("dynamodb").scan(TableName="service-desk")["Items"]
    return sorted(i["data"]["M"]["state"]["S"] for i in items if i["sk"]["S"].startswith("OUTBOX#"))


def test_emails_that_failed_at_intake_are_sent_by_the_schedule_after_the_backoff(client):
    with mock.patch.object(SesEmailSender, "send", side_effect=DeliveryError("SES Throttling")):
        response = client.http.post("/api/requests", body=json.dumps(valid_report()),
                                    headers={"Content-Type": "application/json"})
    assert response.status_code == 201
    assert outbox_states() == ["pending", "pending", "sent", "sent"]  # 2 emails wait, SMS and topic went out

    two_minutes_later = datetime.now(UTC) + timedelta(minutes=2)
    with mock.patch.object(SystemClock, "now", return_value=two_minutes_later):
        client.lambda_.invoke(
            "deliver_notifications",
            client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=[]),
        )
    assert outbox_states() == ["sent", "sent", "sent", "sent"]
    assert aws_client("ses").get_send_statistics()["SendDataPoints"], "the emails reached SES"
