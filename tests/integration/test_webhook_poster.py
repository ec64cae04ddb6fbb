"""The webhook sender's HTTP client against a receiver on loopback: on AWS it posts to public addresses
only (an admin's URL must not reach the metadata service, the function's own machine or a private
network, however its name is written), and the local stack's receivers are reached where allowed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.adapters.http_webhooks import HttpWebhookPoster
from chalicelib.services.ports import DeliveryError


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Hook)
        self.heard: list[tuple[str, bytes]] = []


class _Hook(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802
        self.server.heard.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    # shutdown() waits for the loop's next look (every 0.5 s by default)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_local_stacks_receiver_is_posted_to_where_allowed(receiver):
    answer = HttpWebhookPoster(allow_private=True).post(
        f"http://127.0.0.1:{receiver.server_port}/hooks?from=desk", b'{"id": "1"}', {"X-Test": "1"}
    )
    assert answer.status_code == 204 and receiver.heard == [("/hooks?from=desk", b'{"id": "1"}')]


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",  # a name that resolves to this machine
        "2130706433",  # 127.0.0.1 written as one number
        "0x7f000001",
        "[::ffff:127.0.0.1]",
    ],
)
def test_on_aws_an_address_that_is_not_public_is_refused_for_good_before_connecting(receiver, host):
    with pytest.raises(DeliveryError) as refused:
        HttpWebhookPoster().post(f"http://{host}:{receiver.server_port}/hooks", b"{}", {})
    assert refused.value.permanent and "not a public address" in str(refused.value)
    assert receiver.heard == []


def test_a_receiver_that_cannot_be_reached_is_tried_again_later(receiver):
    port = receiver.server_port
    receiver.shutdown()
    receiver.server_close()
    with pytest.raises(DeliveryError) as unreachable:
        HttpWebhookPoster(allow_private=True).post(f"http://127.0.0.1:{port}/hooks", b"{}", {})
    assert not unreachable.value.permanent
