"""Renders the product service acceptance form (产品服务验收单) as a one-page PDF with the signature.

Used when the customer signs on the technician's screen. The page is laid out like the paper form the
customer knows: a titled table of ruled boxes (customer, product, fault, work done, parts, hours,
charges), the customer's opinion and satisfaction with the chosen answer ticked, the signer's name and
date, the drawn signature in its box and an empty box for the company seal. Every box has a fixed size,
so the page never overflows: a long value wraps inside its box and what does not fit is cut with "…"
(the ticket record keeps it whole).

Written with the standard library on purpose: the PDF needs text, ruled lines and one image, and the
usual libraries (reportlab, fpdf2) pull in Pillow and would double the Lambda package. The Chinese text
is set in a font embedded as a subset of the characters shown (``pdf_font``), so the form prints the
same in every reader; the boxes and the cut with "…" are computed with that font's widths.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from chalicelib.services.pdf_font import pdf_font, shown_characters

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 40
TABLE_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH = 100  # the shaded label column of the table
VALUE_SIZE, LABEL_SIZE, LEADING = 10, 9, 13
BOX_PADDING = 5
SIGNATURE_HEIGHT, SEAL_WIDTH = 110, 140


@dataclass(frozen=True)
class FormImage:
    width: int
    height: int
    rgb: bytes


@dataclass(frozen=True)
class FormLine:
    """One box of the table: its label and value; ``lines`` is how many lines of text the box holds."""

    label: str
    value: str
    lines: int = 1


@dataclass(frozen=True)
class FormChoice:
    """A question answered by ticking one of its options (or none, if it was not answered)."""

    label: str
    options: Sequence[str]
    chosen: int | None = None


@dataclass(frozen=True)
class AcceptanceForm:
    title: str
    rows: Sequence[Sequence[FormLine]]  # each row of the table holds one box or two side by side
    choice: FormChoice | None = None  # the satisfaction row, below the boxes
    closing_rows: Sequence[Sequence[FormLine]] = field(default_factory=tuple)  # signer, date: after it
    signature_label: str = ""
    seal_label: str = ""
    footer: str = ""
    heading: str = ""  # small text under the title, at the right (the ticket number)


def render_acceptance_pdf(form: AcceptanceForm, signature: FormImage | None) -> bytes:
    """One A4 page laid out like the paper form; see the module docstring."""
    content = PdfContent()
    content.raw("0.8 w 0 G 0 g")
    content.text((PAGE_WIDTH - text_width(form.title, 18)) / 2, PAGE_HEIGHT - MARGIN - 18, 18, form.title)
    if form.heading:
        content.text(PAGE_WIDTH - MARGIN - text_width(form.heading, LABEL_SIZE), PAGE_HEIGHT - MARGIN - 40,
                     LABEL_SIZE, form.heading)
    top: float = PAGE_HEIGHT - MARGIN - 48
    for row in form.rows:
        top = _row(content, top, row)
    if form.choice:
        top = _choice_row(content, top, form.choice)
    for row in form.closing_rows:
        top = _row(content, top, row)
    _signature_row(content, top, form, signature)
    if form.footer:
        content.text(MARGIN, MARGIN - 16, 8, form.footer)
    return _document(content, signature)


def _row_height(lines: int) -> float:
    return max(26, lines * LEADING + 2 * BOX_PADDING)


def _row(content: PdfContent, top: float, row: Sequence[FormLine]) -> float:
    # Tall enough for its values and for a label that wraps (the padding above and below it kept).
    labels = max(len(fit_lines(box.label, LABEL_SIZE, LABEL_WIDTH - 2 * BOX_PADDING, 3)) for box in row)
    height = max(_row_height(max(box.lines for box in row)), labels * (LABEL_SIZE + 1) + 2 * BOX_PADDING + 4)
    width = TABLE_WIDTH / len(row)
    for i, box in enumerate(row):
        left = MARGIN + i * width
        _label_cell(content, left, top, height, box.label)
        content.box(left + LABEL_WIDTH, top - height, width - LABEL_WIDTH, height)
        _text_in_box(content, left + LABEL_WIDTH, top, width - LABEL_WIDTH, height, box.value or "-", VALUE_SIZE,
                     box.lines, from_top=box.lines > 1)
    return top - height


def _label_cell(content: PdfContent, left: float, top: float, height: float, label: str) -> None:
    content.raw(f"0.93 g {left:.2f} {top - height:.2f} {LABEL_WIDTH} {height:.2f} re f 0 g")
    content.box(left, top - height, LABEL_WIDTH, height)
    lines = max(1, int((height - 6) // (LABEL_SIZE + 1)))
    _text_in_box(content, left, top, LABEL_WIDTH, height, label, LABEL_SIZE, lines, leading=LABEL_SIZE + 1)


def _text_in_box(content: PdfContent, left: float, top: float, width: float, height: float, text: str,
                 size: int, lines: int, leading: float = LEADING, from_top: bool = False) -> None:
    """One line of text sits in the middle of its box, several start at the top; ``from_top`` starts
    at the top anyway (a box for a long text, as one writes on the paper form)."""
    shown = fit_lines(text, size, width - 2 * BOX_PADDING, lines)
    y = top - BOX_PADDING - size if from_top or len(shown) > 1 else top - (height + size) / 2 + 2
    for piece in shown:
        content.text(left + BOX_PADDING, y, size, piece)
        y -= leading


def _choice_row(content: PdfContent, top: float, choice: FormChoice) -> float:
    height = _row_height(1)
    _label_cell(content, MARGIN, top, height, choice.label)
    content.box(MARGIN + LABEL_WIDTH, top - height, TABLE_WIDTH - LABEL_WIDTH, height)
    x: float = MARGIN + LABEL_WIDTH + 2 * BOX_PADDING
    square = 10
    bottom = top - (height + square) / 2
    for i, option in enumerate(choice.options):
        content.box(x, bottom, square, square)
        if i == choice.chosen:
            content.raw(f"1.5 w {x + 2:.2f} {bottom + 5:.2f} m {x + 4.5:.2f} {bottom + 2:.2f} l "
                        f"{x + 9:.2f} {bottom + 9:.2f} l S 0.8 w")
        content.text(x + square + 4, bottom + 1, VALUE_SIZE, option)
        x += square + 4 + text_width(option, VALUE_SIZE) + 30
    return top - height


def _signature_row(content: PdfContent, top: float, form: AcceptanceForm, signature: FormImage | None) -> None:
    height = SIGNATURE_HEIGHT
    _label_cell(content, MARGIN, top, height, form.signature_label)
    area_left, area_width = MARGIN + LABEL_WIDTH, TABLE_WIDTH - LABEL_WIDTH - SEAL_WIDTH
    content.box(area_left, top - height, area_width, height)
    if signature is not None:
        room_w, room_h = area_width - 2 * BOX_PADDING, height - 2 * BOX_PADDING
        scale = min(room_w / signature.width, room_h / signature.height)
        shown_w, shown_h = signature.width * scale, signature.height * scale
        x, y = area_left + (area_width - shown_w) / 2, top - height + (height - shown_h) / 2
        content.raw(f"q {shown_w:.2f} 0 0 {shown_h:.2f} {x:.2f} {y:.2f} cm /Sig Do Q")
    seal_left = PAGE_WIDTH - MARGIN - SEAL_WIDTH
    content.box(seal_left, top - height, SEAL_WIDTH, height)
    _text_in_box(content, seal_left, top, SEAL_WIDTH, LABEL_SIZE + 2 * BOX_PADDING + 4, form.seal_label,
                 LABEL_SIZE, 1)


class PdfContent:
    def __init__(self) -> None:
        self._ops: list[str] = []
        self.shown: list[str] = []  # every text drawn: the font embeds their characters

    def text(self, x: float, y: float, size: int, text: str) -> None:
        self.shown.append(text)
        self._ops.append(f"BT /F1 {size} Tf {x:.2f} {y:.2f} Td <{_ucs2(text)}> Tj ET")

    def box(self, x: float, y: float, width: float, height: float) -> None:
        """A ruled rectangle, ``x, y`` its lower left corner."""
        self._ops.append(f"{x:.2f} {y:.2f} {width:.2f} {height:.2f} re S")

    def raw(self, op: str) -> None:
        self._ops.append(op)

    def bytes(self) -> bytes:
        return "\n".join(self._ops).encode("ascii")


def _ucs2(text: str) -> str:
    """Each character as its two-byte code point (UTF-16BE hex); see ``shown_characters``."""
    return shown_characters(text).encode("utf-16-be").hex().upper()


def text_width(text: str, size: int) -> float:
    return pdf_font().width(text, size)


def cut_to_width(text: str, size: int, limit: float) -> str:
    """The text as it is if it fits, else as much as fits followed by "…"."""
    return text if text_width(text, size) <= limit else _with_ellipsis(text, size, limit)


def fit_lines(text: str, size: int, limit: float, lines: int) -> list[str]:
    """The text wrapped to ``limit`` points, at most ``lines`` lines; the last shown line of a longer
    text ends with "…"."""
    wrapped = _wrap(text, size, limit)
    if len(wrapped) <= lines:
        return wrapped
    return [*wrapped[:lines - 1], _with_ellipsis(wrapped[lines - 1], size, limit)]


def _with_ellipsis(text: str, size: int, limit: float) -> str:
    while text and text_width(text + "…", size) > limit:
        text = text[:-1]
    return text.rstrip() + "…"


# Latin words stay whole when they fit on a line (a slash may end a line); Chinese may break between
# any two characters.
_TOKENS = re.compile(r"[!-.0-~]*/ *|[!-.0-~]+ *| +|.")


def _wrap(text: str, size: int, limit: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.replace("\r", "").split("\n"):
        current = ""
        for token in _TOKENS.findall(paragraph):
            if text_width(current + token.rstrip(), size) <= limit:
                current += token
                continue
            if current.strip():
                lines.append(current.rstrip())
            while text_width(token.rstrip(), size) > limit:  # a word longer than a line
                cut = 1
                while cut < len(token) and text_width(token[:cut + 1], size) <= limit:
                    cut += 1
                lines.append(token[:cut])
                token = token[cut:]
            current = token.lstrip()
        lines.append(current.rstrip())
    return lines or [""]


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


def _document(content: PdfContent, signature: FormImage | None) -> bytes:
    # 1 catalog, 2 pages, 3 the page, 4 its content, 5 the signature, then the font's objects.
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 6 0 R >>{' /XObject << /Sig 5 0 R >>' if signature else ''} >> "
            "/Contents 4 0 R >>"
        ).encode("ascii"),
        pdf_stream(b"", zlib.compress(content.bytes())),
        _image(signature) if signature else b"<< >>",
        *pdf_font().objects(6, content.shown),
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
