"""The local clock page moves the whole stack's time, for people trying the escalation ladder."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.e2e.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_moving_the_clock_forward_and_back(local_stack: LocalStack, phone_page) -> None:
    page = phone_page
    page.goto(local_stack.app_url + "/local/clock?lang=en")
    before = json.loads((local_stack.state_dir / "clock.json").read_text())["offset_seconds"] \
        if (local_stack.state_dir / "clock.json").exists() else 0
    page.fill("#advance_hours", "2")
    page.click("#advance")
    page.wait_for_selector("#clock-offset")
    after = json.loads((local_stack.state_dir / "clock.json").read_text())["offset_seconds"]
    assert after == before + 7200
    assert page.inner_text("#clock-offset") == str(timedelta(seconds=after))


def test_the_moment_to_move_to_is_typed_in_the_pages_language_not_the_browsers(local_stack, phone_page) -> None:
    page = phone_page
    page.goto(local_stack.app_url + "/local/clock")  # Chinese, in a browser of any locale
    field = page.locator("#to")
    assert field.get_attribute("type") == "text" and "年-月-日" in field.get_attribute("placeholder")
    now = datetime.strptime(page.inner_text("#clock-now"), "%Y-%m-%d %H:%M")
    later = now + timedelta(days=2)
    field.fill(f"{later.year}年{later.month}月{later.day}日 {later.hour}时{later.minute:02d}分")
    page.click("#jump")
    page.wait_for_selector("#clock-now")
    assert page.inner_text("#clock-now") == later.strftime("%Y-%m-%d %H:%M")
