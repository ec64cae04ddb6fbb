"""Reads back what a one-page PDF of ours draws, so tests can check the layout by position."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from chalicelib.services.acceptance_pdf import text_width


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    size: int
    text: str

    @property
    def right(self):
        return self.x + text_width(self.text, self.size)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    def holds(self, x, y, right=None, top=None):
        return (self.x <= x and (right or x) <= self.x + self.width
                and self.y <= y and (top or y) <= self.y + self.height)


class Page:
    """What the content stream draws: texts, ruled boxes, tick marks and the placed image."""

    def __init__(self, pdf: bytes):
        found = re.search(rb"4 0 obj\n<<  /Filter /FlateDecode /Length (\d+) >>\nstream\n", pdf)
        self.stream = zlib.decompress(pdf[found.end():found.end() + int(found.group(1))]).decode("ascii")
        number = r"(-?[\d.]+)"
        self.texts = [Text(float(x), float(y), int(size), bytes.fromhex(hexed).decode("utf-16-be"))
                      for size, x, y, hexed in re.findall(rf"BT /F1 (\d+) Tf {number} {number} Td <([0-9A-F]*)> Tj ET",
                                                          self.stream)]
        self.boxes = [Box(*map(float, found)) for found in re.findall(rf"{number} {number} {number} {number} re S",
                                                                      self.stream)]
        self.ticks = [[tuple(map(float, point)) for point in re.findall(rf"{number} {number} [ml]", tick)]
                      for tick in re.findall(r"1.5 w (.*?) S", self.stream)]
        self.images = [tuple(map(float, found)) for found in
                       re.findall(rf"q {number} 0 0 {number} {number} {number} cm /Sig Do Q", self.stream)]

    def text(self, text):
        return next(t for t in self.texts if t.text == text)

    def box_around(self, text):
        """The smallest ruled box that holds this text."""
        return min((b for b in self.boxes if b.holds(text.x, text.y, text.right, text.y + text.size)),
                   key=lambda b: b.width * b.height)

    def box_right_of(self, box):
        return next(b for b in self.boxes if abs(b.x - (box.x + box.width)) < 0.01 and abs(b.y - box.y) < 0.01
                    and abs(b.height - box.height) < 0.01)
