"""After the job on the running local stack: the supervisor approves a job on a phone, the customer answers
the survey from the SMS in the outbox, the desk records the callback a week later (the local clock moved),
and a complaint is recorded and given a corrective action by quality."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from chalicelib.adapters.clock import OffsetClock
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action
from tests.e2e.layout import assert_radios_sit_beside_their_words
from tests.e2e.stack import LocalStack
from tests.e2e.test_escalation_clock import open_ticket, sent

pytestmark = pytest.mark.e2e


def signed_in(browser, stack: LocalStack, username: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(stack.app_url + "/staff/sign-in")
    page.fill("#username", username)
    page.fill("#password", "Demo-pass-123")
    page.click("#sign-in-button")
    page.wait_for_url(re.compile(r"/staff$"))
    return page


def test_survey_callback_and_complaint_with_capa(local_stack: LocalStack, desk, browser, phone_page) -> None:
    number = open_ticket(local_stack, "无锡售后回访测试")
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE):
        desk.move(number, action, actor=SystemActor("supervisor"), summary=action.value)

    supervisor = signed_in(browser, local_stack, "supervisor")
    supervisor.goto(local_stack.app_url + "/staff/approvals")
    supervisor.click(f"#approval-{number} button.approve")
    supervisor.wait_for_selector("#done")

    # The customer's phone: the survey's short link arrives by SMS (moto's record of what SNS sent).
    [link] = [re.search(r"(http\S+/l/\w+)", text).group(1) for kind, _, text in sent(local_stack)
              if kind == "sms" and number in text and "打分" in text]
    phone_page.goto(link)
    assert_radios_sit_beside_their_words(phone_page)
    for name, score in (("overall", 5), ("timeliness", 4), ("attitude", 5), ("quality", 4)):
        phone_page.check(f"input[name={name}][value='{score}']")
    phone_page.fill("#comment", "师傅很专业")
    phone_page.click("#survey-submit")
    assert "感谢" in phone_page.inner_text("#survey-thanks")
    phone_page.goto(link)
    assert phone_page.is_visible("#survey-answered")

    # Six days later the desk calls the customer back (the clock is put back for the session's other tests).
    clock = OffsetClock(str(local_stack.state_dir / "clock.json"))
    before = clock.offset()
    clock.set_offset(before + timedelta(days=6))
    try:
        record_callback_and_complaint(browser, local_stack, number)
    finally:
        clock.set_offset(before)


def record_callback_and_complaint(browser, local_stack: LocalStack, number: str) -> None:
    desk_page = signed_in(browser, local_stack, "desk")
    desk_page.goto(local_stack.app_url + "/staff/callbacks")
    task = desk_page.locator(f"section.callback[data-number='{number}']")
    assert_radios_sit_beside_their_words(desk_page)
    task.locator("input[name=reached][value=yes]").check()
    task.locator("input[name=satisfied][value=yes]").check()
    task.locator("button.record-callback").click()
    assert "满意" in desk_page.inner_text("#done")
    assert desk_page.locator(f"section.callback[data-number='{number}']").count() == 0

    # A complaint taken on the phone, then quality's analysis and corrective action.
    desk_page.goto(local_stack.app_url + "/staff/complaints")
    for field, value in {"customer_name": "常州机电", "phone": "13800138000", "address": "武进区 1 号",
                         "product_model": "KYN28-12", "order_number": "PO-7", "part_number": "P-1",
                         "ship_date": "2026-10-01", "quantity": "50", "defective_quantity": "5",
                         "description": "批次不良", "customer_request": "换货"}.items():
        desk_page.fill(f"#{field}", value)
    desk_page.select_option("#province", "CN-JS")
    desk_page.click("#complaint-submit")
    desk_page.wait_for_url(re.compile(r"/staff/complaints/SD-"))
    complaint = re.search(r"/staff/complaints/(SD-[\d-]+)", desk_page.url).group(1)

    quality = signed_in(browser, local_stack, "quality")
    quality.goto(f"{local_stack.app_url}/staff/complaints/{complaint}")
    quality.select_option("#cause-select", "quality")
    quality.fill("#department", "生产部")
    quality.click("#analyse-form button")
    quality.wait_for_selector("#done")
    quality.fill("#capa-description", "加强来料检验")
    quality.fill("#capa-owner", "li")
    quality.fill("#capa-due", "2099-01-31")
    quality.click("#capa-submit")
    quality.wait_for_selector("#done")
    assert quality.locator("#capa li[data-status=open]").count() == 1
    assert "质量原因" in quality.inner_text("#cause")
