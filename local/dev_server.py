"""``chalice local`` as the local stack runs it, a little closer to API Gateway in front of the app.

- It answers only once what the request wrote is on disk. Every request the app makes to the local
  AWS stand-in is marked ``X-Local-Durability: deferred`` (through botocore's built-in handlers, so
  every client and session gets it): the stand-in answers it as soon as it is in its log, without an
  fsync of its own. After the app has answered and before the answer leaves, the dev server asks the
  stand-in for one fsync of everything written so far (``POST /_local/sync``). A customer who sees
  "received" still finds the report after a power cut, for one fsync per form post instead of one
  per request it made (about 14). If the stand-in cannot say the writes are durable, the answer is a
  503 asking to send again (the form's idempotency key makes that safe).
- The stand-in's answers' headers are read as the stand-in reads requests' (``parse_headers_quickly``),
  without the email package's feed parser: a tenth of the app's time per form post went there.
- Its listen backlog is socketserver's 5: a sixth customer connecting at the same moment would be reset
  instead of waiting for a thread, so it is raised.
- Python's HTTP server answers a method it has no handler for (TRACE, CONNECT, anything made up) with
  ``501 Not Implemented`` before the app sees it. API Gateway answers such a request itself with a 4xx,
  never the function; here the local gateway answers it as for any other method no route has: ``405``
  on a path the app serves, ``403 Missing Authentication Token`` on any other.

    python -m local.dev_server local --no-autoreload --host 127.0.0.1 --port 8000 --stage local
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from chalice import local
from chalice.cli import main as chalice_main

from local.aws_store import DEFERRED_HEADER, DEFERRED_VALUE, HEALTH_PATH, SYNC_PATH, parse_headers_quickly

LISTEN_BACKLOG = 128
SYNC_TIMEOUT_SECONDS = 30
READY_TIMEOUT_SECONDS = 120
NOT_DURABLE_BODY = (
    "本地存储暂时无法确认数据已写入磁盘，请稍后重新提交（不会重复登记）。\n"
    "The local store could not confirm your data is on disk; please send it again (it will not be "
    "recorded twice).\n"
)


def mark_deferred(request: Any, **_: Any) -> None:
    """botocore ``before-send`` handler (after signing: the header is not part of the signature)."""
    request.headers[DEFERRED_HEADER] = DEFERRED_VALUE


class Syncer:
    """Asks the stand-in to make everything answered so far durable, over kept-open connections."""

    def __init__(self, endpoint_url: str) -> None:
        import urllib3

        self._url = endpoint_url.rstrip("/") + SYNC_PATH
        self._health_url = endpoint_url.rstrip("/") + HEALTH_PATH
        self._pool = urllib3.PoolManager(maxsize=32, retries=False)
        self._ready = threading.Event()

    def wait_until_ready(self) -> None:
        """The dev server starts while the stand-in may still be loading its state: a request waits
        for it rather than failing on its 503s."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not self._ready.is_set() and time.monotonic() < deadline:
            try:
                if self._pool.request("GET", self._health_url, timeout=5).status == 200:
                    self._ready.set()
                    return
            except Exception:  # noqa: BLE001, S110 - not listening yet
                pass
            time.sleep(0.1)

    def __call__(self) -> bool:
        try:
            answer = self._pool.request("POST", self._url, timeout=SYNC_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001 - any failure means "not known to be durable"
            return False
        return bool(answer.status == 200)


def durable_before_answering(handle_request: Callable[..., Any], sync: Callable[[], bool]) -> Callable[..., Any]:
    """Wraps ``LocalGateway.handle_request``: its answer is returned only once ``sync`` has succeeded."""

    def handle(self: Any, *args: Any, **kwargs: Any) -> Any:
        getattr(sync, "wait_until_ready", lambda: None)()
        try:
            response = handle_request(self, *args, **kwargs)
        except local.LocalGatewayException:  # the gateway's own 4xx; the app may have written first
            sync()
            raise
        if sync():
            return response
        return {
            "statusCode": 503,
            "headers": {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "1"},
            "multiValueHeaders": {},
            "body": NOT_DURABLE_BODY,
        }

    return handle


def answer_once_durable(endpoint_url: str) -> None:
    import http.client

    from botocore import handlers

    http.client.parse_headers = parse_headers_quickly  # type: ignore[assignment]

    handlers.BUILTIN_HANDLERS.append(("before-send", mark_deferred))
    local.LocalGateway.handle_request = durable_before_answering(  # type: ignore[method-assign]
        local.LocalGateway.handle_request, Syncer(endpoint_url)
    )


def _any_method(handler: Any, name: str) -> Any:
    """``BaseHTTPRequestHandler`` looks up ``do_<METHOD>``; every method it has none for goes to the
    gateway like GET and POST do."""
    if name.startswith("do_"):
        return handler._generic_handle
    raise AttributeError(name)


def patch() -> None:
    local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    local.ChaliceRequestHandler.__getattr__ = _any_method  # type: ignore[attr-defined]


def main() -> int:
    patch()
    endpoint_url = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint_url:  # without the stand-in (a real account) there is nothing to wait for
        answer_once_durable(endpoint_url)
    sys.argv[0] = "chalice"
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
