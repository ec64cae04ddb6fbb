"""On the running local stack at phone size: a technician checks in, files the customer-signed acceptance
form and the supervisor approves it; and the refusal path, where the job stays open until signed."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Priority
from tests.e2e.stack import LocalStack
from tests.fakes import valid_report
from tests.pngs import signature_png

pytestmark = pytest.mark.e2e
PASSWORD = "Demo-pass-123"


def dispatched_job(stack: LocalStack, desk, customer: str) -> dict:
    request = urllib.request.Request(
        stack.app_url + "/api/requests", data=json.dumps(valid_report(customer_name=customer)).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request) as response:
        receipt = json.load(response)
    desk.record_contact(receipt["number"], actor=SystemActor("supervisor"))
    desk.classify(receipt["number"], actor=SystemActor("supervisor"), priority=Priority.URGENT)
    desk.dispatch(receipt["number"], actor=SystemActor("supervisor"), technicians=("tech-wang",))
    return receipt


def sign_in(page, stack: LocalStack, username: str, path: str) -> None:
    page.goto(stack.app_url + path)
    page.wait_for_url(re.compile(r"/staff/sign-in\?next="))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in-button")
    page.wait_for_url(re.compile(re.escape(path) + "$"))


def open_and_check_in(page, stack: LocalStack, number: str) -> None:
    sign_in(page, stack, "tech-wang", "/staff/jobs")
    page.click(f'li[data-number="{number}"] a.job-link')
    page.wait_for_url(re.compile(f"/staff/jobs/{number}$"))
    page.click("#check-in")
    page.wait_for_selector("#done")
    assert "服务人员在现场" in page.inner_text("#status")


def fill_work(page) -> None:
    page.fill("#work_done", "更换合闸线圈，试运行 2 小时正常")
    page.fill("#parts_used", "合闸线圈 ×1")
    page.fill("#hours", "3")
    page.fill("#materials", "480")
    page.fill("#labour", "300")


def draw_signature(page) -> None:
    """The customer's finger across the pad."""
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(box["x"] + 20 + step * (box["width"] - 40) / 30,
                        box["y"] + box["height"] * (0.7 - 0.4 * (step % 5) / 5))
    page.mouse.up()


def test_a_technician_files_a_signed_form_and_the_supervisor_approves(local_stack, desk, phone_page, tmp_path):
    page = phone_page
    job = dispatched_job(local_stack, desk, "验收上传公司")
    number = job["number"]
    open_and_check_in(page, local_stack, number)

    fill_work(page)
    scan = tmp_path / "signed-form.png"
    scan.write_bytes(signature_png(400, 160))
    page.set_input_files("#form-input", str(scan))
    # A locator's wait, not a JavaScript string: the page's Content-Security-Policy forbids eval.
    expect(page.locator("#form_key")).to_have_value(re.compile(r"^forms/"))
    page.click("#file-acceptance")
    page.wait_for_selector("#awaiting")

    page.context.clear_cookies()  # the supervisor signs in on the same phone
    sign_in(page, local_stack, "supervisor", "/staff/approvals")
    section = page.locator(f"#approval-{number}")
    assert "480" in section.inner_text()
    section.locator("button.approve").click()
    page.wait_for_selector("#done")
    assert page.locator(f"#approval-{number}").count() == 0

    page.goto(job["tracking_url"])
    assert "已完成" in page.content()


def test_the_customer_refuses_then_signs_on_the_screen(local_stack, desk, phone_page):
    page = phone_page
    number = dispatched_job(local_stack, desk, "拒签后签字公司")["number"]
    open_and_check_in(page, local_stack, number)

    page.click("#refuse")  # no reason: answered next to the field, nothing changes
    page.wait_for_selector("#reason-error")
    page.fill("#reason", "客户认为试运行时间不足，要求观察三天后再签字")
    page.click("#refuse")
    page.wait_for_selector("#refused")
    assert "服务人员在现场" in page.inner_text("#status"), "a refusal leaves the job open"

    fill_work(page)
    page.fill("#signer", "王工")
    draw_signature(page)
    page.click("#file-acceptance")
    page.wait_for_selector("#awaiting")
