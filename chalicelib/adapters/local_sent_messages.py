"""Reads what the local AWS stand-in (moto) recorded as sent: SES emails and SNS text messages.

Local mode only: on AWS the messages leave for real and there is nothing to read back.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class SentMessage:
    kind: str  # "email" or "sms"
    to: str
    source: str
    subject: str
    body: str
    message_id: str


def sent_messages(endpoint_url: str, timeout: float = 5.0) -> list[SentMessage]:
    """Newest first. moto keeps them in the order they were sent and gives no timestamps."""
    with urllib.request.urlopen(f"{endpoint_url.rstrip('/')}/moto-api/data.json", timeout=timeout) as response:
        data = json.load(response)
    messages: list[SentMessage] = []
    for m in data.get("ses", {}).get("Message", []):
        destinations = m.get("destinations") or {}
        to = ", ".join(destinations.get("ToAddresses", []) + destinations.get("CcAddresses", []))
        messages.append(
            SentMessage("email", to, m.get("source", ""), m.get("subject", ""), m.get("body", ""), m.get("id", ""))
        )
    for m in data.get("ses", {}).get("RawMessage", []):
        # The app sends a raw email to one recipient at a time (Destinations=[recipient]); moto then
        # appends the message's own To/Cc addresses, which SES would not send to. The first is ours.
        to = (m.get("destinations") or [""])[0]
        messages.append(SentMessage("email", to, m.get("source", ""), "", m.get("raw_data", ""), m.get("id", "")))
    for m in data.get("sns", {}).get("SMS", []):
        messages.append(SentMessage("sms", m.get("phone_number", ""), "", "", m.get("message", ""),
                                    m.get("message_id", "")))
    return messages[::-1]
