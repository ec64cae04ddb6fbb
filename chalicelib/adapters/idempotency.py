"""Exactly-once form submissions, with Powertools' idempotency records kept in our single table.

A double-click or a retried request with the same key returns the first result instead of opening
a second ticket; the same key with different content is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from chalicelib.adapters import keys, schema
from chalicelib.adapters.aws import client
from chalicelib.services.ports import KeyReused, StillInProgress


class IdempotentRunner:
    def __init__(self, table_name: str, *, expires_after_seconds: int, wait_seconds: float = 8.0):
        self._table_name = table_name
        self._expires = expires_after_seconds
        self._wait_seconds = wait_seconds
        self._store: DynamoDBPersistenceLayer | None = None

    def _persistence(self) -> DynamoDBPersistenceLayer:
        if self._store is None:
            self._store = DynamoDBPersistenceLayer(
                table_name=self._table_name,
                key_attr="pk",
                sort_key_attr="sk",
                static_pk_value=keys.IDEMPOTENCY_PK,
                expiry_attr=schema.TTL_ATTRIBUTE,
                boto3_client=client("dynamodb"),
            )
        return self._store

    def run(
        self,
        scope: str,
        key: str,
        payload: dict[str, Any],
        work: Callable[[], dict[str, Any]],
        lambda_context: Any = None,
    ) -> dict[str, Any]:
        """Run ``work`` once per (scope, key); later calls get its stored result."""
        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="payload",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self._expires,
        )
        if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
            # Lets a crashed attempt's lock expire with the invocation instead of after a day.
            config.register_lambda_context(lambda_context)

        @idempotent_function(
            data_keyword_argument="request",
            persistence_store=self._persistence(),
            config=config,
            key_prefix=scope,
        )
        def once(request: dict[str, Any]) -> dict[str, Any]:
            return work()

        deadline = time.monotonic() + self._wait_seconds
        while True:
            try:
                return once(request={"key": key, "payload": payload})
            except IdempotencyValidationError as error:
                raise KeyReused(key) from error
            except IdempotencyAlreadyInProgressError as error:
                # A double-click: the first request is still writing. Wait for its answer.
                if time.monotonic() > deadline:
                    raise StillInProgress(key) from error
                time.sleep(0.25)
