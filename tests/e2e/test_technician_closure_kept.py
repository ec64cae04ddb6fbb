"""On the running local stack at phone size: the closure form sent back for a correction still holds
the customer's signature, and the customer's single signature files the form."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_technician_phone import (
    dispatched_job,
    draw_signature,
    fill_work,
    open_and_check_in,
)

pytestmark = pytest.mark.e2e


def ink(page) -> int:
    """How many pixels of the pad are drawn on."""
    return page.locator("#signature-pad").evaluate(
        "pad => { const d = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }")


def test_a_correction_keeps_the_drawn_signature_and_the_form_files_without_signing_again(
        local_stack, desk, phone_page):
    page = phone_page
    number = dispatched_job(local_stack, desk, "签字保留公司")["number"]
    open_and_check_in(page, local_stack, number)
    # Required fields are marked where the technician fills them in
    expect(page.locator('label[for="work_done"] .req')).to_be_visible()
    expect(page.locator('label[for="signer"] .req')).to_be_visible()
    expect(page.locator("#closure-required")).to_be_visible()

    fill_work(page)
    draw_signature(page)
    drawn = ink(page)
    assert drawn > 100
    page.click("#file-acceptance")  # no signer's name: sent back with the field marked
    page.wait_for_selector("#signer-error")

    expect(page.locator("#signature-pad")).to_have_attribute("data-restored", "1")
    assert ink(page) >= drawn * 0.9, "the customer's signature is back on the pad"
    assert page.input_value("#work_done") == "更换合闸线圈，试运行 2 小时正常"
    page.fill("#signer", "李经理")
    page.click("#file-acceptance")
    page.wait_for_selector("#awaiting")
