"""Reads what the local AWS stand-in (``local/aws_store.py``) took as sent: SES emails and SNS text messages.

Local mode only: on AWS the messages leave for real and there is nothing to read back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class SentMessage:
    kind: str  # "email" or "sms"
    to: str
    source: str
    subject: str
    body: str
    message_id: str


def sent_messages(endpoint_url: str, timeout: float = 5.0, *, limit: int | None = None,
                  skip: int = 0) -> list[SentMessage]:
    """Newest first; ``limit``/``skip``: one page of them. The stand-in lists them in the order they
    were sent and gives no timestamps; it reads only its lists of sent messages, not the whole state
    (``/moto-api/data.json``)."""
    query = f"?limit={limit}&skip={skip}" if limit is not None else ""
    url = f"{endpoint_url.rstrip('/')}/_local/sent-messages{query}"
    import urllib.request  # with the first look (the local page): an HTTP client is no cold start's business

    with urllib.request.urlopen(url, timeout=timeout) as response:
        data = json.load(response)
    messages = [
        SentMessage(m["kind"], m["to"], m["source"], m["subject"], m["body"], m["message_id"]) for m in data
    ]
    return messages[::-1]
