"""A drawn signature is never larger than the pad it was drawn on: a bigger image is refused from its
PNG header and its byte size, before a pixel is inflated."""

import struct
import time
import zlib

import pytest

from chalicelib.domain import closure
from chalicelib.domain.closure import SIGNATURE_CANVAS, BadSignature, read_signature
from tests.pngs import data_url, signature_png


def header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` and holds a few bytes of data: inflating it would fail late."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_a_drawing_the_size_of_the_pad_is_read():
    width, height = SIGNATURE_CANVAS
    assert read_signature(data_url(signature_png(width, height))).width == width


@pytest.mark.parametrize("width, height", [
    (SIGNATURE_CANVAS[0] + 1, SIGNATURE_CANVAS[1]),
    (SIGNATURE_CANVAS[0], SIGNATURE_CANVAS[1] + 1),
    (2000, 1000),  # the largest size accepted before, which took about 21 s to decode
    (2**31 - 1, 2**31 - 1),
])
def test_a_drawing_larger_than_the_pad_is_refused_from_its_header(width, height, monkeypatch):
    def never(*args):
        raise AssertionError("decoded before its size was checked")

    monkeypatch.setattr(closure, "_unfilter", never)
    with pytest.raises(BadSignature) as refused:
        read_signature(data_url(header_only(width, height)))
    assert refused.value.code == "signature_too_large"


def test_a_real_oversized_drawing_is_refused_at_once():
    drawn = data_url(signature_png(1200, 480))
    started = time.monotonic()
    with pytest.raises(BadSignature) as refused:
        read_signature(drawn)
    assert refused.value.code == "signature_too_large"
    assert time.monotonic() - started < 1


def test_more_bytes_than_a_pad_drawing_can_take_are_refused_before_decoding():
    padded = header_only(*SIGNATURE_CANVAS) + b"\x00" * closure.MAX_SIGNATURE_BYTES
    with pytest.raises(BadSignature) as refused:
        read_signature(data_url(padded))
    assert refused.value.code == "signature_too_large"
