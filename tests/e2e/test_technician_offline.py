"""On the running local stack at phone size: a progress report sent while the phone has no network is
kept on the phone (the outbox's service worker) with what was typed, the page says so, and it is
recorded once the network is back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action, TicketEvent
from chalicelib.settings import get_settings
from tests.e2e.browser import png_bytes
from tests.e2e.stack import LocalStack
from tests.e2e.test_technician_phone import dispatched_job, open_and_check_in

pytestmark = pytest.mark.e2e
TYPED = "离线时写的进度：已拆下旧线圈"
# Resolves once the outbox's service worker looks after the page (the first visit installs it).
CONTROLLED = """new Promise((resolve) => navigator.serviceWorker.controller ? resolve(true)
  : navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true)))"""


def progress_events(number: str) -> list[TicketEvent]:
    events = DynamoTickets(get_settings().table_name).events(number)
    return [e for e in events if e.action == Action.REPORT_PROGRESS]


def progress_reports(number: str) -> list[str]:
    return [e.payload.text for e in progress_events(number)]


def on_site_with_outbox(page, local_stack: LocalStack, desk, company: str) -> str:
    """A job dispatched, checked in on the phone, its page controlled by the outbox's worker: its number."""
    number = dispatched_job(local_stack, desk, company)["number"]
    open_and_check_in(page, local_stack, number)
    page.evaluate(CONTROLLED)
    return number


def test_a_report_sent_offline_waits_on_the_phone_and_is_recorded_when_the_network_is_back(
    local_stack: LocalStack, desk, phone_page
):
    page = phone_page
    number = on_site_with_outbox(page, local_stack, desk, "离线测试公司")

    page.context.set_offline(True)
    page.fill("#text", TYPED)
    page.click("#progress-submit")
    assert "已保存在这部手机上" in page.inner_text("#saved-offline")
    assert progress_reports(number) == []

    page.context.set_offline(False)
    page.goto(f"{local_stack.app_url}/staff/jobs/{number}")
    expect(page.locator("#outbox-status")).to_contain_text("离线时保存的 1 条记录已发送", timeout=30_000)
    assert progress_reports(number) == [TYPED]


def kept_offline_beside_a_second_tab(page, local_stack: LocalStack, desk, company: str):
    """A job on site with a second tab open on it, and a progress report typed offline and kept on the phone."""
    number = on_site_with_outbox(page, local_stack, desk, company)
    other_tab = page.context.new_page()
    other_tab.goto(f"{local_stack.app_url}/staff/jobs/{number}")
    page.context.set_offline(True)
    page.fill("#text", TYPED)
    page.click("#progress-submit")
    assert "已保存在这部手机上" in page.inner_text("#saved-offline")
    return number, other_tab


def test_the_next_page_still_says_what_went_out_when_the_network_came_back(local_stack: LocalStack, desk, phone_page):
    # The page open when the network returns sends what waits, and is often the one the technician then
    # leaves: the page he opens next must still tell him it went out.
    page = phone_page
    number, other_tab = kept_offline_beside_a_second_tab(page, local_stack, desk, "离线回执公司")

    page.context.set_offline(False)  # the other tab hears of it first and sends
    expect(other_tab.locator("#outbox-status")).to_contain_text("离线时保存的 1 条记录已发送", timeout=30_000)
    page.goto(f"{local_stack.app_url}/staff/jobs/{number}")
    expect(page.locator("#outbox-status")).to_contain_text("离线时保存的 1 条记录已发送", timeout=30_000)
    assert progress_reports(number) == [TYPED]


def test_a_send_that_meets_a_busy_server_when_the_network_returns_is_tried_again(
    local_stack: LocalStack, desk, phone_page
):
    # Right after a phone reconnects, the first post often gets no answer or a busy server: what waits
    # is sent again a little later, without the technician opening another page.
    page = phone_page
    number, other_tab = kept_offline_beside_a_second_tab(page, local_stack, desk, "重试回执公司")

    busy: list[str] = []

    def busy_once(route) -> None:
        if route.request.method == "POST" and not busy:
            busy.append(route.request.url)
            route.fulfill(status=503, body="busy")
        else:
            route.continue_()

    page.context.route(lambda url: f"/staff/jobs/{number}/" in url, busy_once)
    page.context.set_offline(False)
    expect(other_tab.locator("#outbox-status")).to_contain_text("离线时保存的 1 条记录已发送", timeout=30_000)
    assert busy, "the first send met the busy server"
    assert progress_reports(number) == [TYPED]


def test_a_photo_chosen_offline_is_kept_on_the_phone_and_sent_with_its_report(
    local_stack: LocalStack, desk, phone_page, tmp_path
):
    page = phone_page
    number = on_site_with_outbox(page, local_stack, desk, "离线照片公司")
    photo = tmp_path / "断路器.png"
    photo.write_bytes(png_bytes(64, 48))

    page.context.set_offline(True)
    page.set_input_files("#progress-photo-input", str(photo))
    kept = page.locator("#progress-photos li input[name=offline_photo]")
    kept.wait_for(state="attached")
    assert "照片已保存在手机上" in page.inner_text("#progress-photos")
    page.fill("#text", TYPED)
    page.click("#progress-submit")
    assert "已保存在这部手机上" in page.inner_text("#saved-offline")

    page.context.set_offline(False)
    page.goto(f"{local_stack.app_url}/staff/jobs/{number}")
    expect(page.locator("#outbox-status")).to_contain_text("离线时保存的 1 条记录已发送", timeout=30_000)
    [report] = progress_events(number)
    assert report.payload.text == TYPED and len(report.payload.photos) == 1


def test_a_photo_kept_offline_goes_with_a_report_sent_once_the_network_is_back(
    local_stack: LocalStack, desk, phone_page, tmp_path
):
    page = phone_page
    number = on_site_with_outbox(page, local_stack, desk, "恢复网络公司")
    photo = tmp_path / "接线.png"
    photo.write_bytes(png_bytes(64, 48))

    page.context.set_offline(True)
    page.set_input_files("#progress-photo-input", str(photo))
    page.locator("#progress-photos li input[name=offline_photo]").wait_for(state="attached")
    page.context.set_offline(False)
    page.fill("#text", TYPED)
    page.click("#progress-submit")
    page.wait_for_url(re.compile(rf"/staff/jobs/{number}\?done=progress$"))
    [report] = progress_events(number)
    assert len(report.payload.photos) == 1


def test_a_step_kept_offline_that_the_job_no_longer_allows_is_shown_with_what_was_typed(
    local_stack: LocalStack, desk, phone_page
):
    page = phone_page
    number = on_site_with_outbox(page, local_stack, desk, "取消测试公司")

    page.context.set_offline(True)
    page.fill("#text", TYPED)
    page.click("#progress-submit")
    page.locator("#saved-offline").wait_for()
    desk.cancel(number, actor=SystemActor("supervisor"), reason="客户取消")  # meanwhile, at the office

    page.context.set_offline(False)
    page.goto(f"{local_stack.app_url}/staff/jobs")
    refused = page.locator("#outbox-refused li")
    expect(refused).to_contain_text(TYPED)
    assert progress_reports(number) == []
    refused.locator("button").click()
    expect(refused).to_have_count(0)
