"""A picture of a PDF's first page, so staff pages show a filed acceptance form inline (an ``<img>``, which
every browser, a phone's too, shows within the page's Content-Security-Policy; a PDF in a frame is
shown by few phone browsers and would need the policy opened to frames).

pypdfium2 (Chrome's PDF engine, PDFium) draws the page; on AWS it comes in the PDF layer with the font
(docs/deploy.md), locally from requirements-dev.txt. Without it no picture is made and the pages offer
the form's link alone.
"""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Iterable

logger = logging.getLogger(__name__)

PREVIEW_WIDTH = 900  # pixels: an A4 page's text stays readable on a desk and on a phone that zooms


def first_page_png(pdf: bytes, width: int = PREVIEW_WIDTH) -> bytes | None:
    """Page 1 of ``pdf`` as a PNG ``width`` pixels wide; None if no PDF engine is here or the bytes are
    not a PDF it can read."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        logger.warning("pypdfium2 is not installed: no picture of the acceptance form is made")
        return None
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return None
    try:
        if len(document) == 0:
            return None
        page = document[0]
        bitmap = page.render(scale=width / page.get_width(), rev_byteorder=True)  # RGB, 3 bytes a pixel
        stride, row_bytes = bitmap.stride, bitmap.width * bitmap.n_channels
        raw = bytes(bitmap.buffer)
        rows = (raw[y * stride : y * stride + row_bytes] for y in range(bitmap.height))
        return png(bitmap.width, bitmap.height, rows, colour=bitmap.n_channels == 3)
    finally:
        document.close()


def png(width: int, height: int, rows: Iterable[bytes], *, colour: bool) -> bytes:
    """An 8-bit PNG of these rows of pixels (RGB, or grey when not ``colour``)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2 if colour else 0, 0, 0, 0)
    data = zlib.compress(b"".join(b"\x00" + row for row in rows))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
