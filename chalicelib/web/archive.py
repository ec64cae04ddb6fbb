"""The customer and product archive's pages (客户档案): list and search, view, edit, import a spreadsheet.

The office (desk, supervisor, admin) may change the archive; managers and quality may read it;
technicians may do neither. Spreadsheets never pass through the app: the browser uploads them straight
to S3 with a presigned POST (the app's bodies stay under 64 KB), then asks for the import by key.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from chalice import Blueprint, Response
from pydantic import ValidationError

from chalicelib import wiring
from chalicelib.domain.archive import COLUMNS, MAX_IMPORT_ROWS, RowProblem, problem_code
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.warranty import WarrantyStatus
from chalicelib.i18n import t
from chalicelib.services.archive import ImportRejected
from chalicelib.settings import get_settings
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import ARCHIVE_PAGES, REFUSALS, guarded, refusal
from chalicelib.web.forms import BadRequest, query_of, read_form, read_json
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)

EDITORS = (StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.ADMIN)
READERS = (*EDITORS, StaffRole.QUALITY, StaffRole.CHIEF_ENGINEER, StaffRole.GENERAL_MANAGER)
_FORM = ["application/x-www-form-urlencoded"]
CUSTOMER_FIELDS = ("customer_id", "name", "contact_person", "phones", "email", "province", "city", "address",
                   "region", "plan", "key_customer")
PRODUCT_FIELDS = ("serial_number", "model", "order_number", "project_name", "delivery_date", "acceptance_date",
                  "warranty_months", "plan")
# Form field -> the words of its label (the import layout's column names).
LABELS = {"name": "customer_name", "plan": "service_plan", "model": "product_model"}


def _lang() -> str:
    return language_of(blueprint.current_request)


def _archive():  # type: ignore[no-untyped-def]
    return wiring.services().archive


def problem_text(lang: str, code: str, values: dict[str, Any] | None = None) -> str:
    values = dict(values or {})
    values.setdefault("max", values.get("max_length", ""))
    values.setdefault("first_row", "")
    values.setdefault("columns", "")
    values = {k: values[k] for k in ("max", "first_row", "columns")}
    # str.format ignores the values a text does not name.
    return t(lang, f"archive.error.{code}", **values)


def field_errors(error: ValidationError, lang: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "_form"
        fields.setdefault(name, problem_text(lang, problem_code(problem["type"]), problem.get("ctx") or {}))
    return fields


def warranty_text(lang: str, status: WarrantyStatus | None, until: Any) -> str:
    status = status or WarrantyStatus.UNKNOWN
    if status == WarrantyStatus.UNKNOWN or until is None:
        return t(lang, "archive.warranty.unknown")
    return t(lang, f"archive.warranty.{status.value}", until=until.isoformat())


def ticket_warranty(ticket: Any) -> WarrantyStatus:
    return {True: WarrantyStatus.IN_WARRANTY, False: WarrantyStatus.OUT_OF_WARRANTY}.get(
        ticket.warranty, WarrantyStatus.UNKNOWN)


def _page(template: str, *, status: int = 200, **context: Any) -> Response:
    lang = _lang()
    return render(
        blueprint.current_request, template, status=status, user=current_staff(),
        may_edit=current_staff().has_any(frozenset(EDITORS)),
        warranty_text=lambda s, until: warranty_text(lang, s, until), ticket_warranty=ticket_warranty,
        label=lambda name: t(lang, f"archive.col.{LABELS.get(name, name)}"), quote=quote, **context,
    )


def _not_found() -> Response:
    lang = _lang()
    return render(blueprint.current_request, "message.html", status=404, heading=t(lang, "archive.title"),
                  message=t(lang, "archive.error.not_found"))


def _redirect(path: str) -> Response:
    root = urlsplit(get_settings().public_base_url).path.rstrip("/")
    return Response(body="", status_code=303, headers={"Location": f"{root}{path}"})


def _form_values(fields: tuple[str, ...]) -> tuple[dict[str, Any], int | None]:
    form = read_form(blueprint.current_request.raw_body)
    values = {k: str(form.get(k, ""))[:1000] for k in fields}
    version = str(form.get("version", ""))
    return values, int(version) if version.isdecimal() else None


# ---- list and search ----------------------------------------------------------------------------


@blueprint.route("/staff/archive", methods=["GET"])
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *READERS)
def archive_list() -> Response:
    query = query_of(blueprint.current_request)
    text = str(query.get("q", "")).strip()[:100]
    if text:
        return _page("archive_list.html", q=text, customers=_archive().search(text), next_after=None)
    customers, next_after = _archive().customers(after=str(query.get("after", ""))[:60] or None)
    return _page("archive_list.html", q="", customers=customers, next_after=next_after)


# ---- customers ----------------------------------------------------------------------------------


@blueprint.route("/staff/archive/customers/new", methods=["GET"])
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
def new_customer_page() -> Response:
    return _customer_form(None, {"plan": "standard"}, {})


@blueprint.route("/staff/archive/customers", methods=["POST"], content_types=_FORM)
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
@answered_once(blueprint)
def create_customer() -> Response:
    values, _ = _form_values(CUSTOMER_FIELDS)
    return _save_customer(None, values, None)


@blueprint.route("/staff/archive/customers/{customer_id}", methods=["GET"])
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *READERS)
def customer_page(customer_id: str) -> Response:
    view = _archive().customer_view(customer_id)
    saved = query_of(blueprint.current_request).get("saved") == "1"
    return _page("archive_customer.html", view=view, saved=saved)


@blueprint.route("/staff/archive/customers/{customer_id}/edit", methods=["GET"])
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
def edit_customer_page(customer_id: str) -> Response:
    customer = _archive().customer_view(customer_id).customer
    return _customer_form(customer_id, customer.as_input(), {}, version=customer.version, name=customer.name)


@blueprint.route("/staff/archive/customers/{customer_id}", methods=["POST"], content_types=_FORM)
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
@answered_once(blueprint)
def update_customer(customer_id: str) -> Response:
    values, version = _form_values(CUSTOMER_FIELDS)
    return _save_customer(customer_id, values, version)


def _customer_form(
    customer_id: str | None, values: dict[str, Any], errors: dict[str, str], *, status: int = 200,
    version: int | None = None, name: str = "",
) -> Response:
    return _page("archive_customer_form.html", status=status, customer_id=customer_id, values=values, errors=errors,
                 version=version, name=name, plans=_archive().plan_names())


def _save_customer(customer_id: str | None, values: dict[str, Any], version: int | None) -> Response:
    lang, archive = _lang(), _archive()
    if customer_id:
        values["customer_id"] = customer_id
    try:
        data = archive.parse_customer(values)
        customer = archive.save_customer(data, actor=current_staff(), existing_id=customer_id,
                                         expected_version=version)
    except ValidationError as error:  # the form read into the archive's model: each field's words
        return _customer_form(customer_id, values, field_errors(error, lang), status=400, version=version,
                              name=values.get("name", ""))
    except REFUSALS as error:  # the id taken, or changed meanwhile (web/errors.py's words)
        refused = refusal(error, lang, ARCHIVE_PAGES)
        if refused.status == 404:
            raise  # gone meanwhile: the archive's not-found page
        return _customer_form(customer_id, values, refused.form_errors, status=refused.status, version=version,
                              name=values.get("name", ""))
    return _redirect(f"/staff/archive/customers/{quote(customer.id)}?saved=1")


# ---- products -----------------------------------------------------------------------------------


@blueprint.route("/staff/archive/customers/{customer_id}/products/new", methods=["GET"])
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
def new_product_page(customer_id: str) -> Response:
    customer = _archive().customer_view(customer_id).customer
    return _product_form(customer, None, {"warranty_months": "12"}, {})


@blueprint.route("/staff/archive/customers/{customer_id}/products", methods=["POST"], content_types=_FORM)
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
@answered_once(blueprint)
def create_product(customer_id: str) -> Response:
    values, _ = _form_values(PRODUCT_FIELDS)
    return _save_product(customer_id, None, values, None)


@blueprint.route("/staff/archive/product", methods=["GET"])
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *READERS)
def product_page() -> Response:
    serial = str(query_of(blueprint.current_request).get("serial", ""))[:100]
    view, customer = _archive().product_view(serial)
    if customer is None:
        return _not_found()
    query = query_of(blueprint.current_request)
    nameplates = wiring.nameplates()
    label = nameplates.label_in_use(view.product.serial_number)
    return _product_form(customer, view.product.serial_number, view.product.as_input(), {},
                         version=view.product.version, warranty=view.warranty, saved=query.get("saved") == "1",
                         code_label=label, scan_url=nameplates.scan_url_of(label) if label else None,
                         code_withdrawn=query.get("withdrawn") == "1")


@blueprint.route("/staff/archive/product", methods=["POST"], content_types=_FORM)
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
@answered_once(blueprint)
def update_product() -> Response:
    values, version = _form_values((*PRODUCT_FIELDS, "customer_id"))
    customer_id = values.pop("customer_id")
    return _save_product(customer_id, values.get("serial_number", ""), values, version)


def _product_form(
    customer: Any, serial: str | None, values: dict[str, Any], errors: dict[str, str], *, status: int = 200,
    version: int | None = None, warranty: Any = None, saved: bool = False, **nameplate: Any,
) -> Response:
    return _page("archive_product_form.html", status=status, customer=customer, serial=serial, values=values,
                 errors=errors, version=version, warranty=warranty, saved=saved, plans=_archive().plan_names(),
                 **nameplate)


def _save_product(customer_id: str, serial: str | None, values: dict[str, Any], version: int | None) -> Response:
    lang, archive = _lang(), _archive()
    customer = archive.customer_view(customer_id).customer
    if serial is not None and not serial:
        return _not_found()
    try:
        data = archive.parse_product(values)
        product = archive.save_product(data, customer_id=customer_id, actor=current_staff(),
                                       existing_serial=serial, expected_version=version)
    except ValidationError as error:  # the form read into the archive's model: each field's words
        return _product_form(customer, serial, values, field_errors(error, lang), status=400, version=version)
    except REFUSALS as error:  # the serial taken, or changed meanwhile (web/errors.py's words)
        refused = refusal(error, lang, ARCHIVE_PAGES)
        if refused.status == 404:
            raise  # gone meanwhile: the archive's not-found page
        return _product_form(customer, serial, values, refused.form_errors, status=refused.status, version=version)
    return _redirect(f"/staff/archive/product?serial={quote(product.serial_number)}&saved=1")


# ---- import -------------------------------------------------------------------------------------


def _import_page(*, status: int = 200, result: Any = None, problems: list[RowProblem] | None = None) -> Response:
    lang = _lang()
    rows = [
        {
            "row": p.row,
            "header": p.header or (t(lang, f"archive.col.{p.column}") if p.column else ""),
            "message": problem_text(lang, p.code, dict(p.values)),
        }
        for p in problems or []
    ]
    return _page("archive_import.html", status=status, result=result, problems=rows, columns=COLUMNS,
                 plans=", ".join(_archive().plan_names()), max_mb=2, max_rows=MAX_IMPORT_ROWS)


@blueprint.route("/staff/archive/import", methods=["GET"])
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
def import_page() -> Response:
    return _import_page()


@blueprint.route("/staff/archive/import/upload", methods=["POST"], content_types=["application/json"])
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
def start_import_upload() -> Response:
    lang = _lang()
    body = read_json(blueprint.current_request.raw_body)
    try:
        ticket = _archive().start_import_upload(str(body.get("filename", ""))[:200])
    except ImportRejected as rejected:
        message = problem_text(lang, rejected.problems[0].code)
        return Response(body={"error": "invalid", "message": message}, status_code=400)
    return Response(body={"url": ticket.url, "fields": ticket.fields, "key": ticket.key})


@blueprint.route("/staff/archive/import", methods=["POST"], content_types=_FORM)
@guarded(blueprint, ARCHIVE_PAGES)
@staff_only(blueprint, *EDITORS)
@answered_once(blueprint)
def run_import() -> Response:
    try:
        form = read_form(blueprint.current_request.raw_body)
    except BadRequest:
        return _import_page(status=400, problems=[RowProblem(None, None, None, "file_missing")])
    try:
        result = _archive().import_file(str(form.get("key", ""))[:200], actor=current_staff())
    except ImportRejected as rejected:
        return _import_page(status=400, problems=rejected.problems)
    return _import_page(result=result)
