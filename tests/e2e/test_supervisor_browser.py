"""A supervisor works the queue from a phone on the running local stack: a customer's new ticket shows in
the queue, is classified A and dispatched to tech-wang, and its page shows the schedule and timeline."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid

import pytest

from tests.e2e.stack import LocalStack
from tests.fakes import valid_report

pytestmark = pytest.mark.e2e


def customer_reports(stack: LocalStack, customer: str) -> str:
    request = urllib.request.Request(
        stack.app_url + "/api/requests", data=json.dumps(valid_report(customer_name=customer)).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["number"]


def test_a_supervisor_classifies_and_dispatches_a_new_ticket(local_stack: LocalStack, phone_page) -> None:
    number = customer_reports(local_stack, f"精密机械 {uuid.uuid4().hex[:6]}")
    page = phone_page

    page.goto(local_stack.app_url + "/staff/queue")
    page.wait_for_url(re.compile(r"/staff/sign-in\?next="))
    page.fill("#username", "supervisor")
    page.fill("#password", "Demo-pass-123")
    page.click("#sign-in-button")
    page.wait_for_url(re.compile(r"/staff/queue$"))

    row = page.locator(f'tr[data-number="{number}"]')
    assert row.get_attribute("data-sla") == "on_time"
    assert "已受理" in row.inner_text()
    row.locator("a").click()
    page.wait_for_url(re.compile(rf"/staff/tickets/{number}$"))

    page.select_option("#priority-choice", "A")
    page.select_option("#billing-choice", "free")
    page.select_option("#warranty", "in")
    page.click("#classify")
    page.wait_for_url(re.compile(r"\?done=classify$"))
    assert page.inner_text("#priority") == "A 特急"

    page.check('input[name=technicians][value="tech-wang"]')
    page.click("#dispatch")
    page.wait_for_url(re.compile(r"\?done=dispatch$"))
    assert page.inner_text("#status") == "已派工"
    assert page.inner_text("#assignees") == "王工"  # the demo account's name; the login stays what is stored

    schedule = page.inner_text("#schedule")
    assert "派工" in schedule and "通报领导" in schedule
    timeline = page.inner_text("#timeline")
    assert "调度张主管: 派工：服务人员：王工" in timeline
    assert "分类定级" in timeline and "A 特急" in timeline
    assert "dispatched" not in timeline, "a Chinese page's timeline is in Chinese"

    page.goto(local_stack.app_url + "/staff/queue?technician=tech-wang")
    assert page.locator(f'tr[data-number="{number}"]').count() == 1
