"""Debian's Chromium driven by Playwright (never a browser Playwright downloads)."""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, which this network refuses.
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A small, valid PNG made here, so the test needs no image file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xcc\x33\x33" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def sign_in_on_the_way(page: Page, app_url: str, path: str, username: str) -> None:
    """Opens ``path``, signs in as the demo user ``username`` when asked, and lands on ``path``."""
    page.goto(app_url + path)
    page.wait_for_url(re.compile(r"/staff/sign-in\?next="))
    page.fill("#username", username)
    page.fill("#password", "Demo-pass-123")
    page.click("#sign-in-button")
    page.wait_for_url(re.compile(re.escape(path) + "$"))


def import_archive_sheet(page: Page, app_url: str, sheet: Path) -> None:
    """The desk signs in on its way to the archive's import page and imports ``sheet``."""
    sign_in_on_the_way(page, app_url, "/staff/archive/import", "desk")
    page.set_input_files("#import-file", str(sheet))
    page.click("#import-button")
    page.wait_for_selector("#import-result")
