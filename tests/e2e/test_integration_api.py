"""An ERP follows the running local stack as it would a deployed one: an admin makes its app client,
it gets an access token from the pool's token endpoint, subscribes its receiver to new tickets, and a
customer's report reaches the receiver signed; it then reads the ticket through the staff API."""

from __future__ import annotations

import base64
import json
import queue
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest

from chalicelib.adapters.aws import client
from chalicelib.adapters.cognito import add_api_client, ensure_api_scopes
from chalicelib.domain.webhooks import SIGNATURE_HEADER, verify_signature
from tests.e2e.stack import LocalStack
from tests.fakes import valid_report

pytestmark = pytest.mark.e2e
SECRET = "e2e-signing-secret-0123456789abcdefghij"


def call(stack: LocalStack, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> dict:
    request = urllib.request.Request(
        stack.app_url + path, data=body, headers=headers or {}, method="POST" if body is not None else "GET"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_an_erp_gets_a_token_subscribes_and_hears_of_a_new_ticket_signed(local_stack: LocalStack, desk) -> None:
    heard: queue.Queue[dict] = queue.Queue()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            signed = verify_signature(SECRET, self.headers[SIGNATURE_HEADER] or "", body, now=int(time.time()))
            self.send_response(200 if signed else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if signed:
                heard.put(json.loads(body))

        def log_message(self, *args):
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    subscribed: dict = {}
    try:
        pool = local_stack.services_environment()["COGNITO_USER_POOL_ID"]
        ensure_api_scopes(pool)
        erp = add_api_client(pool, f"erp-{time.time_ns()}", ["admin", "desk"])
        secret_name = f"service-desk/webhook/e2e-{time.time_ns()}"
        client("secretsmanager").create_secret(Name=secret_name, SecretString=SECRET)

        basic = base64.b64encode(f"{erp.client_id}:{erp.secret}".encode()).decode()
        token = call(
            local_stack,
            "/local/oauth2/token",
            urlencode({"grant_type": "client_credentials"}).encode(),
            {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        )
        bearer = {"Authorization": f"Bearer {token['access_token']}", "Content-Type": "application/json"}
        subscription = {
            "name": "ERP",
            "url": f"http://127.0.0.1:{receiver.server_port}/hooks",
            "events": ["ticket.opened"],
            "secret_name": secret_name,
        }
        subscribed = call(local_stack, "/api/v1/webhooks", json.dumps(subscription).encode(), bearer)

        # The local stack keeps no subscriptions cached (WEBHOOK_CACHE_SECONDS=0): the next report is heard.
        call(local_stack, "/api/requests", json.dumps(valid_report()).encode(), {"Content-Type": "application/json"})
        local_stack.run_now("deliver_notifications")
        try:
            delivery = heard.get(timeout=30)
        except queue.Empty:
            pytest.fail("no signed delivery reached the receiver")
        assert delivery["event"] == "ticket.opened" and delivery["ticket"]["number"].startswith("SD-")

        ticket = call(local_stack, f"/api/v1/tickets/{delivery['ticket']['number']}", headers=bearer)
        assert ticket["status"] == "new" and ticket["timeline"][0]["action"] == "submit"
        log = call(local_stack, f"/api/v1/webhooks/{subscribed['id']}/deliveries", headers=bearer)["items"]
        assert log[0]["outcome"] == "delivered" and log[0]["status_code"] == 200
    finally:
        if subscribed:  # the stack is shared: later tests' tickets must not go to a receiver that is gone
            request = urllib.request.Request(
                local_stack.app_url + f"/api/v1/webhooks/{subscribed['id']}", headers=bearer, method="DELETE"
            )
            urllib.request.urlopen(request, timeout=30).close()
        receiver.shutdown()
