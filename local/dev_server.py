"""``chalice local`` as the local stack runs it, a little closer to API Gateway in front of the app.

- Its listen backlog is socketserver's 5: a sixth customer connecting at the same moment would be reset
  instead of waiting for a thread, so it is raised.
- Python's HTTP server answers a method it has no handler for (TRACE, CONNECT, anything made up) with
  ``501 Not Implemented`` before the app sees it. API Gateway answers such a request itself with a 4xx,
  never the function; here the local gateway answers it as for any other method no route has: ``405``
  on a path the app serves, ``403 Missing Authentication Token`` on any other.

    python -m local.dev_server local --no-autoreload --host 127.0.0.1 --port 8000 --stage local
"""

from __future__ import annotations

import sys
from typing import Any

from chalice import local
from chalice.cli import main as chalice_main

LISTEN_BACKLOG = 128


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
    sys.argv[0] = "chalice"
    return int(chalice_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
