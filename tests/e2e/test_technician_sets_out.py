"""On the running local stack at phone size: the technician taps "On my way" (出发) before he reaches the
site, the page then says when he set out, and the customer's tracking page says he is on the way."""

from __future__ import annotations

import re

import pytest

from tests.e2e.stack import LocalStack
from tests.e2e.test_technician_phone import dispatched_job, sign_in

pytestmark = pytest.mark.e2e


def test_the_technician_sets_out_and_the_customer_sees_him_on_the_way(local_stack: LocalStack, desk, phone_page):
    page = phone_page
    job = dispatched_job(local_stack, desk, "出发测试公司")
    number = job["number"]
    sign_in(page, local_stack, "tech-wang", f"/staff/jobs/{number}")

    button = page.locator("#set-out")
    assert button.bounding_box()["height"] >= 44, "a thumb can hit it"
    button.click()
    page.wait_for_url(re.compile(rf"/staff/jobs/{number}\?done=set-out$"))
    assert "已记录出发" in page.inner_text("#done")
    assert re.search(r"已于 \d\d-\d\d \d\d:\d\d 出发", page.inner_text("#set-out-at"))
    assert page.locator("#set-out").count() == 0 and page.is_visible("#check-in")

    page.goto(job["tracking_url"])
    assert "服务工程师已出发，正在前往现场" in page.inner_text("main")
