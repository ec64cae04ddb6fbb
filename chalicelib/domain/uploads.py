"""Which uploaded files we accept, judged by their bytes, never by the name or the declared type.

S3's presigned POST policy limits size and type on AWS, but moto ignores it, and even on AWS a
client can lie about the content type: so every upload is checked again here after it lands.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum

import filetype

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/gif"})
# Letters of any script stay (a photo named 开关柜.jpg is shown as that), everything else that could
# mean something in a key or a URL becomes "_".
_SAFE_NAME = re.compile(r"[^\w.-]+")
PHOTO_PREFIX = "uploads/photos/"
_PHOTO_KEY = re.compile(r"^uploads/photos/[0-9a-f]{32}/[\w.-]{1,80}$")
PHOTO_KEY_PATTERN = _PHOTO_KEY.pattern  # as the API document states it


class UploadProblem(StrEnum):
    MISSING = "photo_missing"
    TOO_LARGE = "photo_too_large"
    NOT_IMAGE = "photo_not_image"
    BAD_KEY = "photo_bad_key"
    IN_USE = "photo_in_use"  # already attached to another report: one upload, one ticket


def new_photo_key(filename: str) -> str:
    """A fresh, unguessable key under the photo prefix; the original name is kept for people."""
    safe = _SAFE_NAME.sub("_", filename.rsplit("/", 1)[-1])[-80:].strip("._") or "photo"
    return f"{PHOTO_PREFIX}{uuid.uuid4().hex}/{safe}"


def is_photo_key(key: str) -> bool:
    """Only keys we hand out may be attached, so a form cannot point at someone else's file."""
    return bool(_PHOTO_KEY.match(key))


def display_name(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def sniff_type(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind else None


# What a stored file may be served as. Only images are shown in the browser; anything else is saved
# (a PDF keeps its type so the phone opens it in its viewer), and bytes we cannot name are opaque.
SERVED_TYPES = PHOTO_TYPES | {"application/pdf"}
OPAQUE = "application/octet-stream"
_GENERIC = frozenset({OPAQUE, "binary/octet-stream"})  # what S3 stores when no type was given


def served_type(head: bytes) -> str:
    """The type a stored file is served with, from its bytes, never from what the uploader declared."""
    kind = sniff_type(head)
    return kind if kind in SERVED_TYPES else OPAQUE


def shown_inline(content_type: str) -> bool:
    return content_type in PHOTO_TYPES


def photo_problem(
    size: int | None, head: bytes, max_bytes: int, stored_type: str | None = None
) -> UploadProblem | None:
    """Why a landed photo is refused, or None. ``size`` None means it never arrived. ``stored_type``: the
    type storage serves it with unless a link says otherwise (its metadata, chosen by the uploader): an
    image type or storage's generic default, never a type a browser would run (text/html…)."""
    if size is None:
        return UploadProblem.MISSING
    if size > max_bytes:
        return UploadProblem.TOO_LARGE
    if sniff_type(head) not in PHOTO_TYPES:
        return UploadProblem.NOT_IMAGE
    if stored_type is not None and stored_type.split(";")[0].strip().lower() not in PHOTO_TYPES | _GENERIC:
        return UploadProblem.NOT_IMAGE
    return None
