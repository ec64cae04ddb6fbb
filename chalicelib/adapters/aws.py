"""boto3 clients, made on first use and cached, so importing the app never touches the network.

The endpoint comes from the environment: ``AWS_ENDPOINT_URL`` (read by boto3 itself) points every
client at the local stand-in; on AWS it is unset and the clients reach the real services.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, s3={"addressing_style": "path"})


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]


def reset() -> None:
    """Forget cached clients; tests call it when they switch between moto and another endpoint."""
    client.cache_clear()
