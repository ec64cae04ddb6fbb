"""A paid job on the running local stack, at phone size: the supervisor drafts and sends a quote, the
customer approves it from the tracking link in the SMS, and the approval shows on the staff page."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest

from tests.e2e.stack import LocalStack

pytestmark = pytest.mark.e2e


def fill_report(page, customer: str) -> None:
    page.fill("#customer_name", customer)
    page.fill("#phone", "138 0013 8000")
    page.select_option("#province", "CN-JS")
    page.fill("#address", "工业园区星湖街 328 号")
    page.fill("#product_model", "KYN28-12")
    page.fill("#description", "运输途中开关柜受损，合闸后跳闸。")


def test_a_quote_is_drafted_sent_and_approved_by_the_customer(local_stack: LocalStack, phone_page) -> None:
    page = phone_page
    customer = f"有偿维修 {uuid.uuid4().hex[:6]}"
    page.goto(local_stack.app_url + "/")
    fill_report(page, customer)
    page.click("#submit")
    page.wait_for_url(re.compile(r"/t/[\w-]+\?new=1$"))
    number = page.inner_text("#ticket-number")

    # The supervisor signs in and opens the ticket's quote page.
    quote_url = f"{local_stack.app_url}/staff/tickets/{number}/quote"
    page.goto(quote_url)
    page.wait_for_url(re.compile(r"/staff/sign-in\?next="))
    page.fill("#username", "supervisor")
    page.fill("#password", "Demo-pass-123")
    page.click("#sign-in-button")
    page.wait_for_url(re.compile(r"/quote$"))

    page.select_option("#billing", "paid")
    page.select_option("#reason", "out_of_warranty")
    page.click("#decide-billing")
    page.wait_for_selector("#saved")
    assert "超出质保期" in page.inner_text("#billing-kind")
    assert "不得开始工作" in page.inner_text("#work-rule")

    page.fill("#description_1", "真空断路器 VS1-12")
    page.fill("#quantity_1", "1")
    page.fill("#unit_price_1", "1200")
    page.fill("#description_2", "更换与调试")
    page.fill("#quantity_2", "1.5")
    page.fill("#unit_2", "小时")
    page.fill("#unit_price_2", "300")
    page.fill("#valid_until", (date.today() + timedelta(days=14)).isoformat())
    page.click("#save-quote")
    page.wait_for_selector("#send-quote")
    assert page.inner_text("#quote-total") == "1,650.00"
    page.click("#send-quote")
    page.wait_for_selector("#saved")
    assert page.inner_text("#quote-state") == "已发送，等待客户确认"

    # The customer gets an SMS with a link, and approves the quote on the phone.
    page.goto(local_stack.app_url + "/local/outbox")
    # The fullest wording that fits one SMS: with the total and validity, or shorter on a long address.
    sms = re.search(rf"{number}(?:报价1,650.00元|有报价)[^\n]*?(https?://\S+/l/\w+)", page.inner_text("#outbox"))
    assert sms, "the quote SMS with its link"
    page.goto(sms.group(1))
    assert page.inner_text("#quote-total") == "1,650.00"
    page.click("#approve-quote")
    page.wait_for_selector("#quote-approved")
    assert "客户已确认报价" in page.inner_text("#timeline")
    assert page.locator("#approve-quote").count() == 0

    # The supervisor sees the approval: work may start.
    page.goto(quote_url)
    assert page.inner_text("#quote-state") == "客户已确认（服务协议已签订）"
    assert "可以开始工作" in page.inner_text("#work-rule")
    assert page.inner_text("#balance") == "1,650.00"
