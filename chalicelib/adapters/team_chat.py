"""Messages to a team chat's group robot: WeCom (企业微信), DingTalk (钉钉) or Feishu (飞书).

Each is one HTTPS POST of JSON to the robot's webhook URL. The URL is a credential, so it lives in
Secrets Manager with the robot's signing secret, as JSON ``{"url": "...", "secret": "..."}`` (or the
bare URL for an unsigned robot); the outbox names only the secret. DingTalk and Feishu answer HTTP 200
even when they refuse a message: the error is a code in the JSON body, and it decides whether trying
again can help.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.escalation import ChatVendor, chat_address
from chalicelib.domain.notification import OutboxMessage
from chalicelib.services.ports import DeliveryError

# A function runs 30 s at most and may send several messages: a robot that hangs must not take them all.
TIMEOUT_SECONDS = 10
# WeCom takes at most 2,048 bytes of text; the others more. Our texts are SMS-sized, this is a guard.
MAX_TEXT_BYTES = 2000

# Codes that say the robot's URL, signature, IP allow-list or keywords are wrong: no retry can help.
_PERMANENT = {
    ChatVendor.WECOM: {93000, 40008, 44004},  # invalid webhook URL, bad message type, empty text
    ChatVendor.DINGTALK: {300001, 300005, 310000},  # token unknown (twice), sign/keyword/IP refused
    ChatVendor.FEISHU: {9499, 19001, 19021, 19022, 19024},  # bad request, token, sign, IP, keyword
}
_NAMES = {ChatVendor.WECOM: "WeCom", ChatVendor.DINGTALK: "DingTalk", ChatVendor.FEISHU: "Feishu"}
# Answers that say the URL is wrong (or gone); 429 and 5xx are worth another try.
_PERMANENT_HTTP = {400, 401, 403, 404, 405, 410}


@dataclass(frozen=True)
class Robot:
    url: str
    secret: str = ""


def parse_robot(value: str) -> Robot:
    """The secret's value: JSON with ``url`` and optional ``secret``, or the bare webhook URL."""
    text = value.strip()
    data = json.loads(text) if text.startswith("{") else {"url": text}
    robot = Robot(url=str(data.get("url", "")), secret=str(data.get("secret") or ""))
    parts = urllib.parse.urlsplit(robot.url)
    # Plain HTTP only to this machine (a local stand-in): the URL and the message cross the internet.
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"))):
        raise ValueError("the webhook URL must be https")
    return robot


class TeamChatSender:
    """``read_secret`` returns a secret's current value by name (``adapters.secrets.read_secret``);
    ``now`` is the real time in seconds: the vendors reject a signature more than an hour off theirs."""

    def __init__(self, read_secret: Callable[[str], str], *, now: Callable[[], float] = time.time):
        self._read_secret = read_secret
        self._now = now

    def send(self, message: OutboxMessage) -> str:
        address = chat_address(message.recipient)
        if address is None:
            raise DeliveryError(f"not a team chat: {message.recipient}", permanent=True)
        vendor, secret_name = address
        name = _NAMES[vendor]
        robot = self._robot(name, secret_name)
        url, body = self._request(vendor, robot, _shortened(message.text))
        answer = self._post(name, url, body)
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
        if code not in (0, None):
            detail = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
            raise DeliveryError(f"{name} {code}: {detail}", permanent=_as_int(code) in _PERMANENT[vendor])
        # None of the three names the message it posted: the time says which attempt it was.
        return f"{vendor.value}-{int(self._now() * 1000)}"

    def _robot(self, name: str, secret_name: str) -> Robot:
        try:
            return parse_robot(self._read_secret(secret_name))
        except (ValueError, json.JSONDecodeError) as error:
            raise DeliveryError(f"{name} robot secret {secret_name} is not usable: {error}", permanent=True) from error
        except Exception as error:  # Secrets Manager unreachable or throttled: the next attempt may read it
            raise DeliveryError(f"{name} robot secret {secret_name} could not be read: {error}") from error

    def _request(self, vendor: ChatVendor, robot: Robot, text: str) -> tuple[str, dict[str, Any]]:
        if vendor == ChatVendor.FEISHU:
            body: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
            if robot.secret:
                timestamp = str(int(self._now()))
                body |= {"timestamp": timestamp, "sign": feishu_sign(timestamp, robot.secret)}
            return robot.url, body
        body = {"msgtype": "text", "text": {"content": text}}
        if vendor == ChatVendor.DINGTALK and robot.secret:
            timestamp = str(int(self._now() * 1000))
            query = urllib.parse.urlencode({"timestamp": timestamp, "sign": dingtalk_sign(timestamp, robot.secret)})
            return f"{robot.url}{'&' if '?' in robot.url else '?'}{query}", body
        return robot.url, body

    def _post(self, name: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"{name} HTTP {error.code}", permanent=error.code in _PERMANENT_HTTP) from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DeliveryError(f"{name} unreachable: {error}") from error
        try:
            answer = json.loads(raw or b"{}")
        except json.JSONDecodeError as error:
            raise DeliveryError(f"{name} answered something other than JSON") from error
        return answer if isinstance(answer, dict) else {}


def dingtalk_sign(timestamp: str, secret: str) -> str:
    """DingTalk: HMAC-SHA256 of ``timestamp + "\\n" + secret`` keyed by the secret, base64 (the caller
    URL-encodes it into the query)."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(timestamp: str, secret: str) -> str:
    """Feishu: ``timestamp + "\\n" + secret`` is the HMAC-SHA256 key, over an empty message, base64."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _shortened(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= MAX_TEXT_BYTES:
        return text
    return data[: MAX_TEXT_BYTES - 3].decode("utf-8", errors="ignore") + "…"


def _as_int(code: object) -> int | None:
    try:
        return int(str(code))
    except ValueError:
        return None
