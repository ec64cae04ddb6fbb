"""axe-core (installed by npm from tests/e2e/axe/package.json) finds no serious or critical violation on the
four pages people use most: the customer's form, the tracking page, the technician's job page (phone
size) and the supervisor's ticket page (desk size), in Chinese and in English. Each Chinese page is
photographed on the way: ``make screens`` keeps the pictures in docs/screens/ (SCREENS_DIR), for the
README and for reviewers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.browser import sign_in_on_the_way
from tests.e2e.stack import LocalStack
from tests.e2e.test_technician_phone import dispatched_job

pytestmark = pytest.mark.e2e
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 900}}
SERIOUS = ("serious", "critical")
LANGUAGES = ["zh-CN", "en"]


@pytest.fixture
def job(local_stack: LocalStack, desk) -> dict:
    """A report from the customer's form, classified and dispatched to tech-wang."""
    return dispatched_job(local_stack, desk, "无障碍检查公司")


def checked(browser, app_url: str, lang: str, size: dict, open_page) -> list[dict]:
    """Opens a page in ``lang`` (the language a visitor chose, kept in a cookie) in a context of
    ``size`` (CSP bypassed only so axe can be injected), photographs it and returns axe's serious and
    critical violations."""
    context = browser.new_context(bypass_csp=True, locale=lang, **size)
    context.add_cookies([{"name": "lang", "value": lang, "url": app_url}])
    try:
        page = context.new_page()
        name = open_page(page)
        assert page.get_attribute("html", "lang") == lang
        page.add_script_tag(path=str(AXE))
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        screens = os.environ.get("SCREENS_DIR")
        if screens and lang == "zh-CN":
            Path(screens).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(screens) / f"{name}.png"), full_page=True)
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results["violations"]
            if v["impact"] in SERIOUS
        ]
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_customers_form_has_no_serious_violation(local_stack, browser, lang):
    def open_page(page):
        page.goto(local_stack.app_url + "/")
        return "customer-form-phone"

    assert checked(browser, local_stack.app_url, lang, PHONE, open_page) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_tracking_page_has_no_serious_violation(local_stack, browser, job, lang):
    def open_page(page):
        page.goto(job["tracking_url"])
        return "tracking-phone"

    assert checked(browser, local_stack.app_url, lang, PHONE, open_page) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_technicians_job_page_has_no_serious_violation(local_stack, browser, job, lang):
    def open_page(page):
        sign_in_on_the_way(page, local_stack.app_url, f"/staff/jobs/{job['number']}", "tech-wang")
        return "technician-job-phone"

    assert checked(browser, local_stack.app_url, lang, PHONE, open_page) == []


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", ["phone", "desk"])
def test_the_supervisors_ticket_page_has_no_serious_violation(local_stack, browser, job, size, lang):
    def open_page(page):
        sign_in_on_the_way(page, local_stack.app_url, f"/staff/tickets/{job['number']}", "supervisor")
        return f"supervisor-ticket-{size}"

    assert checked(browser, local_stack.app_url, lang, PHONE if size == "phone" else DESK, open_page) == []
