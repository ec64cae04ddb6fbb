"""The customer archive on the running local stack, at phone size: the desk imports a CSV, a customer
reports a fault on a filed product, and the desk sees the ticket linked with its warranty."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest

from chalicelib.domain.warranty import last_covered_day
from tests.e2e.browser import import_archive_sheet
from tests.e2e.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_an_imported_serial_links_a_new_report_to_its_customer_and_warranty(
    local_stack: LocalStack, phone_page, browser, tmp_path
) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    customer_id, serial = f"E2E-{tag}", f"SN-E2E-{tag}"
    # A phone no other test uses: tickets from an archived phone take that customer's plan (premium here),
    # which would change other tests' deadlines on the shared stack.
    phone = f"1370{int(tag, 16) % 10**7:07d}"
    accepted = date.today() - timedelta(days=30)
    sheet = tmp_path / "客户档案.csv"
    sheet.write_text(
        "客户编号,客户名称,联系电话,省份,服务方案,产品编号,产品型号,终验收日期,保修期（月）\n"
        f"{customer_id},常州开关厂 {tag},{phone},江苏,premium,{serial},KYN28-12,{accepted.isoformat()},24\n",
        encoding="utf-8-sig",
    )

    # The desk signs in on its way to the archive and imports the sheet.
    desk = phone_page
    import_archive_sheet(desk, local_stack.app_url, sheet)
    assert "新建 1" in desk.inner_text("#customer-counts")
    assert "新建 1" in desk.inner_text("#product-counts")

    # A customer, on another phone, reports a fault on that product (typing the serial loosely).
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    customer = context.new_page()
    customer.goto(local_stack.app_url + "/")
    customer.fill("#customer_name", f"常州开关厂 {tag}")
    customer.fill("#phone", "13600136000")
    customer.select_option("#province", "CN-JS")
    customer.fill("#address", "武进区 1 号")
    customer.fill("#product_model", "KYN28-12")
    customer.fill("#serial_number", serial.lower())
    customer.fill("#description", "合闸后跳闸")
    customer.click("#submit")
    customer.wait_for_url(re.compile(r"/t/[\w-]+\?new=1$"))
    number = customer.inner_text("#ticket-number")
    until = last_covered_day(accepted, 24).isoformat()
    assert customer.inner_text("#warranty") == f"在保修期内，至 {until}"
    context.close()

    # The desk finds the customer by the serial number and sees the ticket, linked, in warranty.
    desk.goto(local_stack.app_url + "/staff/archive")
    desk.fill("#q", serial)
    desk.click("#search-button")
    desk.locator("#customers a", has_text=customer_id).first.click()
    desk.wait_for_url(re.compile(rf"/staff/archive/customers/{customer_id}$"))
    row = desk.locator(f"#tickets tr[data-number='{number}']")
    assert "保修期内" in row.inner_text()
    assert f"保修期内（至 {until}）" in row.inner_text()
    assert desk.inner_text("#customer-plan") == "premium"
