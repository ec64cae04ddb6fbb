"""SMS to a phone and staff broadcasts to a topic, both through Amazon SNS."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws import client
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.services.ports import DeliveryError

_PERMANENT = {"InvalidParameter", "InvalidParameterValue", "NotFound", "OptedOut"}


class SnsSender:
    @property
    def _sns(self) -> Any:
        return client("sns")

    def send(self, message: OutboxMessage) -> str:
        if message.channel == MessageChannel.SMS:
            kwargs: dict[str, Any] = {
                "PhoneNumber": message.recipient,
                "Message": message.text,
                # Service notices must not be dropped as promotional traffic.
                "MessageAttributes": {
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
                },
            }
        else:
            kwargs = {"TopicArn": message.recipient, "Message": message.text, "Subject": message.subject[:100]}
        try:
            return str(self._sns.publish(**kwargs)["MessageId"])
        except ClientError as error:
            code = error.response["Error"]["Code"]
            raise DeliveryError(f"SNS {code}: {error.response['Error'].get('Message', '')}",
                                permanent=code in _PERMANENT) from error
        except BotoCoreError as error:
            raise DeliveryError(f"SNS unreachable: {error}") from error

    def topic_arn(self, name: str) -> str:
        """CreateTopic returns the ARN of an existing topic without changing it."""
        return str(self._sns.create_topic(Name=name)["TopicArn"])
