"""The Alibaba Cloud and Tencent Cloud SMS adapters against local fakes of their APIs: each fake checks
the request's signature exactly as the vendor documents it (computed here independently of the
adapter) and answers like the real API, so a wrong secret is the vendor's own refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib import wiring
from chalicelib.adapters.china_sms import AliyunSms, TencentSms
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.i18n import t
from chalicelib.services.ports import DeliveryError
from chalicelib.services.sms_templates import TemplatedSms
from chalicelib.settings import Settings

KEY_ID, SECRET = "LTAI5tTestKeyId", "aliyun-test-secret"
TENCENT_ID, TENCENT_KEY, APP_ID = "AKIDtestsecretid", "tencent-test-key", "1400006666"


class FakeApi(ThreadingHTTPServer):
    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        super().__init__(("127.0.0.1", 0), handler)
        self.received: list[dict] = []
        self.answer_status: int | None = None  # forces an answer, e.g. a 503

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[FakeApi]:
    server = FakeApi(handler)
    # shutdown() waits for the loop's next look (every 0.5 s by default)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FakeApi

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(self.server.answer_status or status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


# ---- Alibaba Cloud: RPC signature -------------------------------------------------------------------


def aliyun_encode(text: str) -> str:
    # The documented recipe: URL-encode as UTF-8, then '+' -> %20, '*' -> %2A, %7E -> '~'.
    return urllib.parse.quote_plus(text, encoding="utf-8").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


class AliyunHandler(_Handler):
    def do_GET(self):  # noqa: N802
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query, keep_blank_values=True))
        given = params.pop("Signature", "")
        canonical = "&".join(f"{aliyun_encode(k)}={aliyun_encode(v)}" for k, v in sorted(params.items()))
        string_to_sign = "GET&" + aliyun_encode("/") + "&" + aliyun_encode(canonical)
        expected = base64.b64encode(hmac.new((SECRET + "&").encode(), string_to_sign.encode(), "sha1").digest()).decode()
        self.server.received.append(params)
        if params.get("AccessKeyId") != KEY_ID:
            return self.reply(404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.",
                                    "RequestId": "R1"})
        if not hmac.compare_digest(given, expected):
            return self.reply(400, {"Code": "SignatureDoesNotMatch",
                                    "Message": "Specified signature is not matched with our calculation.",
                                    "RequestId": "R2"})
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=15)
        assert (params["Action"], params["Version"], params["SignatureMethod"], params["SignatureVersion"],
                params["Format"]) == ("SendSms", "2017-05-25", "HMAC-SHA1", "1.0", "JSON")
        if not params["PhoneNumbers"].isdigit():
            return self.reply(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "R3"})
        json.loads(params["TemplateParam"])
        self.reply(200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "R4"})


@pytest.fixture
def aliyun() -> Iterator[FakeApi]:
    yield from serve(AliyunHandler)


def aliyun_sms(api: FakeApi, secret: str = SECRET) -> AliyunSms:
    return AliyunSms(KEY_ID, lambda: secret, "售后服务", endpoint=api.url)


def test_alibaba_cloud_takes_a_correctly_signed_template_sms(aliyun):
    provider_id = aliyun_sms(aliyun).send_template(
        "+8613800138000", "SMS_154950909", {"number": "SD-2026-000042", "link": "https://d.cn/t/a b*~"},
        ("number", "link"))
    assert provider_id == "900619746936498440^0"
    sent = aliyun.received[0]
    assert sent["PhoneNumbers"] == "13800138000" and sent["SignName"] == "售后服务"
    assert sent["TemplateCode"] == "SMS_154950909"
    assert json.loads(sent["TemplateParam"]) == {"number": "SD-2026-000042", "link": "https://d.cn/t/a b*~"}


def test_alibaba_cloud_refuses_a_wrong_secret_and_that_is_permanent(aliyun):
    with pytest.raises(DeliveryError) as refused:
        aliyun_sms(aliyun, secret="not-the-secret").send_template("+8613800138000", "SMS_1", {"n": "1"}, ("n",))
    assert refused.value.permanent and "SignatureDoesNotMatch" in str(refused.value)


def test_alibaba_cloud_trouble_on_its_side_is_retried(aliyun):
    aliyun.answer_status = 503
    with pytest.raises(DeliveryError) as failed:
        aliyun_sms(aliyun).send_template("+8613800138000", "SMS_1", {"n": "1"}, ("n",))
    assert not failed.value.permanent


# ---- Tencent Cloud: TC3-HMAC-SHA256 -----------------------------------------------------------------


def tc3_expected(key: str, headers, payload: bytes) -> str:
    """The signature as Tencent's API 3.0 documents it, from what arrived."""
    timestamp = int(headers["X-TC-Timestamp"])
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0]
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower() if name != 'content-type' else headers[name]}\n"
                                for name in signed.split(";"))
    canonical_request = f"POST\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(payload).hexdigest()}"
    string_to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{day}/sms/tc3_request\n"
                      f"{hashlib.sha256(canonical_request.encode()).hexdigest()}")
    secret_date = hmac.new(("TC3" + key).encode(), day.encode(), hashlib.sha256).digest()
    secret_service = hmac.new(secret_date, b"sms", hashlib.sha256).digest()
    secret_signing = hmac.new(secret_service, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


class TencentHandler(_Handler):
    def do_POST(self):  # noqa: N802
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        body = json.loads(payload)
        self.server.received.append({"headers": dict(self.headers), "body": body})
        authorization = self.headers["Authorization"]
        credential = authorization.split("Credential=")[1].split(",")[0]
        given = authorization.split("Signature=")[1]
        assert authorization.startswith("TC3-HMAC-SHA256 ")
        assert self.headers["X-TC-Action"] == "SendSms" and self.headers["X-TC-Version"] == "2021-01-11"
        assert "host" in authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        if credential.split("/")[0] != TENCENT_ID or not hmac.compare_digest(
                given, tc3_expected(TENCENT_KEY, self.headers, payload)):
            return self.reply(200, {"Response": {"Error": {
                "Code": "AuthFailure.SignatureFailure",
                "Message": "The provided credentials could not be validated. Please check your signature is correct."},
                "RequestId": "T1"}})
        assert body["SmsSdkAppId"] == APP_ID and body["SignName"] == "售后服务"
        phone = body["PhoneNumberSet"][0]
        self.reply(200, {"Response": {"SendStatusSet": [{
            "SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": phone, "Fee": 1, "SessionContext": "",
            "Code": "Ok" if phone.startswith("+86") else "InvalidParameterValue.IncorrectPhoneNumber",
            "Message": "send success", "IsoCode": "CN"}], "RequestId": "T2"}})


@pytest.fixture
def tencent() -> Iterator[FakeApi]:
    yield from serve(TencentHandler)


def tencent_sms(api: FakeApi, key: str = TENCENT_KEY) -> TencentSms:
    return TencentSms(TENCENT_ID, lambda: key, APP_ID, "售后服务", endpoint=api.url)


def test_tencent_cloud_takes_a_correctly_signed_template_sms_with_its_variables_in_order(tencent):
    provider_id = tencent_sms(tencent).send_template(
        "+8613800138000", "1234567", {"link": "https://d.cn/t/x", "number": "SD-2026-000042"}, ("number", "link"))
    assert provider_id == "5000:1045710669157053657849499619"
    body = tencent.received[0]["body"]
    assert body["PhoneNumberSet"] == ["+8613800138000"] and body["TemplateId"] == "1234567"
    assert body["TemplateParamSet"] == ["SD-2026-000042", "https://d.cn/t/x"]


def test_tencent_cloud_refuses_a_wrong_secret_and_that_is_permanent(tencent):
    with pytest.raises(DeliveryError) as refused:
        tencent_sms(tencent, key="not-the-key").send_template("+8613800138000", "1", {"n": "1"}, ("n",))
    assert refused.value.permanent and "AuthFailure.SignatureFailure" in str(refused.value)


def test_tencent_cloud_refusing_one_number_is_permanent(tencent):
    with pytest.raises(DeliveryError) as refused:
        tencent_sms(tencent).send_template("+85212345678", "1", {"n": "1"}, ("n",))
    assert refused.value.permanent and "IncorrectPhoneNumber" in str(refused.value)


# ---- our messages, by template -----------------------------------------------------------------------


def an_sms(text: str) -> OutboxMessage:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    return OutboxMessage(id="m1", ticket_number="SD-2026-000042", purpose="customer_confirmation",
                         channel=MessageChannel.SMS, recipient="+8613800138000", text=text, created_at=now,
                         next_attempt_at=now)


def test_a_customer_confirmation_goes_to_alibaba_cloud_as_its_template_code_and_variables(aliyun):
    notifier = TemplatedSms(aliyun_sms(aliyun), {"customer_confirmation.zh-CN": "SMS_154950909"})
    text = t("zh-CN", "msg.customer.sms", number="SD-2026-000042", link="https://desk.example.com/t/abc")
    assert notifier.send(an_sms(text)) == "900619746936498440^0"
    sent = aliyun.received[0]
    assert sent["TemplateCode"] == "SMS_154950909"
    assert json.loads(sent["TemplateParam"]) == {"number": "SD-2026-000042", "link": "https://desk.example.com/t/abc"}


def test_a_message_whose_template_has_no_code_is_failed_for_good_without_a_call(aliyun):
    text = t("en", "msg.customer.sms", number="SD-2026-000042", link="https://desk.example.com/t/abc")
    with pytest.raises(DeliveryError) as failed:
        TemplatedSms(aliyun_sms(aliyun), {"customer_confirmation.zh-CN": "SMS_1"}).send(an_sms(text))
    assert failed.value.permanent and "customer_confirmation.en" in str(failed.value) and not aliyun.received


def test_the_stage_chooses_the_sms_provider_and_aws_must_name_its_secret(monkeypatch):
    sns = object()
    assert wiring.sms_sender(Settings(), sns) is sns  # type: ignore[arg-type]
    chosen = wiring.sms_sender(Settings(sms_provider="tencent", sms_template_codes="quote.zh-CN=1"), sns)  # type: ignore[arg-type]
    assert isinstance(chosen, TemplatedSms)
    missing = Settings(local_mode=False, sms_provider="aliyun", aliyun_sms_access_key_id="LTAI").missing_on_aws()
    assert {"ALIYUN_SMS_ACCESS_KEY_SECRET_NAME", "SMS_SIGN_NAME", "SMS_TEMPLATE_CODES"} <= set(missing)
    assert "ALIYUN_SMS_ACCESS_KEY_ID" not in missing
    assert not {m for m in Settings(local_mode=False).missing_on_aws() if "SMS" in m}
