"""The staff API's uploads: files never pass through the app. A presigned POST sends a photo (for a
progress report) or the signed acceptance form (a photo or PDF, for the closure) straight to storage;
the app then checks what landed by its bytes, and the key goes into the ``progress`` or ``acceptance``
move of ``/api/v1/tickets/{number}/``.

The services are the technician's page's and the customer's form's (``FieldWorkService``,
``IntakeService``); a form belongs to one job, and only its technicians may upload it.
"""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.domain.closure import MAX_FORM_BYTES
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import t
from chalicelib.services.field_work import FormRejected
from chalicelib.services.intake import PhotoRejected
from chalicelib.settings import get_settings
from chalicelib.web.api import PhotoCheck, PhotoCheckRequest, PhotoUpload, PhotoUploadRequest
from chalicelib.web.auth import current_staff
from chalicelib.web.forms import InvalidFields
from chalicelib.web.staff_api_kit import language, operation, problem
from chalicelib.web.supervisor import MAX_NUMBER_LENGTH
from chalicelib.web.technician import FormCheckRequest, FormUploadRequest, _problem_text

blueprint = Blueprint(__name__)
TECHNICIAN = (StaffRole.TECHNICIAN,)
# Who may attach photos: the technician to a progress report, the office to a report it types in.
PHOTO_TAKERS = (StaffRole.TECHNICIAN, StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.ADMIN)


class FormUpload(BaseModel):
    """POST the file to ``url`` as multipart/form-data with ``fields`` first and the file last."""

    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int = Field(description="The largest file storage takes")


class FormCheck(BaseModel):
    ok: bool
    key: str = Field(description="Pass as form_key to POST /api/v1/tickets/{number}/acceptance")


def _form_refused(code: str) -> InvalidFields:
    return InvalidFields({"form_key": _problem_text(language(blueprint), code)})


def _own_job(number: str) -> None:
    if len(number) > MAX_NUMBER_LENGTH:
        raise problem(404, "ticket_not_found", language(blueprint))
    wiring.services().field_work.job(number, current_staff())  # another's job: 404


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/uploads/form",
    "A presigned POST for the signed acceptance form (a photo or PDF) of one's own job",
    roles=TECHNICIAN,
    request=FormUploadRequest,
    response=FormUpload,
    status=201,
)
def start_form_upload(form: FormUploadRequest, number: str) -> FormUpload:
    _own_job(number)
    try:
        ticket = wiring.services().field_work.start_form_upload(
            number, current_staff(), form.filename, form.content_type
        )
    except FormRejected as error:
        raise _form_refused(error.problem.value) from None
    return FormUpload(url=ticket.url, fields=ticket.fields, key=ticket.key, max_bytes=MAX_FORM_BYTES)


@operation(
    blueprint,
    "POST",
    "/tickets/{number}/uploads/form-check",
    "Check the uploaded form by its bytes (a refused one is deleted)",
    roles=TECHNICIAN,
    request=FormCheckRequest,
    response=FormCheck,
)
def check_form_upload(form: FormCheckRequest, number: str) -> FormCheck:
    _own_job(number)
    refused = wiring.services().field_work.check_form(number, form.key)
    if refused:
        raise _form_refused(refused.value)
    return FormCheck(ok=True, key=form.key)


@operation(
    blueprint,
    "POST",
    "/uploads/photos",
    "A presigned POST for one photo (for a progress report)",
    roles=PHOTO_TAKERS,
    request=PhotoUploadRequest,
    response=PhotoUpload,
    status=201,
)
def start_photo_upload(form: PhotoUploadRequest) -> PhotoUpload:
    lang = language(blueprint)
    try:
        ticket = wiring.services().intake.start_photo_upload(form.filename, form.content_type)
    except PhotoRejected:
        raise InvalidFields({"photos": t(lang, "error.photo_not_image", name=form.filename)}) from None
    return PhotoUpload(url=ticket.url, fields=ticket.fields, key=ticket.key, max_bytes=get_settings().max_photo_bytes)


@operation(
    blueprint,
    "POST",
    "/uploads/photos/check",
    "Check an uploaded photo by its bytes (a refused one is deleted); pass its key in the progress report's photos",
    roles=PHOTO_TAKERS,
    request=PhotoCheckRequest,
    response=PhotoCheck,
)
def check_photo(form: PhotoCheckRequest) -> PhotoCheck:
    lang = language(blueprint)
    refused = wiring.services().intake.check_photo(form.key)
    if refused:
        name = form.filename or form.key.rsplit("/", 1)[-1]
        raise InvalidFields(
            {"photos": t(lang, f"error.{refused.value}", name=name, mb=get_settings().max_photo_bytes // (1024 * 1024))}
        )
    return PhotoCheck(ok=True, key=form.key)
