"""Email through Amazon SES. Throttling and outages are retried later by the outbox; a rejected
address is a permanent failure, so it is not retried."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws import client
from chalicelib.domain.notification import OutboxMessage
from chalicelib.services.ports import DeliveryError

_PERMANENT = {"MessageRejected", "MailFromDomainNotVerifiedException", "InvalidParameterValue"}


class SesEmailSender:
    def __init__(self, sender: str):
        self._sender = sender

    @property
    def _ses(self) -> Any:
        return client("ses")

    def send(self, message: OutboxMessage) -> str:
        body: dict[str, Any] = {"Text": {"Data": message.text, "Charset": "UTF-8"}}
        if message.html:
            body["Html"] = {"Data": message.html, "Charset": "UTF-8"}
        try:
            response = self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [message.recipient]},
                Message={"Subject": {"Data": message.subject, "Charset": "UTF-8"}, "Body": body},
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            raise DeliveryError(f"SES {code}: {error.response['Error'].get('Message', '')}",
                                permanent=code in _PERMANENT) from error
        except BotoCoreError as error:
            raise DeliveryError(f"SES unreachable: {error}") from error
        return str(response["MessageId"])

    def send_raw(self, recipient: str, mime: bytes) -> str:
        """A whole MIME message (inline images, attachments) as is, to ``recipient`` only: the
        headers may name others, the envelope decides who gets this copy."""
        try:
            response = self._ses.send_raw_email(
                Source=self._sender, Destinations=[recipient], RawMessage={"Data": mime}
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            raise DeliveryError(f"SES {code}: {error.response['Error'].get('Message', '')}",
                                permanent=code in _PERMANENT) from error
        except BotoCoreError as error:
            raise DeliveryError(f"SES unreachable: {error}") from error
        return str(response["MessageId"])
