"""The app's one Powertools logger. Every module logs through ``Logger(child=True)``; their records reach
this parent, which writes them as JSON lines, so CloudWatch Logs Insights can filter on any key.

Parent and children take the service name from ``POWERTOOLS_SERVICE_NAME`` (the stack and
``.chalice/config.json`` set it): a child attaches only to the parent of its own service name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger

logger = Logger()

# The key that ties together every line written while one ticket is handled (the sweep's lines carry
# it too, as an extra), so "ticket = 'SD-2026-000123'" finds its whole story across functions.
TICKET_KEY = "ticket"


@contextmanager
def log_context(*, ticket: str | None = None, correlation_id: str | None = None) -> Iterator[None]:
    """Adds the keys to every line logged meanwhile in this thread (the local server is threaded)."""
    keys = {k: v for k, v in ((TICKET_KEY, ticket), ("correlation_id", correlation_id)) if v}
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(list(keys))
