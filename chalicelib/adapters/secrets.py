"""Secrets read at run time from AWS Secrets Manager (Powertools parameters, cached), so no secret is
ever a Lambda environment value. Locally a secret may come straight from its environment variable.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from chalicelib.adapters.aws import client

# A rotated secret reaches every warm function within this many seconds, one Secrets Manager call each.
CACHE_SECONDS = 300

Secret = Callable[[], str]


@lru_cache(maxsize=1)
def _provider(secrets_client: Any) -> SecretsProvider:
    return SecretsProvider(boto3_client=secrets_client)


def forget_values_read() -> None:
    """Read every secret afresh from now on (tests: a secret one test stored is gone in the next)."""
    _provider.cache_clear()


def read_secret(name: str) -> str:
    """The current value of the secret with this name or ARN (a plain string secret)."""
    return str(_provider(client("secretsmanager")).get(name, max_age=CACHE_SECONDS))


def secret(*, name: str, local_value: str) -> Secret:
    """Reads the secret named in Secrets Manager when a name is given (AWS), else the local value."""
    if name:
        return lambda: read_secret(name)
    return lambda: local_value
