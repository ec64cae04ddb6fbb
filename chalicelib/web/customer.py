"""The customer's pages: the fault-report form, and the tracking page behind each ticket's link."""

from __future__ import annotations

import uuid
from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.intake import MAX_PHOTOS, CustomerAdditionInput
from chalicelib.domain.ticket import OPEN_STATUSES, Kind
from chalicelib.i18n import t
from chalicelib.i18n.tracking import step_text
from chalicelib.services.intake import PublicOrigin
from chalicelib.settings import get_settings
from chalicelib.web.errors import REFUSALS, TRACKING_PAGE, guarded, refusal, refusals
from chalicelib.web.forms import BadRequest, InvalidFields, query_of, read_form, validate
from chalicelib.web.rendering import language_of, render
from chalicelib.web.submission import source_ip, submit_report

blueprint = Blueprint(__name__)

FORM_FIELDS = frozenset(
    {
        "customer_name", "contact_person", "phone", "email", "province", "city", "address", "project_name",
        "product_model", "serial_number", "order_number", "description", "suspected_cause", "preferred_time",
        "kind", "photos",
    }
)


def report_form_context(idempotency_key: str | None) -> dict[str, Any]:
    """What ``_report_fields.html`` and ``_upload_attrs.html`` need, for the customer's form and the
    desk's entry alike. A form keeps its idempotency key across corrections: one submission."""
    max_photo_bytes = get_settings().max_photo_bytes
    return {
        "idempotency_key": idempotency_key or uuid.uuid4().hex,
        "kinds": [k.value for k in Kind],
        "max_photos": MAX_PHOTOS,
        "max_photo_bytes": max_photo_bytes,
        "max_photo_mb": max_photo_bytes // (1024 * 1024),
    }


def _form_page(values: dict, errors: dict[str, str], idempotency_key: str | None = None, status: int = 200) -> Response:
    return render(blueprint.current_request, "form.html", status=status, values=values, errors=errors,
                  **report_form_context(idempotency_key))


@blueprint.route("/", methods=["GET"])
@guarded(blueprint)
def intake_form() -> Response:
    return _form_page({}, {})


@blueprint.route("/requests", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
def submit_form() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    try:
        form = read_form(request.raw_body, list_fields=frozenset({"photos"}))
    except BadRequest as error:
        return render(request, "message.html", status=error.status, heading=t(lang, "form.title"),
                      message=t(lang, f"error.{error.code}"))
    key = str(form.get("idempotency_key") or "")[:100] or None
    values = {k: v for k, v in form.items() if k in FORM_FIELDS}
    try:
        receipt = submit_report(values, lang=lang, idempotency_key=key, source_ip=source_ip(request))
    except InvalidFields as invalid:
        # The same idempotency key again: a corrected form is the same submission, not a new one.
        return _form_page(values, invalid.fields, idempotency_key=key, status=400)
    except REFUSALS as error:
        # The form again with everything typed and uploaded kept, so sending it later is one tap.
        refused = refusal(error, lang)
        page = _form_page(values, refused.form_errors, idempotency_key=key,
                          status=refused.status)
        page.headers.update(refused.headers)
        return page
    return Response(body="", status_code=303, headers={"Location": f"{receipt['tracking_url']}?new=1"})


def _tracking_page(token: str, *, status: int = 200, errors: dict[str, str] | None = None,
                   values: dict[str, Any] | None = None, idempotency_key: str | None = None) -> Response:
    request = blueprint.current_request
    tracked = wiring.services().tracking.find(token)  # none: TRACKING_PAGE's not-found page
    lang = language_of(request, tracked.language)
    query = query_of(request)
    return render(
        request,
        "tracking.html",
        status=status,
        default_language=tracked.language,
        view=tracked,
        steps=[(step.at, step_text(lang, step.milestone, step.on, timezone=get_settings().timezone))
               for step in tracked.steps],
        new=query.get("new") == "1",
        added=query.get("added") == "1",
        may_add=tracked.status in OPEN_STATUSES,
        errors=errors or {},
        values=values or {},
        tracking_url=wiring.services().intake.tracking_url(token),
        survey_link=wiring.services().aftercare.open_survey_link(tracked.number) if tracked.survey_open_until else None,
        **report_form_context(idempotency_key),
    )


@blueprint.route("/t/{token}", methods=["GET"])
@guarded(blueprint, TRACKING_PAGE)
def tracking_page(token: str) -> Response:
    return _tracking_page(token)


@blueprint.route("/t/{token}/information", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint, TRACKING_PAGE)
def add_information(token: str) -> Response:
    """The customer adds a note or photos to their open ticket; a refusal comes back on the tracking
    page with everything typed and uploaded kept."""
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body, list_fields=frozenset({"photos"}))
    key = str(form.get("idempotency_key") or "")[:100] or uuid.uuid4().hex
    values = {k: v for k, v in form.items() if k in ("note", "photos")}
    try:
        addition = validate(CustomerAdditionInput, values, lang)
    except InvalidFields as invalid:
        errors = invalid.fields
        if "_form" in errors:  # neither a note nor a photo
            errors = {"note": t(lang, "track.add.empty")}
        return _tracking_page(token, status=400, errors=errors, values=values, idempotency_key=key)
    services = wiring.services()

    def work() -> dict[str, str]:
        services.tracking.add_information(token, addition, origin=PublicOrigin(ip=source_ip(request)),
                                          submission=key)
        return {"added": "1"}

    try:
        services.idempotency.run("addition", key, {"token": token, **addition.model_dump(mode="json")}, work)
    except refusals(TRACKING_PAGE) as error:
        refused = refusal(error, lang, TRACKING_PAGE)
        if refused.status == 404:
            raise  # no ticket behind the link: the page that says so
        page = _tracking_page(token, status=refused.status, errors=refused.form_errors,
                              values=values, idempotency_key=key)
        page.headers.update(refused.headers)
        return page
    suffix = "&lang=en" if lang == "en" and query_of(request).get("lang") else ""
    return Response(body="", status_code=303,
                    headers={"Location": f"{services.intake.tracking_url(token)}?added=1{suffix}#add-information"})


@blueprint.route("/t/{token}/acceptance", methods=["GET"])
@guarded(blueprint, TRACKING_PAGE)
def acceptance_form_copy(token: str) -> Response:
    """The customer's copy of the acceptance form they signed: a short-lived link made on request."""
    request = blueprint.current_request
    tracking = wiring.services().tracking
    lang = language_of(request, tracking.find(token).language)
    link = tracking.acceptance_form_link(token)
    if link is None:
        return render(request, "message.html", status=404, default_language=lang, heading=t(lang, "error.not_found"),
                      message=t(lang, "track.no_form"))
    return Response(body="", status_code=303, headers={"Location": link})
