"""A PDF page as a reader draws it (pdfium, Chrome's PDF engine): its pixels, its text, and a PNG to look at.

``python -m tests.pdf_raster form.pdf form.png`` draws the first page of a PDF into a PNG.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2 as pdfium

from chalicelib.services.form_preview import png


class RenderedPage:
    """Page 1 drawn in grey levels at ``scale`` pixels a point (0 black, 255 white)."""

    def __init__(self, pdf: bytes, scale: float = 2.0):
        document = pdfium.PdfDocument(pdf)
        page = document[0]
        self.scale = scale
        self.page_height = page.get_height()
        self.text = page.get_textpage().get_text_range()
        bitmap = page.render(scale=scale, grayscale=True)
        self.width, self.height, stride = bitmap.width, bitmap.height, bitmap.stride
        raw = bytes(bitmap.buffer)
        self.rows = [raw[y * stride : y * stride + self.width] for y in range(self.height)]
        self.fonts = _font_names(document)
        document.close()

    def ink(self, x: float, y: float, width: float, height: float) -> float:
        """The share of dark pixels in this rectangle of the page (in points, ``x, y`` its lower left
        corner), leaving out 2 points along each edge (the ruled lines)."""
        left, right = round((x + 2) * self.scale), round((x + width - 2) * self.scale)
        top = round((self.page_height - (y + height) + 2) * self.scale)
        bottom = round((self.page_height - y - 2) * self.scale)
        pixels = [value for row in self.rows[top:bottom] for value in row[left:right]]
        return sum(value < 128 for value in pixels) / max(1, len(pixels))

    def png(self) -> bytes:
        return png(self.width, self.height, self.rows, colour=False)


def _font_names(document: pdfium.PdfDocument) -> list[str]:
    """The fonts the page's text objects are set in, as the reader loaded them."""
    names = []
    for obj in document[0].get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_TEXT]):
        font = pdfium.raw.FPDFTextObj_GetFont(obj.raw)
        size = pdfium.raw.FPDFFont_GetBaseFontName(font, None, 0)
        buffer = (pdfium.raw.c_char * size)()
        pdfium.raw.FPDFFont_GetBaseFontName(font, buffer, size)
        names.append(buffer.value.decode())
    return names


if __name__ == "__main__":
    Path(sys.argv[2]).write_bytes(RenderedPage(Path(sys.argv[1]).read_bytes()).png())
