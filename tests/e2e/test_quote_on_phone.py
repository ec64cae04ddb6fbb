"""On the running local stack, on a 390×844 phone in English: the customer sees the quote's total
without scrolling sideways, before approving it."""

from __future__ import annotations

import json
import urllib.request
from datetime import date, timedelta
from decimal import Decimal

import pytest

from chalicelib import wiring
from chalicelib.domain.billing import BillingReason, LineCategory, QuoteLine
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Billing
from tests.e2e.stack import LocalStack
from tests.fakes import valid_report

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def sent_quote(stack: LocalStack) -> str:
    """A report with a quote of long lines and large sums sent to the customer; its tracking link."""
    request = urllib.request.Request(
        stack.app_url + "/api/requests", data=json.dumps(valid_report(customer_name="报价显示公司")).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request) as response:
        receipt = json.load(response)
    number = receipt["number"]
    billing = wiring.services().billing
    billing.decide_billing(number, actor=SystemActor("supervisor"), billing_kind=Billing.PAID, reason=BillingReason.OUT_OF_WARRANTY)
    lines = [
        QuoteLine(category=LineCategory.MATERIALS, description="Vacuum circuit breaker VS1-12/1250-31.5 with trolley",
                  quantity=Decimal(2), unit="pcs", unit_price=Decimal("12345.67")),
        QuoteLine(category=LineCategory.LABOUR, description="Replacement, adjustment and commissioning",
                  quantity=Decimal("12.5"), unit="hours", unit_price=Decimal("300")),
        QuoteLine(category=LineCategory.TRAVEL, description="Travel Suzhou–Nanjing and back", quantity=Decimal(1),
                  unit_price=Decimal("860")),
    ]
    billing.draft_quote(number, actor=SystemActor("supervisor"), lines=lines, valid_until=date.today() + timedelta(days=14))
    billing.send_quote(number, actor=SystemActor("supervisor"))
    return str(receipt["tracking_url"])


def test_the_quotes_total_is_on_screen_on_an_english_phone(local_stack: LocalStack, browser, desk):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
    page = context.new_page()
    try:
        page.goto(sent_quote(local_stack) + "?lang=en")
        total = page.locator("#quote-total")
        assert total.inner_text() == "29,301.34"
        # Brought into view by scrolling down only, as a thumb does: nothing sideways.
        total.evaluate("el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 300)")
        box = total.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        for line in ("24,691.34", "3,750.00", "860.00"):  # every line's amount too
            cell = page.locator("#quote-lines td", has_text=line).first
            cell_box = cell.bounding_box()
            assert cell_box and cell_box["x"] + cell_box["width"] <= PHONE["width"], (line, cell_box)
        assert page.locator("#approve-quote").is_visible()
    finally:
        context.close()
