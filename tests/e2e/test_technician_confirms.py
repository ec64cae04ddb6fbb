"""On the phone, a step that is recorded for good asks first: "start repair" tapped by mistake and
cancelled records nothing; confirmed, it is on the ticket. The buttons read white on dark grey."""

from __future__ import annotations

import re

import pytest

from chalicelib import wiring
from chalicelib.domain.ticket import Action
from tests.e2e.test_technician_phone import dispatched_job, open_and_check_in

pytestmark = pytest.mark.e2e


def recorded(number: str, action: Action) -> bool:
    return any(event.action == action for event in wiring.services().queue.ticket_file(number).timeline)


def test_start_repair_asks_first_and_a_cancelled_tap_records_nothing(local_stack, desk, phone_page):
    page = phone_page
    number = dispatched_job(local_stack, desk, "误触确认公司")["number"]
    open_and_check_in(page, local_stack, number)
    button = page.locator("#start-repair")
    color, background = button.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert color == "rgb(255, 255, 255)" and background == "rgb(69, 90, 100)"

    before = page.url
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    button.click()  # the confirm is answered inside the click, so a cancelled submit never starts
    page.wait_for_load_state()
    assert asked and "开始维修" in asked[0]
    assert page.url == before and not recorded(number, Action.START_REPAIR)

    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    page.wait_for_url(re.compile(r"done=start-repair"))
    assert recorded(number, Action.START_REPAIR)
