"""The local dev server answers every HTTP method with the app's 4xx, as API Gateway would, never the
501 of Python's HTTP server: a method nobody handles is refused, not "not implemented"."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator

import pytest
from chalice.config import Config
from chalice.local import LocalDevServer

from local import dev_server


@pytest.fixture
def server(aws) -> Iterator[LocalDevServer]:
    import app

    dev_server.patch()
    running = LocalDevServer(app.app, Config(chalice_stage="local"), "127.0.0.1", 0)
    # shutdown() waits for the loop's next look (every 0.5 s by default)
    thread = threading.Thread(target=running.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


def answer(server: LocalDevServer, method: str, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.server.server_address[1], timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("TRACE", "/", 405),
        ("TRACE", "/api/requests", 405),
        ("CONNECT", "/api/requests", 405),
        ("PROPFIND", "/staff", 405),
        ("TRACE", "/no-such-page", 403),  # API Gateway's "Missing Authentication Token"
    ],
)
def test_a_method_no_route_has_is_refused_with_a_4xx(server, method, path, status):
    assert answer(server, method, path) == status


def test_the_methods_the_app_serves_still_reach_it(server):
    assert answer(server, "GET", "/?lang=en") == 200
