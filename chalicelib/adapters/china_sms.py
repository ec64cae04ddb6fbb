"""SMS through the carriers' gateways that mainland China delivers: Alibaba Cloud SMS (dysmsapi) and
Tencent Cloud SMS, each sending a registered template with its variables (``services/sms_templates``).

Both are plain HTTPS APIs signed with the account's key: Alibaba's RPC signature (HMAC-SHA1 over the
percent-encoded, sorted query) and Tencent's TC3-HMAC-SHA256 (a canonical request signed with a key
derived from the date, the service and ``tc3_request``). The standard library does it; the vendors'
SDKs would add megabytes to the Lambda package for one call each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from chalicelib.services.ports import DeliveryError

_TIMEOUT_SECONDS = 10
Secret = Callable[[], str]


def _call(request: urllib.request.Request, vendor: str) -> tuple[int, dict[str, Any]]:
    """The answer's status and JSON body; a network failure or a server error is worth retrying."""
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryError(f"{vendor} SMS unreachable: {error}") from error
    try:
        return status, json.loads(body or b"{}")
    except ValueError:
        raise DeliveryError(f"{vendor} SMS answered {status} without JSON", permanent=False) from None


# ---- Alibaba Cloud SMS ------------------------------------------------------------------------------

# Codes a later attempt may get past (throttling, an empty balance topped up, their own faults).
_ALIYUN_RETRY = ("isp.", "Throttling", "ServiceUnavailable", "isv.BUSINESS_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH",
                 "InternalError")


def aliyun_percent(text: str) -> str:
    """RFC 3986 encoding as Alibaba's signature wants it: only A-Z a-z 0-9 - _ . ~ stay as they are."""
    return quote(text, safe="-_.~")


def aliyun_signature(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{aliyun_percent('/')}&{aliyun_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Implements ``TemplateSmsSender`` with Alibaba Cloud's ``SendSms`` (API version 2017-05-25)."""

    def __init__(self, access_key_id: str, access_key_secret: Secret, sign_name: str,
                 endpoint: str = "https://dysmsapi.aliyuncs.com"):
        self._key_id = access_key_id
        self._secret = access_key_secret
        self._sign_name = sign_name
        self._endpoint = endpoint.rstrip("/")

    def send_template(self, phone: str, template_code: str, variables: Mapping[str, str],
                      order: tuple[str, ...]) -> str:
        params = {
            "AccessKeyId": self._key_id,
            "Action": "SendSms",
            "Format": "JSON",
            # Mainland numbers without +86; others with their country code and no "+".
            "PhoneNumbers": phone.removeprefix("+86") if phone.startswith("+86") else phone.lstrip("+"),
            "RegionId": "cn-hangzhou",
            "SignName": self._sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(dict(variables), ensure_ascii=False, separators=(",", ":")),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        query = "&".join(f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in params.items())
        signature = aliyun_signature(params, self._secret())
        url = f"{self._endpoint}/?Signature={aliyun_percent(signature)}&{query}"
        status, answer = _call(urllib.request.Request(url, method="GET"), "Alibaba Cloud")
        code = str(answer.get("Code", ""))
        if status < 300 and code == "OK":
            return str(answer.get("BizId") or answer.get("RequestId") or "")
        reason = f"Alibaba Cloud SMS {status} {code}: {answer.get('Message', '')}"
        raise DeliveryError(reason, permanent=status < 500 and not code.startswith(_ALIYUN_RETRY))


# ---- Tencent Cloud SMS ------------------------------------------------------------------------------

_TENCENT_RETRY = ("InternalError", "LimitExceeded", "RequestLimitExceeded", "FailedOperation.InsufficientBalance")
_TENCENT_VERSION = "2021-01-11"


def tc3_signature(secret_key: str, *, host: str, payload: bytes, timestamp: int, service: str = "sms",
                  action: str = "SendSms", content_type: str = "application/json; charset=utf-8") -> tuple[str, str]:
    """The TC3-HMAC-SHA256 signature of a POST to ``/`` and its signed headers' list."""
    signed_headers = "content-type;host;x-tc-action"
    canonical_request = "\n".join([
        "POST", "/", "",
        f"content-type:{content_type}\nhost:{host}\nx-tc-action:{action.lower()}\n",
        signed_headers, hashlib.sha256(payload).hexdigest(),
    ])
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{day}/{service}/tc3_request"
    string_to_sign = "\n".join([
        "TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical_request.encode()).hexdigest(),
    ])

    def sign(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    signing_key = sign(sign(sign(f"TC3{secret_key}".encode(), day), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest(), signed_headers


class TencentSms:
    """Implements ``TemplateSmsSender`` with Tencent Cloud's ``SendSms`` (API version 2021-01-11)."""

    def __init__(self, secret_id: str, secret_key: Secret, sdk_app_id: str, sign_name: str,
                 region: str = "ap-guangzhou", endpoint: str = "https://sms.tencentcloudapi.com"):
        self._secret_id = secret_id
        self._secret_key = secret_key
        self._app_id = sdk_app_id
        self._sign_name = sign_name
        self._region = region
        self._endpoint = endpoint.rstrip("/")

    def send_template(self, phone: str, template_code: str, variables: Mapping[str, str],
                      order: tuple[str, ...]) -> str:
        payload = json.dumps({
            "PhoneNumberSet": [phone],
            "SmsSdkAppId": self._app_id,
            "SignName": self._sign_name,
            "TemplateId": template_code,
            "TemplateParamSet": [variables[name] for name in order],
        }, ensure_ascii=False).encode()
        host = urlsplit(self._endpoint).netloc
        timestamp = int(datetime.now(UTC).timestamp())
        signature, signed_headers = tc3_signature(self._secret_key(), host=host, payload=payload, timestamp=timestamp)
        day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        request = urllib.request.Request(self._endpoint + "/", data=payload, method="POST", headers={
            "Authorization": f"TC3-HMAC-SHA256 Credential={self._secret_id}/{day}/sms/tc3_request, "
                             f"SignedHeaders={signed_headers}, Signature={signature}",
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": _TENCENT_VERSION,
            "X-TC-Region": self._region,
        })
        status, answer = _call(request, "Tencent Cloud")
        response = answer.get("Response") or {}
        error = response.get("Error")
        sent = (response.get("SendStatusSet") or [{}])[0]
        if status < 300 and error is None and sent.get("Code") == "Ok":
            return str(sent.get("SerialNo") or response.get("RequestId") or "")
        code = str((error or sent).get("Code", "")) or f"HTTP {status}"
        reason = f"Tencent Cloud SMS {code}: {(error or sent).get('Message', '')}"
        raise DeliveryError(reason, permanent=status < 500 and not code.startswith(_TENCENT_RETRY))
