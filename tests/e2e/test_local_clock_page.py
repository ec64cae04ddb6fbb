"""The local clock page moves the whole stack's time, for people trying the escalation ladder."""

from __future__ import annotations

import json
from datetime import timedelta

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
