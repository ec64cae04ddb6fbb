"""Closing a job on site: the work report, the customer-signed acceptance form, and refusals to sign.

000 §4.5.7: after each job the technician fills in the product service acceptance form (产品服务验收单)
and has the customer sign (and stamp) it; a job the customer refuses to sign is not complete, and the
technician files a reason analysis report for the supervisor. 002 §4.2 wants the signed record filed.

The form arrives either as a file the technician uploads (photo or PDF, judged by its bytes) or as a
signature the customer draws on the phone; the drawing is checked here before it is rendered into a
form. This module imports only the lifecycle table from the rest of the domain, so the ticket can hold
its models.

The closure's own steps (file the form, refuse to sign, approve, reject) are a transition table
(``CLOSURE_MOVES``); a step it does not list raises ``IllegalClosureMove``. The ticket's table keeps
only what moves the job: on site → awaiting approval → closed, or back on site.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import uuid
import zlib
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

import filetype
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.lifecycle import Lifecycle

MAX_FORM_BYTES = 10 * 1024 * 1024
FORM_TYPES = frozenset({"image/jpeg", "image/png", "image/heic", "image/heif", "application/pdf"})
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})  # what every browser shows in a page
MAX_PROGRESS_PHOTOS = 5

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
RequiredText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Money = Annotated[Decimal, Field(ge=0, le=10_000_000, max_digits=12, decimal_places=2)]
Hours = Annotated[Decimal, Field(ge=0, le=2000, max_digits=7, decimal_places=2)]


class Costs(BaseModel):
    """What the job cost, in yuan, split as the monthly cost report needs it (001 §5.4)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    materials: Money = Decimal(0)
    labour: Money = Decimal(0)
    travel: Money = Decimal(0)
    transport: Money = Decimal(0)

    @property
    def total(self) -> Decimal:  # not serialized: stored records hold only what was entered
        return self.materials + self.labour + self.travel + self.transport


class WorkReport(BaseModel):
    """What was done on site: written on the acceptance form and kept for the cost report."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    work_done: RequiredText
    parts_used: Text = ""
    hours: Hours = Decimal(0)  # working hours on site
    travel_hours: Hours = Decimal(0)
    costs: Costs = Field(default_factory=Costs)


class Satisfaction(StrEnum):
    """The customer's answer on the acceptance form, in the paper form's order."""

    SATISFIED = "satisfied"  # 满意
    FAIR = "fair"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意


class FormSource(StrEnum):
    UPLOADED = "uploaded"  # a photo or PDF of the paper form, signed (and stamped) by the customer
    DRAWN = "drawn"  # the customer signed on the technician's screen; the app rendered the form


class Acceptance(BaseModel):
    """The filed acceptance form: where it is stored, how it was signed, and the work it records."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    form_key: str
    form_type: str
    source: FormSource
    signer: str | None = None
    # Answered on the screen with a drawn signature; on an uploaded paper form they are on the paper.
    opinion: str = ""
    satisfaction: Satisfaction | None = None
    work: WorkReport
    filed_at: datetime
    filed_by: str
    # A picture of a PDF form's first page, stored beside it when one could be drawn.
    preview_key: str | None = None

    def shown_inline(self) -> str | None:
        """The stored picture a page shows in place of the form: the picture of its first page, a photo
        of the paper form, or (for a form signed on the phone before pictures were made) the signature."""
        if self.preview_key:
            return self.preview_key
        if self.form_type in INLINE_TYPES:
            return self.form_key
        if self.source == FormSource.DRAWN:
            return f"{self.form_key.rsplit('/', 1)[0]}/signature.png"
        return None


class SignatureRefusal(BaseModel):
    """The customer would not sign: the job stays open and the supervisor reads why (000 §4.5.7)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: RequiredText
    at: datetime
    by: str


# ---- the closure's steps -------------------------------------------------------------------------


class ClosureState(StrEnum):
    OPEN = "open"  # no form on file: none filed yet, or the supervisor rejected the last one
    REFUSED = "refused"  # the customer would not sign; the reason report waits for the supervisor
    FILED = "filed"  # the signed form is filed and waits for the supervisor's approval
    APPROVED = "approved"  # the supervisor approved it: the job is complete


class ClosureMove(StrEnum):
    FILE = "file"  # the technician files the signed form (again, after a rejection or a refusal)
    REFUSE = "refuse"  # the customer will not sign: the reason report (the latest one counts)
    APPROVE = "approve"
    REJECT = "reject"  # the supervisor sends the form back: the job waits for a new one


class IllegalClosureMove(Exception):
    """A step the closure's table does not allow, e.g. approving a form nobody filed."""

    code = "closure_move"

    def __init__(self, state: ClosureState | None, move: ClosureMove):
        super().__init__(f"cannot {move.value} a closure that is {state.value if state else 'missing'}")
        self.state = state
        self.move = move


# The closure's life: (state before, move, state after); a step not listed is illegal. It starts open, on site.
CLOSURE_MOVES: Lifecycle[ClosureState, ClosureMove] = Lifecycle(
    [
        (ClosureState.OPEN, ClosureMove.FILE, ClosureState.FILED),
        (ClosureState.OPEN, ClosureMove.REFUSE, ClosureState.REFUSED),
        (ClosureState.REFUSED, ClosureMove.REFUSE, ClosureState.REFUSED),  # a newer report replaces it
        (ClosureState.REFUSED, ClosureMove.FILE, ClosureState.FILED),  # the customer signed after all
        (ClosureState.FILED, ClosureMove.APPROVE, ClosureState.APPROVED),
        (ClosureState.FILED, ClosureMove.REJECT, ClosureState.OPEN),
    ],
    refuse=IllegalClosureMove,
)


class Closure(BaseModel):
    """The closure as the ticket holds it: where it stands, the filed form and the latest refusal to sign.
    Its state is read from the job's status and the refusal (``Ticket.closure``), so stored tickets need
    nothing new."""

    model_config = ConfigDict(frozen=True)

    state: ClosureState = ClosureState.OPEN
    acceptance: Acceptance | None = None
    refusal: SignatureRefusal | None = None


def file_form(closure: Closure, acceptance: Acceptance) -> Closure:
    """The signed form filed; a refusal reported before is answered by it."""
    return Closure(state=CLOSURE_MOVES.next(closure.state, ClosureMove.FILE), acceptance=acceptance)


def refuse_to_sign(closure: Closure, refusal: SignatureRefusal) -> Closure:
    return closure.model_copy(update={"state": CLOSURE_MOVES.next(closure.state, ClosureMove.REFUSE),
                                      "refusal": refusal})


def approve(closure: Closure) -> Closure:
    return closure.model_copy(update={"state": CLOSURE_MOVES.next(closure.state, ClosureMove.APPROVE)})


def reject(closure: Closure) -> Closure:
    """The filed form stays in the timeline (its event); the closure waits for a new one."""
    return Closure(state=CLOSURE_MOVES.next(closure.state, ClosureMove.REJECT))


class Location(BaseModel):
    """Where the phone said it was at check-in (optional: the technician may refuse the browser)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)


class ArrivalReport(BaseModel):
    """000 §4.5.4: within 1 h of arriving, the site's situation, where the technician stays, a phone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    situation: RequiredText
    lodging: Text = ""
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = ""


class Departure(BaseModel):
    """000 §4.5.8: before the job on site ends, report and give the planned return date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    planned_return: date
    note: Text = ""


# ---- the uploaded form ---------------------------------------------------------------------------


class FormProblem(StrEnum):
    MISSING = "form_missing"
    TOO_LARGE = "form_too_large"
    WRONG_TYPE = "form_wrong_type"
    BAD_KEY = "form_bad_key"


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


FORMS_PREFIX = "forms/"


def form_prefix(number: str) -> str:
    return f"{FORMS_PREFIX}{number}/"


def new_form_key(number: str, filename: str) -> str:
    """Under the ticket's own prefix with an unguessable part, so one job cannot file another's form."""
    stem, dot, extension = filename.rsplit("/", 1)[-1].rpartition(".")
    if not dot:
        stem, extension = extension, ""
    stem = _SAFE_NAME.sub("_", stem).strip("._")[:60] or "form"
    extension = _SAFE_NAME.sub("", extension)[:10]
    return f"{form_prefix(number)}{uuid.uuid4().hex}/{stem}{'.' + extension if extension else ''}"


def is_form_key(number: str, key: str) -> bool:
    rest = key.removeprefix(form_prefix(number))
    return rest != key and bool(re.fullmatch(r"[0-9a-f]{32}/[A-Za-z0-9._-]{1,80}", rest))


def sniff_type(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind else None


def form_problem(size: int | None, head: bytes, max_bytes: int = MAX_FORM_BYTES) -> FormProblem | None:
    """Why a landed form is refused, or None. ``size`` None means it never arrived."""
    if size is None:
        return FormProblem.MISSING
    if size > max_bytes:
        return FormProblem.TOO_LARGE
    if sniff_type(head) not in FORM_TYPES:
        return FormProblem.WRONG_TYPE
    return None


# ---- the drawn signature -------------------------------------------------------------------------

# The technician's phone draws on a canvas of this size (templates/tech_job.html). A larger image is not
# the canvas's: it is refused from its header, before any pixel is inflated, since decoding the
# largest PNG that once passed took longer than API Gateway waits.
SIGNATURE_CANVAS = (600, 240)
SIGNATURE_MIN = (100, 40)
SIGNATURE_MAX = SIGNATURE_CANVAS
# Even a drawing that fills the canvas with noise compresses to less (600 × 240 RGBA is 576 KB raw;
# real signatures are a few KB).
MAX_SIGNATURE_BYTES = 256 * 1024
_DATA_URL_PREFIX = "data:image/png;base64,"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class BadSignature(ValueError):
    """The drawing is not a PNG we can use: ``code`` says why (for the message next to the field)."""

    def __init__(self, code: Literal["signature_missing", "signature_not_png", "signature_size", "signature_too_large",
                                     "signature_blank"]):
        super().__init__(code)
        self.code = code


class Signature(BaseModel):
    """A decoded signature: the original PNG bytes, and its pixels on white as 8-bit RGB rows."""

    model_config = ConfigDict(frozen=True)

    png: bytes
    width: int
    height: int
    rgb: bytes


def read_signature(data_url: str) -> Signature:
    """Decodes and checks a canvas ``toDataURL('image/png')``: a real, non-interlaced 8-bit RGB(A) PNG
    of sane size with some ink on it. The pixels are decoded here (stdlib zlib) so a forged header or a
    decompression bomb is refused before anything is rendered."""
    if not data_url:
        raise BadSignature("signature_missing")
    if not data_url.startswith(_DATA_URL_PREFIX):
        raise BadSignature("signature_not_png")
    encoded = data_url[len(_DATA_URL_PREFIX):]
    if len(encoded) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
        raise BadSignature("signature_too_large")
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadSignature("signature_not_png") from None
    width, height, channels, idat = _png_chunks(png)
    if width > SIGNATURE_MAX[0] or height > SIGNATURE_MAX[1]:
        raise BadSignature("signature_too_large")
    if width < SIGNATURE_MIN[0] or height < SIGNATURE_MIN[1]:
        raise BadSignature("signature_size")
    rgb = _on_white(_unfilter(idat, width, height, channels), channels)
    if _ink(rgb) < 20:
        raise BadSignature("signature_blank")
    return Signature(png=png, width=width, height=height, rgb=rgb)


def _png_chunks(png: bytes) -> tuple[int, int, int, bytes]:
    if not png.startswith(_PNG_MAGIC):
        raise BadSignature("signature_not_png")
    position, header, idat = len(_PNG_MAGIC), None, bytearray()
    while position + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        data = png[position + 8:position + 8 + length]
        if len(data) != length:
            break
        if kind == b"IHDR" and length == 13:
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        elif kind == b"IEND":
            break
        position += 12 + length
    if header is None or not idat:
        raise BadSignature("signature_not_png")
    width, height, depth, colour, _, _, interlace = header
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise BadSignature("signature_not_png")  # canvases always write 8-bit RGBA, non-interlaced
    return width, height, channels, bytes(idat)


def _unfilter(idat: bytes, width: int, height: int, channels: int) -> bytes:
    stride = width * channels
    expected = height * (stride + 1)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(idat, expected + 1)  # bounded: a bomb cannot inflate past this
    except zlib.error:
        raise BadSignature("signature_not_png") from None
    if len(raw) != expected:
        raise BadSignature("signature_not_png")
    out = bytearray(height * stride)
    previous = bytearray(stride)
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise BadSignature("signature_not_png")
        out[row * stride:(row + 1) * stride] = line
        previous = line
    return bytes(out)


def _on_white(pixels: bytes, channels: int) -> bytes:
    """RGB with any transparency laid over white paper (canvases are transparent where not drawn)."""
    if channels == 3:
        return pixels
    out = bytearray(len(pixels) // 4 * 3)
    for i in range(len(pixels) // 4):
        r, g, b, a = pixels[4 * i:4 * i + 4]
        out[3 * i] = (r * a + 255 * (255 - a)) // 255
        out[3 * i + 1] = (g * a + 255 * (255 - a)) // 255
        out[3 * i + 2] = (b * a + 255 * (255 - a)) // 255
    return bytes(out)


def _ink(rgb: bytes) -> int:
    """Dark pixels: a blank canvas has none."""
    return sum(1 for i in range(0, len(rgb), 3) if rgb[i] + rgb[i + 1] + rgb[i + 2] < 384)
