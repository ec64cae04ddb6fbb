"""The JSON API under ``/api/``: the same operations as the customer's pages, for other front ends and
for integrations (e.g. a call-centre system creating tickets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.domain.intake import PHOTO_KEY_SCHEMA, ServiceRequestInput
from chalicelib.domain.uploads import PHOTO_TYPES
from chalicelib.i18n import normalize_language, t
from chalicelib.i18n.tracking import step_text
from chalicelib.services.intake import PhotoRejected
from chalicelib.services.tracking import UnknownTrackingToken
from chalicelib.settings import get_settings
from chalicelib.web import openapi
from chalicelib.web.errors import guarded
from chalicelib.web.forms import InvalidFields, query_of, read_json, validate
from chalicelib.web.submission import source_ip, submit_report

blueprint = Blueprint(__name__)


class Receipt(BaseModel):
    number: str = Field(examples=["SD-2026-000123"])
    tracking_token: str
    tracking_url: str


class PhotoUploadRequest(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    # Other types are answered 400 with the form's "not an image" message, so the list is the document's.
    content_type: str = Field(
        min_length=1, max_length=100, json_schema_extra={"enum": [kind for kind in sorted(PHOTO_TYPES)]}
    )


class PhotoUpload(BaseModel):
    """POST the file to ``url`` as multipart/form-data with ``fields`` first and the file last."""

    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int


class PhotoCheckRequest(BaseModel):
    key: str = Field(min_length=1, max_length=300, json_schema_extra=PHOTO_KEY_SCHEMA)
    filename: str | None = Field(None, max_length=200)


class PhotoCheck(BaseModel):
    ok: bool
    key: str


class TimelineEntry(BaseModel):
    """A public milestone of the ticket; never what the office noted about it."""

    at: datetime
    action: str = Field(description="The move that reached it", examples=["submit", "dispatch", "approve"])
    summary: str = Field(description="The milestone in the requested language")


class TrackedTicket(BaseModel):
    number: str
    status: str
    status_label: str
    kind: str
    created_at: datetime
    product_model: str
    photos: int
    timeline: list[TimelineEntry]


class Error(BaseModel):
    error: str
    message: str
    fields: dict[str, str] = Field(default_factory=dict)


# The token at the end of a tracking link (``IntakeService``: 24 random bytes, URL-safe base64).
TRACKING_TOKEN_SCHEMA = {"pattern": "^[A-Za-z0-9_-]{32}$", "minLength": 32, "maxLength": 32}

BAD = (400, ("The request cannot be read or has invalid fields", Error))
TOO_LARGE = (413, ("The request body is too large", Error))

openapi.operation(
    "post", "/api/requests", "Report a fault / request service (opens a ticket)",
    request=ServiceRequestInput,
    responses={201: ("Ticket opened (or the earlier result for the same Idempotency-Key)", Receipt),
               **dict([BAD, TOO_LARGE]), 409: ("Same Idempotency-Key still being processed", Error),
               422: ("Idempotency-Key reused with different content", Error),
               429: ("Too many reports from this phone number or address; try again after Retry-After seconds",
                     Error)},
    headers={"Idempotency-Key": "Any unique string per submission; repeats return the first result"},
    parameter_schemas={"Idempotency-Key": {"minLength": 1, "maxLength": 100}},
)
openapi.operation(
    "post", "/api/uploads/photos", "Get a presigned POST to upload one photo straight to storage",
    request=PhotoUploadRequest,
    responses={201: ("Upload form fields", PhotoUpload), **dict([BAD])},
)
openapi.operation(
    "post", "/api/uploads/photos/check", "Check an uploaded photo (size, image type); refused files are deleted",
    request=PhotoCheckRequest,
    responses={200: ("The photo is accepted", PhotoCheck), **dict([BAD])},
)
openapi.operation(
    "get", "/api/track/{token}", "A ticket's status and public timeline, by its tracking token",
    responses={200: ("The ticket", TrackedTicket), 404: ("No ticket behind this token", Error)},
    parameter_schemas={"token": TRACKING_TOKEN_SCHEMA},
)
openapi.operation("get", "/api/openapi.json", "This document", responses={200: ("OpenAPI 3.1 document", None)})


def _lang() -> str:
    request = blueprint.current_request
    query = query_of(request)
    return normalize_language(query.get("lang") or request.headers.get("accept-language"))


def _json(model: BaseModel, status: int = 200) -> Response:
    return Response(body=model.model_dump(mode="json"), status_code=status)


def _error(status: int, code: str, lang: str, fields: dict[str, str] | None = None) -> Response:
    return _json(Error(error=code, message=t(lang, f"error.{code}"), fields=fields or {}), status)


@blueprint.route("/requests", methods=["POST"], content_types=["application/json"])
@guarded(blueprint)
def create_request() -> Response:
    request = blueprint.current_request
    lang = _lang()
    data = read_json(request.raw_body)
    key = (request.headers.get("idempotency-key") or "")[:100] or None
    receipt = submit_report(data, lang=lang, idempotency_key=key, source_ip=source_ip(request))
    return _json(Receipt(**receipt), 201)


@blueprint.route("/uploads/photos", methods=["POST"], content_types=["application/json"])
@guarded(blueprint)
def start_photo_upload() -> Response:
    lang = _lang()
    body = validate(PhotoUploadRequest, read_json(blueprint.current_request.raw_body), lang)
    try:
        ticket = wiring.services().intake.start_photo_upload(body.filename, body.content_type)
    except PhotoRejected:
        raise InvalidFields({"photos": t(lang, "error.photo_not_image", name=body.filename)}) from None
    upload = PhotoUpload(url=ticket.url, fields=ticket.fields, key=ticket.key, max_bytes=get_settings().max_photo_bytes)
    return _json(upload, 201)


@blueprint.route("/uploads/photos/check", methods=["POST"], content_types=["application/json"])
@guarded(blueprint)
def check_photo() -> Response:
    lang = _lang()
    body = validate(PhotoCheckRequest, read_json(blueprint.current_request.raw_body), lang)
    problem = wiring.services().intake.check_photo(body.key)
    if problem:
        name = body.filename or body.key.rsplit("/", 1)[-1]
        message = t(lang, f"error.{problem.value}", name=name, mb=get_settings().max_photo_bytes // (1024 * 1024))
        return _json(Error(error=problem.value, message=message, fields={"photos": message}), 400)
    return _json(PhotoCheck(ok=True, key=body.key))


@blueprint.route("/track/{token}", methods=["GET"])
@guarded(blueprint)
def track(token: str) -> Response:
    lang = _lang()
    try:
        tracked = wiring.services().tracking.find(token)
    except UnknownTrackingToken:
        return _error(404, "not_found.tracking", lang)
    zone = get_settings().timezone
    return _json(
        TrackedTicket(
            number=tracked.number,
            status=tracked.status.value,
            status_label=t(lang, f"status.{tracked.status.value}"),
            kind=tracked.kind.value,
            created_at=tracked.created_at,
            product_model=tracked.product_model,
            photos=tracked.photos,
            timeline=[TimelineEntry(at=step.at, action=step.action.value,
                                    summary=step_text(lang, step.milestone, step.on, timezone=zone))
                      for step in tracked.steps],
        )
    )


@blueprint.route("/openapi.json", methods=["GET"])
@guarded(blueprint)
def openapi_document() -> dict[str, Any]:
    return openapi.document("After-sales service desk API", "1.0.0", get_settings().public_base_url)
