"""boto3 clients, made on first use and cached, so importing the app never touches the network.

The endpoint comes from the environment: ``AWS_ENDPOINT_URL`` (read by boto3 itself) points every
client at the local stand-in; on AWS it is unset and the clients reach the real services.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config


def _config(service: str) -> Config:
    from botocore.config import Config

    # Connections: the sweep and the delivery run share each client among their threads (SWEEP_WORKERS,
    # up to 64); botocore's pool of 10 would make the others wait for a connection.
    retries = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=64)
    if service != "s3":
        return retries
    # SigV4 always: botocore still presigns with SigV2 in us-east-1, which S3 refuses for KMS-encrypted
    # objects. Path-style only for the stand-in (one host, no wildcard DNS); AWS wants virtual hosts.
    local = bool(os.environ.get("AWS_ENDPOINT_URL"))
    return retries.merge(
        Config(signature_version="s3v4", s3={"addressing_style": "path" if local else "virtual"})
    )


# What a client takes from the environment when it is made: its endpoint, region and credentials.
_MADE_FROM = (
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)


def client(service: str) -> Any:
    """The service's client for the environment as it is now (on AWS it never changes; tests move
    between moto and the local stand-in, and each keeps its clients)."""
    return _client(service, tuple(os.environ.get(name) for name in _MADE_FROM))


@cache
def _client(service: str, environment: tuple[str | None, ...]) -> Any:
    import boto3  # on first use, not at import: most cold starts need only some of the SDK

    return boto3.client(service, config=_config(service))  # type: ignore[call-overload]


def reset() -> None:
    """Forget cached clients (a test that changed what a client is made with in some other way)."""
    _client.cache_clear()
