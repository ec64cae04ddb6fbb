"""The staff API and outgoing webhooks end to end over moto: an admin subscribes a receiver on loopback,
a customer's report and an integration's move become signed deliveries that the receiver checks, a
failing receiver is retried after the backoff, and the delivery log says how each attempt went."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import boto3
import pytest

from chalicelib.adapters.clock import SystemClock
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.webhooks import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify_signature
from tests.fakes import valid_report
from tests.integration.conftest import forged_token

SECRET_NAME = "service-desk/webhook/erp"
SECRET = "erp-signing-secret-0123456789abcdef"
JSON = {"Content-Type": "application/json"}


class Receiver(ThreadingHTTPServer):
    """An ERP's webhook endpoint: refuses a delivery whose signature is not ours (401), and answers
    the statuses of ``script`` first (a receiver that is down)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Endpoint)
        self.script: list[int] = []
        self.received: list[dict] = []
        self.refused = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/hooks/desk"


class _Endpoint(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.server.script.pop(0) if self.server.script else 200
        if not verify_signature(SECRET, self.headers[SIGNATURE_HEADER] or "", body, now=int(time.time())):
            self.server.refused += 1
            status = 401
        elif status == 200:
            delivery = json.loads(body)
            assert delivery["event"] == self.headers[EVENT_HEADER] and delivery["id"] == self.headers[DELIVERY_HEADER]
            self.server.received.append(delivery)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    # shutdown() waits for the loop's next look (every 0.5 s by default)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def admin(staff_token):
    return {**JSON, "Authorization": f"Bearer {staff_token('ops-admin', StaffRole.ADMIN)}"}


def machine(aws, *scopes: str) -> dict[str, str]:
    """An integration's access token, as Cognito's token endpoint issues it for client credentials."""
    now = int(time.time())
    token = forged_token(
        {
            "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{aws['user_pool_id']}",
            "token_use": "access",
            "client_id": "erp-client",
            "sub": "erp-client",
            "scope": " ".join(scopes),
            "iat": now,
            "exp": now + 600,
        }
    )
    return {**JSON, "Authorization": f"Bearer {token}"}


def store_secret(value: str = SECRET, name: str = SECRET_NAME) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(Name=name, SecretString=value)


def deliver(client, later: timedelta = timedelta(0)) -> None:
    """The scheduled delivery run, as EventBridge starts it, at ``later`` from now."""
    with mock.patch.object(SystemClock, "now", return_value=datetime.now(UTC) + later):
        client.lambda_.invoke(
            "deliver_notifications",
            client.events.generate_cw_event(
                source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
            ),
        )


def subscribe(client, admin, url, events=("ticket.opened", "ticket.classified")):
    body = {"name": "ERP", "url": url, "events": list(events), "secret_name": SECRET_NAME}
    return client.http.post("/api/v1/webhooks", body=json.dumps(body), headers=admin)


def report(client) -> str:
    response = client.http.post("/api/requests", body=json.dumps(valid_report()), headers=JSON)
    assert response.status_code == 201
    return response.json_body["number"]


def test_an_opened_ticket_and_a_machine_move_reach_the_receiver_signed_and_retried(client, aws, admin, receiver):
    store_secret()
    subscribed = subscribe(client, admin, receiver.url)
    assert subscribed.status_code == 201
    subscription = subscribed.json_body["id"]

    receiver.script = [503]
    number = report(client)
    deliver(client)
    assert receiver.received == [], "the receiver was down"
    deliver(client, later=timedelta(minutes=1, seconds=5))
    assert [(d["event"], d["ticket"]["number"]) for d in receiver.received] == [("ticket.opened", number)]

    classify = {"kind": "fault", "priority": "B", "billing": "free", "plan": "standard", "in_province": "yes"}
    moved = client.http.post(
        f"/api/v1/tickets/{number}/classify", body=json.dumps(classify), headers=machine(aws, "service-desk/supervisor")
    )
    assert moved.status_code == 200 and moved.json_body["status"] == "triaged"
    deliver(client, later=timedelta(minutes=2))
    assert [d["event"] for d in receiver.received] == ["ticket.opened", "ticket.classified"]
    assert receiver.received[1]["ticket"]["priority"] == "B"
    assert receiver.refused == 0

    log = client.http.get(f"/api/v1/webhooks/{subscription}/deliveries", headers=admin).json_body["items"]
    assert [(a["event"], a["outcome"], a["status_code"]) for a in log] == [
        ("ticket.classified", "delivered", 200),
        ("ticket.opened", "delivered", 200),
        ("ticket.opened", "will_retry", 503),
    ]
    timeline = client.http.get(f"/api/v1/tickets/{number}", headers=admin).json_body["timeline"]
    assert any(e["action"] == "classify" and e["actor"] == "api:erp-client" for e in timeline)


def test_a_subscription_whose_secret_cannot_sign_or_whose_url_is_not_https_is_refused(client, admin):
    missing = subscribe(client, admin, "https://erp.example.com/hooks")
    assert missing.status_code == 400 and "secret_name" in missing.json_body["fields"]
    store_secret("short")
    short = subscribe(client, admin, "https://erp.example.com/hooks")
    assert short.status_code == 400 and "32" in short.json_body["fields"]["secret_name"]
    plain = subscribe(client, admin, "http://erp.example.com/hooks")
    assert plain.status_code == 400 and "url" in plain.json_body["fields"]
    assert client.http.get("/api/v1/webhooks", headers=admin).json_body["items"] == []


def test_a_wrong_scope_or_no_token_gets_a_clear_refusal(client, aws, staff_token):
    number = report(client)
    classify = {"kind": "fault", "priority": "B", "billing": "free", "plan": "standard", "in_province": "yes"}
    for headers in (
        machine(aws, "service-desk/quality"),
        machine(aws, "service-desk/technician"),
        machine(aws, "aws.cognito.signin.user.admin"),
    ):
        refused = client.http.post(f"/api/v1/tickets/{number}/classify", body=json.dumps(classify), headers=headers)
        assert refused.status_code == 403 and refused.json_body["error"] == "forbidden"
    assert client.http.get("/api/v1/webhooks", headers=machine(aws, "service-desk/supervisor")).status_code == 403
    assert client.http.get("/api/v1/tickets?status=new", headers=JSON).status_code == 401
    desk = {**JSON, "Authorization": f"Bearer {staff_token('desk-1', StaffRole.DESK)}"}
    assert client.http.get("/api/v1/webhooks", headers=desk).status_code == 403


def test_tickets_are_found_a_page_at_a_time_with_a_cursor(client, aws):
    numbers = [report(client) for _ in range(3)]
    headers = machine(aws, "service-desk/desk")
    first = client.http.get("/api/v1/tickets?status=new&limit=2", headers=headers).json_body
    assert len(first["items"]) == 2 and first["cursor"]
    rest = client.http.get(f"/api/v1/tickets?status=new&limit=2&cursor={first['cursor']}", headers=headers).json_body
    found = [row["number"] for row in first["items"] + rest["items"]]
    assert found == sorted(numbers, reverse=True) and rest["cursor"] is None
    assert client.http.get("/api/v1/tickets?status=new&cursor=forged", headers=headers).status_code == 400
    assert client.http.get("/api/v1/tickets", headers=headers).json_body["error"] == "query_empty"
    assert client.http.get("/api/v1/tickets?status=new&limit=1000", headers=headers).status_code == 400
    assert client.http.get("/api/v1/tickets?status=new&limit=%C2%B2", headers=headers).status_code == 400  # ²


def test_a_move_the_ticket_cannot_make_now_is_a_conflict_in_the_callers_language(client, aws):
    number = report(client)
    headers = {**machine(aws, "service-desk/supervisor"), "Accept-Language": "en"}
    refused = client.http.post(f"/api/v1/tickets/{number}/resume", body="{}", headers=headers)
    assert refused.status_code == 409 and "not possible" in refused.json_body["message"]
    bad = client.http.post(f"/api/v1/tickets/{number}/dispatch", body=json.dumps({"technicians": []}), headers=headers)
    assert bad.status_code == 400 and "technicians" in bad.json_body["fields"]
    assert client.http.get("/api/v1/tickets/SD-2026-999999", headers=headers).status_code == 404


def test_each_timeline_line_reads_in_the_callers_language_from_what_the_move_recorded(client, aws, admin):
    number = report(client)

    lines = {
        lang: [e["summary"] for e in client.http.get(f"/api/v1/tickets/{number}?lang={lang}", headers=admin)
               .json_body["timeline"]]
        for lang in ("zh-CN", "en")
    }

    assert "报修受理：渠道：网页；服务类型：故障维修" in lines["zh-CN"]
    assert "Request received: channel: web; type: Fault / repair" in lines["en"]


def test_the_technician_works_his_job_through_the_api_and_nobody_else_can(client, aws, staff_token):
    number = report(client)
    wang = {**JSON, "Authorization": f"Bearer {staff_token('tech-wang', StaffRole.TECHNICIAN)}"}
    li = {**JSON, "Authorization": f"Bearer {staff_token('tech-li', StaffRole.TECHNICIAN)}"}
    office = machine(aws, "service-desk/supervisor")
    classify = {"kind": "fault", "priority": "B", "billing": "free", "plan": "standard", "in_province": "yes"}
    assert (
        client.http.post(f"/api/v1/tickets/{number}/classify", body=json.dumps(classify), headers=office).status_code
        == 200
    )
    dispatched = client.http.post(
        f"/api/v1/tickets/{number}/dispatch", body=json.dumps({"technicians": ["tech-wang"]}), headers=office
    )
    assert dispatched.json_body["status"] == "dispatched"

    assert client.http.post(f"/api/v1/tickets/{number}/check-in", body="{}", headers=li).status_code == 404
    assert client.http.post(f"/api/v1/tickets/{number}/check-in", body="{}", headers=office).status_code == 403
    for step in ("set-out", "check-in", "start-repair", "resolve"):
        moved = client.http.post(f"/api/v1/tickets/{number}/{step}", body="{}", headers=wang)
        assert moved.status_code == 200, (step, moved.json_body)
    assert moved.json_body["status"] == "on_site"
    mine = client.http.get("/api/v1/tickets?status=on_site", headers=wang).json_body["items"]
    assert [row["number"] for row in mine] == [number]
    assert client.http.get("/api/v1/tickets?status=on_site", headers=li).json_body["items"] == []

    early = client.http.post(f"/api/v1/tickets/{number}/approve", body="{}", headers=office)
    assert early.status_code == 409 and early.json_body["error"] == "move_illegal"


def test_the_queue_puts_the_nearest_deadline_first_with_each_tickets_sla_state(client, aws):
    first, second = report(client), report(client)
    headers = machine(aws, "service-desk/desk")
    page = client.http.get("/api/v1/queue?status=new", headers=headers).json_body
    rows = {row["number"]: row for row in page["items"]}
    assert [row["number"] for row in page["items"]][:2] == [first, second], "the older report's hour runs out first"
    assert rows[first]["sla_state"] == "on_time" and rows[first]["next_milestone"] == "contacted"
    assert rows[first]["next_due_at"] and page["after"] is None
    assert client.http.get("/api/v1/queue?after=forged", headers=headers).status_code == 400
    assert client.http.get("/api/v1/queue", headers=machine(aws, "service-desk/quality")).status_code == 403
