"""On the running local stack at phone size: after reporting, the customer adds a note and a photo from the
tracking page; the photo goes to storage from the phone, and the ticket records both."""

from __future__ import annotations

import re

import pytest

from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.ticket import Action
from chalicelib.settings import get_settings
from tests.e2e.browser import png_bytes
from tests.e2e.stack import LocalStack
from tests.e2e.test_technician_phone import dispatched_job

pytestmark = pytest.mark.e2e


def test_the_customer_adds_a_note_and_a_photo_from_the_tracking_page(
    local_stack: LocalStack, desk, phone_page, tmp_path
):
    receipt = dispatched_job(local_stack, desk, "补充照片公司")
    photo = tmp_path / "铭牌.png"
    photo.write_bytes(png_bytes(64, 48))

    page = phone_page
    page.goto(receipt["tracking_url"])
    page.fill("#note", "柜门铭牌照片补上")
    page.set_input_files("#photo-input", str(photo))
    page.wait_for_selector("#photo-list li[data-key] input[name=photos]", state="attached")
    page.click("#submit")
    page.wait_for_url(re.compile(r"\?added=1"))
    assert "已收到您补充的信息" in page.inner_text("#added")
    assert "您补充了信息" in page.inner_text("#timeline")

    [added] = [
        e
        for e in DynamoTickets(get_settings().table_name).events(receipt["number"])
        if e.action == Action.ADD_INFORMATION
    ]
    assert added.payload.note == "柜门铭牌照片补上"
    [key] = added.payload.photos
    assert key.endswith(".png") and "铭牌" in key
