"""The desk finds a ticket on a phone by the caller's number typed with spaces, on the running local
stack, and opens it from the results."""

from __future__ import annotations

import json
import random
import re
import urllib.request

import pytest

from tests.e2e.browser import sign_in_on_the_way
from tests.e2e.stack import LocalStack
from tests.fakes import valid_report

pytestmark = pytest.mark.e2e


def test_a_phone_typed_with_spaces_finds_the_ticket(local_stack: LocalStack, phone_page) -> None:
    digits = f"139{random.randrange(10**8):08d}"  # a number no earlier run reported with
    request = urllib.request.Request(
        local_stack.app_url + "/api/requests", data=json.dumps(valid_report(phone=digits)).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        number = json.load(response)["number"]
    page = phone_page

    sign_in_on_the_way(page, local_stack.app_url, "/staff", "desk")
    page.click('a[href$="/staff/search"]')
    page.wait_for_url(re.compile(r"/staff/search$"))

    page.fill("#s-q", f"{digits[:3]} {digits[3:7]} {digits[7:]}")
    page.click("#search-submit")
    page.wait_for_url(re.compile(r"/staff/search\?"))
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-number") == number
    assert "已受理" in rows.first.inner_text()

    rows.first.locator("a").click()
    page.wait_for_url(re.compile(rf"/staff/tickets/{number}$"))
