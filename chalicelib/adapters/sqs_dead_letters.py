"""Notifications the outbox gave up on, parked in the SQS dead-letter queue that operators watch
(an alarm fires on its depth), with everything needed to send them by hand."""

from __future__ import annotations

import json

from chalicelib.adapters.aws import client
from chalicelib.domain.notification import OutboxMessage


class SqsDeadLetters:
    def __init__(self, queue_url: str):
        self._queue_url = queue_url

    def park(self, message: OutboxMessage) -> None:
        body = {"kind": "undeliverable_notification", "message": message.model_dump(mode="json")}
        client("sqs").send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(body, ensure_ascii=False))
