"""Real PNG files for tests, written with zlib: a canvas-like RGBA signature, each row with a chosen
PNG filter so the decoder's every filter is exercised."""

from __future__ import annotations

import base64
import functools
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _filtered(kind: int, line: bytes, previous: bytes, bpp: int) -> bytes:
    out = bytearray()
    for i, x in enumerate(line):
        a = line[i - bpp] if i >= bpp else 0
        b = previous[i]
        c = previous[i - bpp] if i >= bpp else 0
        predictor = (0, a, b, (a + b) >> 1, _paeth(a, b, c))[kind]
        out.append((x - predictor) & 0xFF)
    return bytes(out)


def png(width: int, height: int, pixels: bytes, *, channels: int = 4, filters: tuple[int, ...] = (0, 1, 2, 3, 4)) -> bytes:
    stride = width * channels
    previous = bytes(stride)
    raw = bytearray()
    for row in range(height):
        line = pixels[row * stride:(row + 1) * stride]
        kind = filters[row % len(filters)]
        raw += bytes([kind]) + _filtered(kind, line, previous, channels)
        previous = line
    colour = {3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(raw)))
            + _chunk(b"IEND", b""))


def signature_pixels(width: int = 300, height: int = 120, *, ink: bool = True) -> bytes:
    """Transparent, like a canvas, with a dark diagonal stroke and a horizontal one."""
    pixels = bytearray(width * height * 4)
    if ink:
        for x in range(20, width - 20):
            for y in (height // 2, height // 2 + 1, (x * height) // width):
                i = (y * width + x) * 4
                pixels[i:i + 4] = b"\x11\x11\x11\xff"
    return bytes(pixels)


# Encoded in Python, row by row (a 1200 x 480 drawing takes over half a second): each size is made once.
@functools.cache
def signature_png(width: int = 300, height: int = 120, *, ink: bool = True) -> bytes:
    return png(width, height, signature_pixels(width, height, ink=ink))


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"
