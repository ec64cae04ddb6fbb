"""Nameplate QR codes (扫码报修): the customer's scan page, and the office's code files.

A scan opens the report form with the customer, product, serial, address and warranty taken from the
archive and locked: they are shown, not posted, and the submitted report is built from the archive
again, so nothing a scanner sends can change them. The customer writes what is wrong and adds photos.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.i18n import t
from chalicelib.services.archive import UnknownProduct
from chalicelib.services.intake import TooManyReports
from chalicelib.services.nameplates import CodeWithdrawn, ForgedCode, ScannedProduct
from chalicelib.settings import get_settings
from chalicelib.web.archive import EDITORS, READERS, warranty_text
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.customer import report_form_context
from chalicelib.web.errors import guarded, too_many_reports
from chalicelib.web.forms import InvalidFields, query_of, read_form
from chalicelib.web.rendering import language_of, render
from chalicelib.web.submission import source_ip, submit_report

blueprint = Blueprint(__name__)

# What the customer may type on a scanned form; everything else comes from the archive.
TYPED_FIELDS = ("contact_person", "phone", "email", "kind", "description", "suspected_cause", "preferred_time")
_CODE_FORMATS = ("png", "svg")


def _lang() -> str:
    return language_of(blueprint.current_request)


def _service():  # type: ignore[no-untyped-def]
    return wiring.nameplates()


# ---- the customer's scan ----------------------------------------------------------------------------


def _scanned(token: str) -> ScannedProduct | Response:
    lang, request = _lang(), blueprint.current_request
    try:
        return _service().scan(token[:200])
    except ForgedCode:
        return render(request, "message.html", status=400, heading=t(lang, "scan.forged.title"),
                      message=t(lang, "scan.forged"))
    except CodeWithdrawn:
        # Not an error for the person holding the phone: the machine may well be fine, the label is not.
        return render(request, "message.html", heading=t(lang, "scan.withdrawn.title"),
                      message=t(lang, "scan.withdrawn"))


def _masked(phone: str) -> str:
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else phone


def _scan_form(token: str, scanned: ScannedProduct, values: dict[str, Any], errors: dict[str, str], *,
               idempotency_key: str | None = None, status: int = 200) -> Response:
    lang, c, p = _lang(), scanned.customer, scanned.product
    hidden = {k: v for k, v in errors.items() if k not in (*TYPED_FIELDS, "photos", "address")}
    if hidden and "_form" not in errors:
        errors = {**errors, "_form": next(iter(hidden.values()))}
    return render(
        blueprint.current_request, "scan_form.html", status=status, token=token, customer=c, product=p,
        warranty=warranty_text(lang, scanned.warranty.status, scanned.warranty.until),
        needs_address=not c.address, phone_on_file=_masked(c.phones[0]), values=values, errors=errors,
        **report_form_context(idempotency_key),
    )


@blueprint.route("/q/{token}", methods=["GET"])
@guarded(blueprint)
def scan_page(token: str) -> Response:
    scanned = _scanned(token)
    if isinstance(scanned, Response):
        return scanned
    return _scan_form(token, scanned, {}, {})


def report_values(scanned: ScannedProduct, typed: dict[str, Any]) -> dict[str, Any]:
    """The report a scanned form sends: the archive's facts, with what the customer typed."""
    c, p = scanned.customer, scanned.product
    values = {k: typed[k] for k in (*TYPED_FIELDS, "photos") if k in typed}
    return {
        **values,
        "customer_name": c.name, "province": c.province, "city": c.city or "",
        "address": c.address or str(typed.get("address", "")),
        "project_name": p.project_name or "", "product_model": p.model, "serial_number": p.serial_number,
        "order_number": p.order_number or "",
        # Left empty, the archive's contact is called back (the form says at which number).
        "contact_person": str(typed.get("contact_person") or "").strip() or c.contact_person or "",
        "phone": str(typed.get("phone") or "").strip() or c.phones[0],
    }


@blueprint.route("/q/{token}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
def scan_submit(token: str) -> Response:
    request, lang = blueprint.current_request, _lang()
    scanned = _scanned(token)
    if isinstance(scanned, Response):
        return scanned
    form = read_form(request.raw_body, list_fields=frozenset({"photos"}))  # a bad body: ``guarded`` answers
    key = str(form.get("idempotency_key") or "")[:100] or None
    typed = {k: form[k] for k in (*TYPED_FIELDS, "photos", "address") if k in form}
    try:
        receipt = submit_report(report_values(scanned, typed), lang=lang, idempotency_key=key,
                                source_ip=source_ip(request))
    except InvalidFields as invalid:
        return _scan_form(token, scanned, typed, invalid.fields, idempotency_key=key, status=400)
    except TooManyReports as limited:
        page = _scan_form(token, scanned, typed, {"_form": too_many_reports(lang, limited)}, idempotency_key=key,
                          status=429)
        page.headers["Retry-After"] = str(limited.retry_after)
        return page
    return Response(body="", status_code=303, headers={"Location": f"{receipt['tracking_url']}?new=1"})


# ---- the office: code files and withdrawal ----------------------------------------------------------


def _download(url: str | None) -> Response:
    if url is None:
        return _not_found()
    return Response(body="", status_code=303, headers={"Location": url, "Cache-Control": "no-store"})


def _not_found() -> Response:
    lang = _lang()
    return render(blueprint.current_request, "message.html", status=404, heading=t(lang, "archive.title"),
                  message=t(lang, "archive.error.not_found"))


@blueprint.route("/staff/archive/product/code/{kind}", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *READERS)
def product_code(kind: str) -> Response:
    serial = str(query_of(blueprint.current_request).get("serial", ""))[:100]
    if kind not in _CODE_FORMATS:
        return _not_found()
    try:
        return _download(_service().code_file(serial, kind, actor=current_staff()))  # type: ignore[arg-type]
    except UnknownProduct:
        return _not_found()


@blueprint.route("/staff/archive/customers/{customer_id}/labels", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *READERS)
def customer_labels(customer_id: str) -> Response:
    footer = t(_lang(), "scan.sheet.footer", customer=customer_id)
    return _download(_service().sheet_file(customer_id, actor=current_staff(), footer=footer))


@blueprint.route("/staff/archive/product/withdraw-code", methods=["POST"],
                 content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
@staff_only(blueprint, *EDITORS)
def withdraw_code() -> Response:
    serial = str(read_form(blueprint.current_request.raw_body).get("serial", ""))[:100]
    _service().withdraw(serial, actor=current_staff())
    root = urlsplit(get_settings().public_base_url).path.rstrip("/")
    location = f"{root}/staff/archive/product?serial={quote(serial)}&withdrawn=1"
    return Response(body="", status_code=303, headers={"Location": location})


