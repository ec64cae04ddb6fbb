"""Nameplate QR codes as files: one product's code as PNG or SVG, and a sheet of labels as PDF.

``segno`` makes the codes (pure Python, writes PNG and SVG without Pillow). The sheet is written with
the small PDF writer of the acceptance form, and each code is drawn as vector squares, so it prints
sharp at any size. Error correction Q: a code stays readable with a quarter of it scratched or dirty,
which a nameplate on a machine needs.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.services.acceptance_pdf import (
    PdfContent,
    cut_to_width,
    pdf_file,
    pdf_stream,
    text_width,
)
from chalicelib.services.pdf_font import pdf_font

if TYPE_CHECKING:
    import segno

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
COLUMNS, ROWS = 3, 4  # 12 labels a page, about 70 × 74 mm each
MARGIN = 30
CODE_SIZE = 130.0  # points (about 46 mm): scans from an arm's length
_BORDER = 4  # the quiet zone the QR standard asks for, in modules


def qr_code(url: str) -> segno.QRCode:
    import segno  # only when a code is drawn: no cold start pays for it

    return segno.make(url, error="q", micro=False)


def code_png(url: str) -> bytes:
    out = io.BytesIO()
    # 10 px a module: about 450 px across, enough for 40 mm at 300 dpi.
    qr_code(url).save(out, kind="png", scale=10, border=_BORDER)
    return out.getvalue()


def code_svg(url: str, title: str) -> bytes:
    out = io.BytesIO()
    # In millimetres, so a print shop gets its real size (0.5 mm a module, about 20 mm across).
    qr_code(url).save(out, kind="svg", scale=0.5, unit="mm", border=_BORDER, title=title)
    return out.getvalue()


@dataclass(frozen=True)
class Label:
    url: str
    lines: tuple[str, ...]  # printed under the code, e.g. the model and the serial number


def label_sheet_pdf(labels: Sequence[Label], footer: str = "") -> bytes:
    """A4 pages of labels, left to right and top to bottom, each code with its lines centred under it."""
    per_page = COLUMNS * ROWS
    pages = [labels[i:i + per_page] for i in range(0, len(labels), per_page)] or [[]]
    cell_width = (PAGE_WIDTH - 2 * MARGIN) / COLUMNS
    cell_height = (PAGE_HEIGHT - 2 * MARGIN) / ROWS
    contents: list[PdfContent] = []
    for page in pages:
        content = PdfContent()
        for index, label in enumerate(page):
            left = MARGIN + (index % COLUMNS) * cell_width
            top = PAGE_HEIGHT - MARGIN - (index // COLUMNS) * cell_height
            _draw_code(content, label.url, left + (cell_width - CODE_SIZE) / 2, top - 8 - CODE_SIZE)
            y = top - 8 - CODE_SIZE - 14
            for line in label.lines:
                text = cut_to_width(line, 10, cell_width - 12)
                content.text(left + (cell_width - text_width(text, 10)) / 2, y, 10, text)
                y -= 13
            # A thin cutting guide around each label.
            content.raw(f"0.85 G 0.5 w {left:.2f} {top - cell_height:.2f} {cell_width:.2f} {cell_height:.2f} re S")
        if footer:
            content.text(MARGIN, MARGIN / 2, 7, footer)
        contents.append(content)
    return _document(contents)


def _draw_code(content: PdfContent, url: str, x: float, y: float) -> None:
    """The code's dark modules as filled squares (runs in a row joined into one rectangle)."""
    matrix = qr_code(url).matrix
    module = CODE_SIZE / len(matrix)
    ops = ["0 g"]
    for row_index, row in enumerate(matrix):
        bottom = y + CODE_SIZE - (row_index + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            ops.append(f"{x + start * module:.3f} {bottom:.3f} {(column - start) * module:.3f} {module:.3f} re")
    ops.append("f")
    content.raw(" ".join(ops))


def _document(contents: Sequence[PdfContent]) -> bytes:
    # 1 catalog, 2 pages, then a page object and its content stream per page, then the font.
    first_page, font = 3, 3 + 2 * len(contents)
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(contents)))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(contents)} >>".encode("ascii"),
    ]
    for i, content in enumerate(contents):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {first_page + 2 * i + 1} 0 R >>".encode("ascii")
        )
        objects.append(pdf_stream(b"", zlib.compress(content.bytes())))
    objects.extend(pdf_font().objects(font, [text for content in contents for text in content.shown]))
    return pdf_file(objects)
