"""On the running local stack at phone size: the form a customer signed on the technician's screen is shown
on the supervisor's ticket page as a picture of its first page, inside the page (no 5-minute link to
tap), under the same strict Content-Security-Policy."""

from __future__ import annotations

import pytest

from tests.e2e.stack import LocalStack
from tests.e2e.test_technician_phone import dispatched_job, draw_signature, fill_work, open_and_check_in, sign_in

pytestmark = pytest.mark.e2e


def test_the_supervisor_sees_the_signed_form_on_the_ticket_page_of_a_phone(
    local_stack: LocalStack, desk, phone_page
) -> None:
    page = phone_page
    number = dispatched_job(local_stack, desk, "验收单预览公司")["number"]
    open_and_check_in(page, local_stack, number)
    fill_work(page)
    page.fill("#signer", "王工")
    draw_signature(page)
    page.click("#file-acceptance")
    page.wait_for_selector("#awaiting")

    page.context.clear_cookies()  # the supervisor, on the same phone
    sign_in(page, local_stack, "supervisor", f"/staff/tickets/{number}")
    response = page.reload()
    policy = response.headers["content-security-policy"]
    assert "object-src 'none'" in policy and "frame-src" not in policy and "'unsafe-inline'" not in policy
    picture = page.locator("#acceptance-preview")
    picture.scroll_into_view_if_needed()
    picture.wait_for(state="visible")
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 900  # loaded, not blocked
    box = picture.bounding_box()
    assert box["width"] >= 300 and box["x"] >= 0 and box["x"] + box["width"] <= 390  # the page's width, no wider
    assert picture.get_attribute("alt") == "验收单第 1 页"
    assert page.locator("#acceptance-link").get_attribute("href") == f"/staff/approvals/{number}/form"
