"""The limits of the anonymous front door through its routes, counted in DynamoDB (moto): a 429 page
that keeps every word typed, in the form's language, and a 429 JSON answer with Retry-After."""

import html
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from chalice.local import LambdaEventConverter

from chalicelib import wiring
from chalicelib.adapters.aws import client as aws_client
from tests.fakes import valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def post_form(client, fields, lang="zh-CN", key="key-1"):
    body = urlencode({**fields, "idempotency_key": key}, doseq=True)
    return client.http.post(f"/requests?lang={lang}", body=body, headers=FORM)


def post_api(client, report, key):
    return client.http.post("/api/requests?lang=en", body=json.dumps(report),
                            headers={**JSON, "Idempotency-Key": key})


@pytest.fixture(autouse=True)
def mid_hour(monkeypatch, tmp_path, aws):
    """The app's clock at the next half hour, so a test's reports never straddle two windows."""
    now = datetime.now(UTC)
    half_past = now.replace(minute=30, second=0, microsecond=0) + timedelta(hours=1)
    clock = tmp_path / "clock.json"
    clock.write_text(json.dumps({"offset_seconds": (half_past - now).total_seconds()}))
    monkeypatch.setenv("CLOCK_FILE", str(clock))
    wiring.reset()


@pytest.fixture
def limits(monkeypatch):
    def set_limits(**values):
        for name, value in values.items():
            monkeypatch.setenv(name.upper(), str(value))
        wiring.reset()
    return set_limits


def test_the_sixth_report_from_one_phone_in_an_hour_gets_a_429_page_keeping_everything_typed(client):
    for n in range(5):
        assert post_form(client, valid_report(), key=f"k{n}").status_code == 303
    typed = valid_report(description="第六次报修：<开关柜>冒烟 & 跳闸", suspected_cause="雷击", preferred_time="明早")
    refused = post_form(client, typed, key="k5")
    assert refused.status_code == 429
    assert 1790 <= int(refused.headers["Retry-After"]) <= 1800, "until the hour's window ends"
    page = html.unescape(refused.body.decode())
    assert "一小时内提交的报修已达上限（5 次）" in page and "您填写的内容都已保留" in page
    for value in typed.values():
        assert value in page, value
    assert 'value="k5"' in page, "the same submission when sent again"
    english = post_form(client, typed, lang="en", key="k6")
    assert english.status_code == 429
    assert "everything you typed is kept below" in english.body.decode()


def test_a_different_phone_is_still_accepted(client):
    for n in range(5):
        post_form(client, valid_report(), key=f"k{n}")
    assert post_form(client, valid_report(), key="k5").status_code == 429
    assert post_form(client, valid_report(phone="13900139000"), key="k6").status_code == 303


def test_the_api_answers_429_with_retry_after_in_json(client, limits):
    limits(intake_limit_phone_per_hour=1)
    assert post_api(client, valid_report(), "a1").status_code == 201
    refused = post_api(client, valid_report(), "a2")
    assert refused.status_code == 429
    assert refused.json_body["error"] == "too_many_reports"
    assert "as many reports as it may in one hour (1)" in refused.json_body["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert post_api(client, valid_report(), "a1").status_code == 201, "a retry of the first is the first"


def test_the_address_limit_counts_the_source_ip_of_the_request_context(client, limits, monkeypatch):
    limits(intake_limit_ip_per_hour=2)
    for n in range(2):
        assert post_api(client, valid_report(phone=f"1390013{n:04d}"), f"a{n}").status_code == 201
    refused = post_api(client, valid_report(phone="13700137000"), "a2")
    assert refused.status_code == 429 and "from your network" in refused.json_body["message"]
    spoofed = client.http.post("/api/requests", body=json.dumps(valid_report(phone="13700137000")),
                               headers={**JSON, "Idempotency-Key": "a3", "X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 429, "a header the caller writes is not its address"
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "203.0.113.9")
    assert post_api(client, valid_report(phone="13700137000"), "a4").status_code == 201


def test_counters_are_hashed_and_expire_with_their_window(client):
    post_form(client, valid_report())
    items = aws_client("dynamodb").scan(TableName="service-desk")["Items"]
    counters = [i for i in items if i["pk"]["S"].startswith("LIMIT#")]
    assert {i["pk"]["S"].split("#")[1] for i in counters} == {"intake_ip", "intake_phone", "confirmation_sms"}
    assert all("13800138000" not in json.dumps(i) and "127.0.0.1" not in json.dumps(i) for i in counters)
    assert all(int(i["expires_at"]["N"]) > 0 for i in counters)
