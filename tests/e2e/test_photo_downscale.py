"""On the running local stack at phone size: a camera-sized photo is made phone-sized before it leaves
the phone, and its upload shows a percentage, on the technician's progress report and on the
customer's form."""

from __future__ import annotations

import os
import re
import struct
import zlib

import boto3
import pytest

from tests.e2e.stack import LocalStack
from tests.e2e.test_technician_phone import dispatched_job, open_and_check_in

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 2400, 1600
# Every text the page shows, kept as it changes: the percentage passes too quickly on loopback to be
# caught by polling. Injected by the browser, so the pages' Content-Security-Policy does not apply.
RECORD_TEXTS = """
window.shownTexts = [];
new MutationObserver((changes) => changes.forEach((c) => window.shownTexts.push(c.target.textContent || "")))
  .observe(document, { subtree: true, childList: true, characterData: true });
"""


def camera_sized_png() -> bytes:
    """A 2400×1600 photo of noise: about 11.5 MB, more than the 10 MB a photo may be."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + os.urandom(WIDTH * 3) for _ in range(HEIGHT))
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1))
            + chunk(b"IEND", b""))


def stored(stack: LocalStack, key: str) -> bytes:
    s3 = boto3.client("s3", endpoint_url=stack.aws_url, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    return s3.get_object(Bucket="service-desk-files", Key=key)["Body"].read()


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's frame header."""
    at = 2
    while at < len(data):
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    raise AssertionError("no frame header")


def assert_phone_sized(stack: LocalStack, key: str, original: bytes) -> None:
    data = stored(stack, key)
    assert data[:3] == b"\xff\xd8\xff", "stored as a JPEG"
    assert len(data) < len(original) / 4
    assert jpeg_size(data) == (1600, 1067)


def percentages(page, pattern: str) -> list[int]:
    return [int(p) for text in page.evaluate("() => window.shownTexts") for p in re.findall(pattern, text)]


@pytest.fixture
def big_photo(tmp_path):
    path = tmp_path / "配电柜.png"
    path.write_bytes(camera_sized_png())
    return path


def test_a_technicians_progress_photo_is_downscaled_and_its_upload_shows_a_percentage(
        local_stack, desk, phone_page, big_photo):
    page = phone_page
    page.add_init_script(RECORD_TEXTS)
    number = dispatched_job(local_stack, desk, "照片压缩公司")["number"]
    open_and_check_in(page, local_stack, number)

    page.set_input_files("#progress-photo-input", str(big_photo))
    hidden = page.locator("#progress-photos input[name=photos]")
    hidden.wait_for(state="attached")
    assert "配电柜.jpg" in page.inner_text("#progress-photos")
    assert_phone_sized(local_stack, hidden.get_attribute("value"), big_photo.read_bytes())
    shown = percentages(page, r"上传中 (\d+)%")
    assert 0 in shown and max(shown) > 0, shown

    page.fill("#text", "拆下旧线圈，照片见附件")
    page.click("#progress-submit")
    page.wait_for_selector("#done")


def test_a_customers_photo_larger_than_the_limit_goes_in_phone_sized(local_stack: LocalStack, phone_page, big_photo):
    page = phone_page
    page.add_init_script(RECORD_TEXTS)
    page.goto(local_stack.app_url + "/?lang=en")
    page.set_input_files("#photo-input", str(big_photo))
    hidden = page.locator("#photo-list li[data-key] input[name=photos]")
    hidden.wait_for(state="attached")
    assert page.locator("#photos-error").is_hidden()
    assert_phone_sized(local_stack, hidden.get_attribute("value"), big_photo.read_bytes())
    shown = percentages(page, r"Uploading… (\d+)%")
    assert 0 in shown and max(shown) > 0, shown
