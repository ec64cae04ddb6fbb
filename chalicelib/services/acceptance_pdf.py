"""Renders the product service acceptance form (产品服务验收单) as a one-page PDF with the signature.

Used when the customer signs on the technician's screen: the form then carries the ticket's facts, the
work done, the costs and the drawn signature, and is filed like an uploaded form.

Written with the standard library on purpose: the PDF needs text and one image, and the usual
libraries (reportlab, fpdf2) pull in Pillow and would double the Lambda package. Chinese text uses
the PDF standard CJK font STSong-Light (Adobe-GB1), which readers supply themselves, so no font file
is embedded; the signature is a Flate-compressed RGB image.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 50


@dataclass(frozen=True)
class FormImage:
    width: int
    height: int
    rgb: bytes


@dataclass(frozen=True)
class FormLine:
    label: str
    value: str


def render_acceptance_pdf(title: str, lines: Sequence[FormLine], signature: FormImage | None,
                          signature_label: str, footer: str = "") -> bytes:
    """One A4 page: the title, ``label: value`` lines (wrapped), then the signature image."""
    content = PdfContent()
    y = PAGE_HEIGHT - MARGIN - 18
    content.text(MARGIN, y, 18, title)
    y -= 34
    for line in lines:
        label = f"{line.label}："
        label_width = text_width(label, 11)
        wrapped = _wrap(line.value or "-", 11, PAGE_WIDTH - 2 * MARGIN - label_width)
        content.text(MARGIN, y, 11, label)
        for i, piece in enumerate(wrapped):
            content.text(MARGIN + label_width, y, 11, piece)
            if i < len(wrapped) - 1:
                y -= 16
        y -= 20
        if y < 260:  # leave room for the signature; a longer report is cut, the record keeps it whole
            content.text(MARGIN, y, 11, "…")
            y -= 20
            break
    content.text(MARGIN, y, 11, f"{signature_label}：")
    if signature is not None:
        shown_width = 240.0
        shown_height = shown_width * signature.height / signature.width
        bottom = y - 10 - shown_height
        content.raw(f"q {shown_width:.2f} 0 0 {shown_height:.2f} {MARGIN + 90} {bottom:.2f} cm /Sig Do Q")
        content.raw(f"0.6 G {MARGIN + 90} {bottom - 4:.2f} m {MARGIN + 90 + shown_width:.2f} {bottom - 4:.2f} l S")
    if footer:
        content.text(MARGIN, MARGIN, 8, footer)
    return _document(content.bytes(), signature)


class PdfContent:
    def __init__(self) -> None:
        self._ops: list[str] = []

    def text(self, x: float, y: float, size: int, text: str) -> None:
        self._ops.append(f"BT /F1 {size} Tf {x:.2f} {y:.2f} Td <{_ucs2(text)}> Tj ET")

    def raw(self, op: str) -> None:
        self._ops.append(op)

    def bytes(self) -> bytes:
        return "\n".join(self._ops).encode("ascii")


def _ucs2(text: str) -> str:
    """UTF-16BE hex for the UniGB-UCS2-H encoding; characters outside the BMP or control characters
    cannot be shown and become '?'."""
    clean = "".join(c if " " <= c <= "\uffff" and not 0xD800 <= ord(c) <= 0xDFFF else "?" for c in text)
    return clean.encode("utf-16-be").hex().upper()


def text_width(text: str, size: int) -> float:
    # STSong-Light: ASCII is half an em wide, everything else a full em.
    return sum(size * (0.5 if ord(c) < 128 else 1.0) for c in text)


def _wrap(text: str, size: int, limit: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.replace("\r", "").split("\n"):
        current, width = "", 0.0
        for char in paragraph:
            step = text_width(char, size)
            if width + step > limit and current:
                lines.append(current)
                current, width = "", 0.0
            current += char
            width += step
        lines.append(current)
    return lines or [""]


def cjk_font_objects(first: int) -> list[bytes]:
    """The three objects of the STSong-Light font, numbered from ``first`` (the font is ``first 0 R``)."""
    return [
        f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H /Encoding /UniGB-UCS2-H "
        f"/DescendantFonts [{first + 1} 0 R] >>".encode("ascii"),
        f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor {first + 2} 0 R "
        f"/DW 1000 /W [1 95 500] >>".encode("ascii"),
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]


def pdf_file(objects: Sequence[bytes]) -> bytes:
    """A PDF of these objects, numbered from 1 (the first is the catalog), with its cross-reference."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += b"".join(f"{offset:010d} 00000 n \n".encode("ascii") for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def _document(content: bytes, signature: FormImage | None) -> bytes:
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 4 0 R >>{' /XObject << /Sig 7 0 R >>' if signature else ''} >> "
            "/Contents 8 0 R >>"
        ).encode("ascii"),
        *cjk_font_objects(4),
        _image(signature) if signature else b"<< >>",
        pdf_stream(b"", zlib.compress(content)),
    ]
    return pdf_file(objects)


def _image(image: FormImage) -> bytes:
    header = (
        f"/Type /XObject /Subtype /Image /Width {image.width} /Height {image.height} "
        "/ColorSpace /DeviceRGB /BitsPerComponent 8"
    ).encode("ascii")
    return pdf_stream(header, zlib.compress(image.rgb))


def pdf_stream(header: bytes, data: bytes) -> bytes:
    return b"<< " + header + f" /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode("ascii") + data + \
        b"\nendstream"
