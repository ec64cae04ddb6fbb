"""A customer reports a fault from a phone, against the system started as `make run` starts it."""

from __future__ import annotations

import re
import uuid

import boto3
import pytest

from tests.e2e.browser import png_bytes
from tests.e2e.stack import LocalStack

pytestmark = pytest.mark.e2e


def tickets_of(stack: LocalStack, customer: str) -> list[dict]:
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=stack.aws_url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    found = []
    for status in ("new",):
        items = dynamodb.query(
            TableName="service-desk", IndexName="by_status", KeyConditionExpression="status_pk = :s",
            ExpressionAttributeValues={":s": {"S": f"STATUS#{status}"}},
        )["Items"]
        found += [i for i in items if i["data"]["M"]["reporter"]["M"]["customer_name"]["S"] == customer]
    return found


def fill_report(page, customer: str) -> None:
    page.fill("#customer_name", customer)
    page.fill("#contact_person", "王工")
    page.fill("#phone", "138 0013 8000")
    page.fill("#email", "wang@example.cn")
    page.select_option("#province", "CN-GD")
    page.fill("#city", "深圳")
    page.fill("#address", "南山区科技园 1 号")
    page.fill("#product_model", "KYN28-12")
    page.fill("#serial_number", "SN-0042")
    page.fill("#description", "合闸后跳闸 <b>停产</b>")


def test_a_report_with_a_photo_goes_in_end_to_end(local_stack: LocalStack, phone_page, tmp_path) -> None:
    customer = f"精密机械 {uuid.uuid4().hex[:6]}"
    page = phone_page
    page.goto(local_stack.app_url + "/")
    assert page.locator("h1").inner_text() == "故障报修 / 服务申请"

    fill_report(page, customer)
    photo = tmp_path / "现场.png"
    photo.write_bytes(png_bytes())
    fake = tmp_path / "not-a-photo.png"
    fake.write_bytes(b"#!/bin/sh\necho this is a script, not a picture\n")

    page.set_input_files("#photo-input", str(photo))
    page.wait_for_selector("#photo-list li[data-key] input[name=photos]", state="attached")
    page.set_input_files("#photo-input", str(fake))
    page.wait_for_selector("#photos-error:not([hidden])")
    assert "不是图片" in page.inner_text("#photos-error")
    assert page.locator("#photo-list li").count() == 1, "the refused file is not attached"

    page.dblclick("#submit")  # a customer double-tapping must still open one ticket
    page.wait_for_url(re.compile(r"/t/[\w-]+\?new=1$"))
    number = page.inner_text("#ticket-number")
    assert re.fullmatch(r"SD-\d{4}-\d{6}", number)
    tracking_url = page.inner_text("#tracking-link")

    stored = tickets_of(local_stack, customer)
    assert len(stored) == 1
    data = stored[0]["data"]["M"]
    assert data["number"]["S"] == number
    assert len(data["photo_keys"]["L"]) == 1

    page.goto(tracking_url)
    assert page.inner_text("#status") == "已受理，待分派"
    assert "报修已受理" in page.inner_text("#timeline")

    page.goto(local_stack.app_url + "/local/outbox")
    outbox = page.inner_text("#outbox")
    assert f"报修已受理：{number}" in outbox, "the customer's email"
    assert f"报修{number}已受理" in outbox, "the customer's SMS"
    assert "+8613800138000" in outbox
    assert f"新服务单 {number}" in outbox, "the desk's email"


def test_a_bad_form_shows_errors_next_to_the_fields_and_keeps_the_input(local_stack: LocalStack, phone_page) -> None:
    page = phone_page
    page.goto(local_stack.app_url + "/?lang=en")
    page.fill("#customer_name", "Half-filled Ltd")
    page.fill("#phone", "12345")
    page.click("#submit")
    page.wait_for_selector("#form-errors")
    assert page.inner_text("#phone-error").startswith("This is not a valid phone number")
    assert page.inner_text("#address-error") == "This field is required."
    assert page.input_value("#customer_name") == "Half-filled Ltd"
    assert tickets_of(local_stack, "Half-filled Ltd") == []


def test_a_wrong_tracking_token_is_a_plain_404(local_stack: LocalStack, phone_page) -> None:
    response = phone_page.goto(local_stack.app_url + "/t/not-a-token")
    assert response is not None and response.status == 404
    assert "查询链接无效" in phone_page.inner_text("#message")
