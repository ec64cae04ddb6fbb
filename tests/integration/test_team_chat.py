"""Team-chat robots (WeCom, DingTalk, Feishu) against a stand-in of each on loopback that checks, like
the vendors, the payload's shape and the signature, and answers refusals as they do: HTTP 200 with an
error code in the JSON body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.memory import MemoryOutbox
from chalicelib.adapters.secrets import read_secret
from chalicelib.adapters.team_chat import TeamChatSender
from chalicelib.domain.escalation import Roster, TeamChat
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel, OutboxMessage
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.plans import Role
from chalicelib.domain.ticket import Action, Priority
from chalicelib.i18n import events
from chalicelib.services.notifications import NotificationService, RoutingNotifier
from chalicelib.services.ports import DeliveryError
from ops.config import DEMO_ROSTER
from tests.fakes import fake_world, valid_report

DINGTALK_SECRET = "SEC-dingtalk-signing-secret"
FEISHU_SECRET = "feishu-signing-secret"
TEXT = "【售后服务】SD-2026-000001“派工”已超时，已超时 1小时。请处理：https://desk.example.com/escalations/t"


class Robots(ThreadingHTTPServer):
    """The three vendors' webhooks. ``answers``: what a vendor answers instead, by vendor (status, JSON)."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Webhook)
        self.received: list[tuple[str, dict[str, list[str]], dict]] = []
        self.answers: dict[str, tuple[int, dict]] = {}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"


class _Webhook(BaseHTTPRequestHandler):
    server: Robots

    def do_POST(self):  # noqa: N802
        parts = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parts.query)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert self.headers["Content-Type"].startswith("application/json")
        self.server.received.append((parts.path, query, body))
        if parts.path == "/cgi-bin/webhook/send":
            vendor, status, answer = "wecom", 200, _wecom(query, body)
        elif parts.path == "/robot/send":
            vendor, status, answer = "dingtalk", 200, _dingtalk(query, body)
        elif parts.path.startswith("/open-apis/bot/v2/hook/"):
            vendor, status, answer = "feishu", 200, _feishu(body)
        else:
            vendor, status, answer = "", 404, {}
        status, answer = self.server.answers.get(vendor, (status, answer))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _text_message(body: dict) -> bool:
    return set(body) == {"msgtype", "text"} and body["msgtype"] == "text" and bool(body["text"]["content"])


def _wecom(query, body) -> dict:
    if query.get("key") != ["wecom-key"]:
        return {"errcode": 93000, "errmsg": "invalid webhook url"}
    if not _text_message(body):
        return {"errcode": 40008, "errmsg": "invalid message type"}
    return {"errcode": 0, "errmsg": "ok"}


def _dingtalk(query, body) -> dict:
    if query.get("access_token") != ["dingtalk-token"]:
        return {"errcode": 300001, "errmsg": "token is not exist"}
    [timestamp], [sign] = query.get("timestamp", [""]), query.get("sign", [""])
    string_to_sign = f"{timestamp}\n{DINGTALK_SECRET}".encode()
    expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), string_to_sign, hashlib.sha256).digest()).decode()
    fresh = timestamp.isdigit() and abs(int(timestamp) - time.time() * 1000) < 3_600_000  # milliseconds
    if not (fresh and hmac.compare_digest(sign, expected)):
        return {"errcode": 310000, "errmsg": "sign not match"}
    if not _text_message(body):
        return {"errcode": 40035, "errmsg": "missing parameter"}
    return {"errcode": 0, "errmsg": "ok"}


def _feishu(body) -> dict:
    timestamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
    key = f"{timestamp}\n{FEISHU_SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    fresh = timestamp.isdigit() and abs(int(timestamp) - time.time()) < 3600  # seconds
    if not (fresh and hmac.compare_digest(sign, expected)):
        return {"code": 19021, "data": {}, "msg": "sign match fail or timestamp is not within one hour"}
    if set(body) != {"timestamp", "sign", "msg_type", "content"} or body["msg_type"] != "text" \
            or not body["content"]["text"]:
        return {"code": 9499, "data": {}, "msg": "Bad Request"}
    return {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}


@pytest.fixture
def robots():
    server = Robots()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def vault(robots):
    """Secret name → value, as an operator stores them in Secrets Manager."""
    return {
        "service-desk/chat/wecom": robots.url("/cgi-bin/webhook/send?key=wecom-key"),
        "service-desk/chat/dingtalk": json.dumps(
            {"url": robots.url("/robot/send?access_token=dingtalk-token"), "secret": DINGTALK_SECRET}),
        "service-desk/chat/feishu": json.dumps(
            {"url": robots.url("/open-apis/bot/v2/hook/feishu-hook"), "secret": FEISHU_SECRET}),
        "service-desk/chat/dingtalk-wrong-secret": json.dumps(
            {"url": robots.url("/robot/send?access_token=dingtalk-token"), "secret": "SEC-not-this-one"}),
        "service-desk/chat/feishu-wrong-secret": json.dumps(
            {"url": robots.url("/open-apis/bot/v2/hook/feishu-hook"), "secret": "not-this-one"}),
        "service-desk/chat/wecom-wrong-key": robots.url("/cgi-bin/webhook/send?key=revoked"),
        "service-desk/chat/not-json": "{url",
    }


def chat_message(recipient: str, text: str = TEXT) -> OutboxMessage:
    at = datetime.now(UTC)
    return OutboxMessage(id="m1", ticket_number="SD-2026-000001", purpose="escalation:breach:x:L1",
                         channel=MessageChannel.TEAM_CHAT, recipient=recipient, text=text, created_at=at,
                         next_attempt_at=at)


@pytest.mark.parametrize("vendor", ["wecom", "dingtalk", "feishu"])
def test_each_vendor_gets_its_own_payload_signed_as_it_checks(robots, vault, vendor):
    sender = TeamChatSender(vault.__getitem__)

    provider_id = sender.send(chat_message(f"{vendor}:service-desk/chat/{vendor}"))

    assert provider_id.startswith(vendor)
    [(_, _, body)] = robots.received
    words = body["content"]["text"] if vendor == "feishu" else body["text"]["content"]
    assert words == TEXT, "the SMS's words, link included, as they are"


def test_an_unsigned_dingtalk_robot_gets_no_signature(robots):
    sender = TeamChatSender(lambda name: robots.url("/robot/send?access_token=dingtalk-token"))
    with pytest.raises(DeliveryError) as refused:
        sender.send(chat_message("dingtalk:service-desk/chat/unsigned"))
    [(_, query, _)] = robots.received
    assert "sign" not in query and "timestamp" not in query
    assert "310000" in str(refused.value), "this stand-in's robot requires a signature"


@pytest.mark.parametrize(
    ("secret", "code"),
    [
        ("dingtalk-wrong-secret", "DingTalk 310000: sign not match"),
        ("feishu-wrong-secret", "Feishu 19021: sign match fail"),
        ("wecom-wrong-key", "WeCom 93000: invalid webhook url"),
    ],
)
def test_a_bad_signature_or_url_answered_with_http_200_is_a_permanent_failure(robots, vault, secret, code):
    vendor = secret.split("-")[0]
    with pytest.raises(DeliveryError) as refused:
        TeamChatSender(vault.__getitem__).send(chat_message(f"{vendor}:service-desk/chat/{secret}"))
    assert code in str(refused.value)
    assert refused.value.permanent


@pytest.mark.parametrize(
    ("vendor", "status", "answer"),
    [
        ("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
        ("feishu", 200, {"code": 11232, "data": {}, "msg": "frequency limited"}),
        ("wecom", 200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        ("wecom", 502, {}),
        ("feishu", 429, {}),
    ],
)
def test_a_busy_or_failing_vendor_is_tried_again(robots, vault, vendor, status, answer):
    robots.answers[vendor] = (status, answer)
    with pytest.raises(DeliveryError) as refused:
        TeamChatSender(vault.__getitem__).send(chat_message(f"{vendor}:service-desk/chat/{vendor}"))
    assert not refused.value.permanent


def test_a_webhook_that_is_gone_or_a_secret_that_is_not_a_robot_fails_for_good(robots, vault):
    robots.answers["wecom"] = (404, {})
    with pytest.raises(DeliveryError) as gone:
        TeamChatSender(vault.__getitem__).send(chat_message("wecom:service-desk/chat/wecom"))
    assert gone.value.permanent
    for value in ("{url", "http://robots.example.com/plain-http", '{"secret": "no url"}'):
        with pytest.raises(DeliveryError) as unusable:
            TeamChatSender(lambda name, v=value: v).send(chat_message("wecom:service-desk/chat/x"))
        assert unusable.value.permanent
        assert "no url" not in str(unusable.value), "a secret's value never reaches the timeline"


def test_an_unreachable_robot_is_tried_again(robots):
    url = robots.url("/cgi-bin/webhook/send?key=wecom-key")
    robots.shutdown()
    robots.server_close()
    with pytest.raises(DeliveryError) as unreachable:
        TeamChatSender(lambda name: url).send(chat_message("wecom:service-desk/chat/wecom"))
    assert not unreachable.value.permanent


def test_the_robots_url_and_secret_come_from_secrets_manager(robots, vault):
    with mock_aws():
        boto3.client("secretsmanager").create_secret(
            Name="service-desk/chat/dingtalk", SecretString=vault["service-desk/chat/dingtalk"])
        TeamChatSender(read_secret).send(chat_message("dingtalk:service-desk/chat/dingtalk"))
    [(path, query, _)] = robots.received
    assert path == "/robot/send" and query["access_token"] == ["dingtalk-token"] and query["sign"]


def test_a_vendors_refusal_through_the_outbox_fails_for_good_or_retries_and_shows_on_the_timeline(robots, vault):
    world = fake_world()
    chats = {Role.GENERAL_MANAGER: (TeamChat(name="总经理群", vendor="dingtalk", secret="service-desk/chat/dingtalk"),),
             Role.CHIEF_ENGINEER: (
                 TeamChat(name="总工群", vendor="feishu", secret="service-desk/chat/feishu-wrong-secret"),)}
    world.services.config.put_roster(Roster(scope="default", levels=DEMO_ROSTER.levels, chats=chats))
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.notifier.failures = 99  # the in-request delivery goes nowhere: the outbox's own run sends them
    world.services.desk.classify(receipt.number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    world.clock.advance(timedelta(hours=2))
    world.services.sla.sweep()  # the contact breach has climbed to the general manager's group, dispatch's to the chief's
    outbox = NotificationService(MemoryOutbox(world.tickets),
                                 RoutingNotifier({MessageChannel.TEAM_CHAT: TeamChatSender(vault.__getitem__)}),
                                 world.clock, max_attempts=3)
    robots.answers["dingtalk"] = (200, {"errcode": 130101, "errmsg": "send too fast"})
    world.clock.advance(timedelta(minutes=5))

    ended = outbox.deliver(m for m in world.tickets.messages.values() if m.channel == MessageChannel.TEAM_CHAT)

    states = {vendor: {m.state for m in ended if m.recipient.startswith(vendor)} for vendor in ("dingtalk", "feishu")}
    assert states == {"dingtalk": {DeliveryState.PENDING}, "feishu": {DeliveryState.FAILED}}, \
        "DingTalk busy: again later; Feishu refused the signature: for good"
    lines = [events.describe("zh-CN", e, timezone="Asia/Shanghai").text
             for e in world.tickets.events(receipt.number) if e.action == Action.NOTIFY and e.payload.channel == "team_chat"]
    assert any("飞书群（service-desk/chat/feishu-wrong-secret） 失败，不再重试：Feishu 19021" in line for line in lines)
    assert any("钉钉群（service-desk/chat/dingtalk） 失败，将重试：DingTalk 130101: send too fast" in line
               for line in lines)

    robots.answers.clear()
    world.clock.advance(timedelta(minutes=5))
    retried = outbox.deliver(m for m in world.tickets.messages.values() if m.channel == MessageChannel.TEAM_CHAT)
    assert {m.recipient: m.state for m in retried} == {"dingtalk:service-desk/chat/dingtalk": DeliveryState.SENT}
