"""Reading request bodies and saying what is wrong with them, in the visitor's language."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime
from typing import Any, get_args
from urllib.parse import parse_qs

from pydantic import BaseModel, ValidationError

from chalicelib.i18n import t

# Photos go straight to S3, so a report is text only. The longest valid report percent-encodes to about
# 70 KB (Chinese is 9 bytes a character); the bound leaves room for one that is too long, so it is
# answered with the field marked and the customer's text kept instead of a bare "too large" page.
MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 8  # our bodies are flat objects with a list or two: deeper is never ours
IDEMPOTENCY_FIELD = "idempotency_key"  # a form's hidden key: one submission however often it is sent


class BadRequest(Exception):
    """A body the app cannot read at all; ``code`` picks the message, ``status`` the HTTP status."""

    def __init__(self, code: str, status: int = 400):
        super().__init__(code)
        self.code = code
        self.status = status


class InvalidFields(Exception):
    """Readable input with wrong values; ``fields`` maps each field to a message for people."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(", ".join(fields))
        self.fields = fields


def query_of(request: Any) -> dict[str, str]:
    """The query string as a plain dict (Chalice gives None when there is none)."""
    return dict(request.query_params or {})


def _bytes(raw: bytes | str | None) -> bytes:
    return raw.encode("utf-8") if isinstance(raw, str) else (raw or b"")


def read_form(
    raw: bytes | str | None, list_fields: frozenset[str] = frozenset(), *, max_bytes: int = MAX_BODY_BYTES
) -> dict[str, Any]:
    """``max_bytes``: a form that carries more than text (a drawn signature) may allow more."""
    raw = _bytes(raw)
    if len(raw) > max_bytes:
        raise BadRequest("body_too_large", 413)
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("bad_form") from None
    return {k: (v if k in list_fields else v[-1]) for k, v in parsed.items()}


def read_json(raw: bytes | str | None) -> dict[str, Any]:
    raw = _bytes(raw)
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest("body_too_large", 413)
    try:
        data = json.loads(raw or b"null")
    except (UnicodeDecodeError, ValueError, RecursionError):  # the parser recurses once per level
        raise BadRequest("bad_json") from None
    if not isinstance(data, dict) or _depth(data) > MAX_JSON_DEPTH:
        raise BadRequest("bad_json")
    return data


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def localized_errors(error: ValidationError, lang: str) -> dict[str, str]:
    """First problem of each field, as a sentence a customer understands."""
    fields: dict[str, str] = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "_form"
        fields.setdefault(field, _message(problem, lang))
    return fields


def _message(problem: Any, lang: str) -> str:
    kind = problem["type"]
    ctx = problem.get("ctx") or {}
    if kind in ("missing", "string_too_short") or (kind == "too_short" and ctx.get("min_length") == 1):
        return t(lang, "error.required")
    if kind == "string_too_long":
        return t(lang, "error.too_long", max=ctx.get("max_length"))
    if kind == "too_long":
        return t(lang, "error.photos_too_many", max=ctx.get("max_length"))
    if kind in ("phone_invalid", "email_invalid", "province_unknown", "webhook_url", "webhook_secret_name"):
        return t(lang, f"error.{kind}", **ctx)
    if kind == "query_too_short":
        return t(lang, "error.query_too_short", min=ctx.get("min"))
    if kind in ("enum", "literal_error"):
        return t(lang, "error.choice_invalid")
    if kind == "extra_forbidden":
        return t(lang, "error.unknown_field")
    return t(lang, "error.invalid")


def validate(model: type[BaseModel], data: dict[str, Any], lang: str) -> Any:
    try:
        return model.model_validate(_dates_read(model, data))
    except ValidationError as error:
        raise InvalidFields(localized_errors(error, lang)) from None


# Dates are typed into text fields (``rendering.input_type``): the usual ways of writing one are read.
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2})")
_TIME = re.compile(r"(\d{1,2})\s*[:时]\s*(\d{2})\s*分?")


def typed_date(value: str) -> str:
    """2026/12/8, 2026.12.8, 2026年12月8日, 20261208 (full-width digits too) as 2026-12-08; else as typed."""
    found = _DATE.fullmatch(unicodedata.normalize("NFKC", value).strip())
    if not found:
        return value
    year, month, day = (int(part) for part in (found.groups()[:3] if found.group(1) else found.groups()[3:]))
    return f"{year:04d}-{month:02d}-{day:02d}"


def typed_datetime(value: str) -> str:
    """A date as ``typed_date`` reads it and a time (9:30, 09:30, 9时30分) as 2026-12-08T09:30; else as typed."""
    text = unicodedata.normalize("NFKC", value).strip()
    day, _, time = text.replace("T", " ").partition(" ")
    clock = _TIME.fullmatch(time.strip())
    if not clock or not _DATE.fullmatch(day):
        return value
    return f"{typed_date(day)}T{int(clock.group(1)):02d}:{clock.group(2)}"


def _dates_read(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    read = dict(data)
    for name, field in model.model_fields.items():
        kinds = {field.annotation, *get_args(field.annotation)}
        reader = typed_datetime if datetime in kinds else typed_date if date in kinds else None
        for key in {name, field.alias or name}:
            if reader and isinstance(read.get(key), str):
                read[key] = reader(read[key])
    return read
