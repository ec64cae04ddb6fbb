"""Scan the nameplate to report (扫码报修) on the running local stack, at phone size: the desk files a
product and downloads its code, a customer opens the code's URL on a phone and writes only what is
wrong, and the ticket is linked to the archived product."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from chalicelib.domain.warranty import last_covered_day
from tests.e2e.browser import import_archive_sheet, png_bytes
from tests.e2e.stack import LocalStack

pytestmark = pytest.mark.e2e


def file_a_product(desk, app_url: str, folder: Path) -> tuple[str, str, date]:
    """The desk files one customer with one machine, accepted a month ago with two years' warranty."""
    tag = uuid.uuid4().hex[:6].upper()
    accepted = date.today() - timedelta(days=30)
    # A phone no other test uses, so no other test's reports find this customer by phone.
    row = (f"QR-{tag},无锡配电 {tag},赵工,1371{int(tag, 16) % 10**7:07d},江苏,无锡,新吴区 9 号,SN-QR-{tag},"
           f"KYN28-12,{accepted},24")
    sheet = folder / "客户档案.csv"
    sheet.write_text("客户编号,客户名称,联系人,联系电话,省份,城市,详细地址,产品编号,产品型号,终验收日期,保修期（月）\n"
                     + row + "\n", encoding="utf-8-sig")
    import_archive_sheet(desk, app_url, sheet)
    return f"QR-{tag}", f"SN-QR-{tag}", accepted


def test_a_scanned_nameplate_reports_a_fault_linked_to_its_product(
    local_stack: LocalStack, phone_page, browser, tmp_path
) -> None:
    desk = phone_page
    customer_id, serial, accepted = file_a_product(desk, local_stack.app_url, tmp_path)
    tag = customer_id.removeprefix("QR-")

    # The product's page offers its code; downloading it issues the code and shows the URL it carries.
    desk.goto(f"{local_stack.app_url}/staff/archive/product?serial={serial}")
    assert desk.locator("#no-code").is_visible()
    png = desk.request.get(local_stack.app_url + desk.get_attribute("#code-png", "href"))
    assert png.ok and png.body().startswith(b"\x89PNG")
    desk.reload()
    url = desk.get_attribute("#scan-url", "href")
    assert url and "/q/" in url and serial not in url
    assert desk.evaluate("document.documentElement.scrollWidth") <= 390  # the long URL wraps
    desk.goto(f"{local_stack.app_url}/staff/archive/customers/{customer_id}")
    sheet_pdf = desk.request.get(local_stack.app_url + desk.get_attribute("#label-sheet", "href"))
    assert sheet_pdf.ok and sheet_pdf.body().startswith(b"%PDF")

    # A customer scans the code with a phone: the machine is filled in and locked.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    customer = context.new_page()
    customer.goto(url)
    assert customer.inner_text("#locked-serial") == serial
    assert customer.inner_text("#locked-customer") == f"无锡配电 {tag}"
    until = last_covered_day(accepted, 24).isoformat()
    assert until in customer.inner_text("#locked-warranty")
    assert customer.locator("#serial_number, #customer_name, #address").count() == 0
    # Everything the customer needs is on a phone's width.
    assert customer.evaluate("document.documentElement.scrollWidth") <= 390
    customer.fill("#description", "柜门无法合闸，有焦味")
    photo = tmp_path / "现场.png"
    photo.write_bytes(png_bytes())
    customer.set_input_files("#photo-input", str(photo))
    customer.wait_for_selector("#photo-list li[data-key] input[name=photos]", state="attached")
    customer.click("#submit")
    customer.wait_for_url(re.compile(r"/t/[\w-]+\?new=1$"))
    number = customer.inner_text("#ticket-number")
    assert customer.inner_text("#warranty") == f"在保修期内，至 {until}"
    context.close()

    # The desk sees the ticket on the customer's page, linked to the product, in warranty.
    desk.goto(f"{local_stack.app_url}/staff/archive/customers/{customer_id}")
    row = desk.locator(f"#tickets tr[data-number='{number}']")
    assert serial in row.inner_text() and f"保修期内（至 {until}）" in row.inner_text()

    # Withdrawn, the printed code answers politely instead of opening the form.
    desk.goto(f"{local_stack.app_url}/staff/archive/product?serial={serial}")
    desk.click("#withdraw-code")
    desk.wait_for_selector("#code-withdrawn")
    scanned = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    answer = scanned.goto(url)
    assert answer.status == 200 and scanned.inner_text("h1") == "此二维码已停用"
    scanned.context.close()
