"""Bar charts as PNG, drawn with nothing but ``zlib`` and ``struct``.

Mail clients show PNG inline images reliably (many do not show SVG), and a plotting library would
outweigh the whole Lambda package. A chart here is what the report needs: horizontal bars, one per
row, each made of coloured segments (e.g. met / met late / missed), with the row's total drawn in
digits at the end of the bar. The row labels are Chinese or English text, which needs fonts; they are
written next to the image in the HTML (a legend with the same colours), not into it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

Colour = tuple[int, int, int]

PALETTE: tuple[Colour, ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)
MET, LATE, MISSED, PENDING = (44, 160, 44), (255, 187, 51), (214, 39, 40), (170, 170, 170)
WHITE: Colour = (255, 255, 255)
INK: Colour = (51, 51, 51)
GRID: Colour = (230, 230, 230)

# 3×5 digits (and "." "-" "%"), one string per row, "#" = ink.
_GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ".": ("...", "...", "...", "...", ".#."),
    "-": ("...", "...", "###", "...", "..."),
    "%": ("#.#", "..#", ".#.", "#..", "#.#"),
}


@dataclass(frozen=True)
class Bar:
    """One row: its segments (value, colour) left to right, and the text written after it."""

    segments: tuple[tuple[float, Colour], ...]
    caption: str


class Canvas:
    def __init__(self, width: int, height: int, background: Colour = WHITE):
        self.width = width
        self.height = height
        self._rows = [bytearray(bytes(background) * width) for _ in range(height)]

    def rect(self, x: int, y: int, w: int, h: int, colour: Colour) -> None:
        x0, x1 = max(x, 0), min(x + w, self.width)
        if x1 <= x0:
            return
        span = bytes(colour) * (x1 - x0)
        for row in range(max(y, 0), min(y + h, self.height)):
            self._rows[row][x0 * 3 : x1 * 3] = span

    def text(self, x: int, y: int, text: str, colour: Colour = INK, scale: int = 2) -> int:
        """Draws digits; returns the x after the text. Characters without a glyph are skipped."""
        for char in text:
            glyph = _GLYPHS.get(char)
            if glyph is None:
                continue
            for gy, line in enumerate(glyph):
                for gx, cell in enumerate(line):
                    if cell == "#":
                        self.rect(x + gx * scale, y + gy * scale, scale, scale, colour)
            x += 4 * scale
        return x

    def png(self) -> bytes:
        return encode_png(self.width, self.height, self._rows)


def encode_png(width: int, height: int, rows: Sequence[bytes | bytearray]) -> bytes:
    """An 8-bit RGB PNG (no filtering: each scanline starts with filter byte 0)."""
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bar_chart(bars: Sequence[Bar], *, width: int = 560, row_height: int = 26) -> bytes:
    """Horizontal bars scaled to the largest row; an empty chart is one grey line."""
    label_room = 90  # for the caption after the longest bar
    padding = 8
    height = max(len(bars), 1) * row_height + 2 * padding
    canvas = Canvas(width, height)
    usable = width - 2 * padding - label_room
    largest = max((sum(v for v, _ in bar.segments) for bar in bars), default=0) or 1
    canvas.rect(padding, padding, 1, height - 2 * padding, GRID)
    for index, bar in enumerate(bars):
        top = padding + index * row_height + 4
        x = padding + 1
        for value, colour in bar.segments:
            w = round(usable * max(value, 0) / largest)
            canvas.rect(x, top, w, row_height - 8, colour)
            x += w
        canvas.text(x + 6, top + (row_height - 8 - 10) // 2, bar.caption)
    return canvas.png()


def simple_bars(values: Sequence[float], captions: Sequence[str] | None = None) -> bytes:
    """One single-colour bar per value, colours from ``PALETTE`` in order (the legend uses the same)."""
    captions = captions or [_number(v) for v in values]
    return bar_chart([Bar(((v, colour_of(i)),), c) for i, (v, c) in enumerate(zip(values, captions, strict=True))])


def colour_of(index: int) -> Colour:
    return PALETTE[index % len(PALETTE)]


def hex_colour(colour: Colour) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
