"""The staff API of the customer and product archive (客户档案): find and read customers, create and
change customers and their installed products, and import a spreadsheet (uploaded straight to storage
with a presigned POST, then imported by its key).

The roles are the archive pages' (``chalicelib/web/archive.py``: the office edits, managers and
quality read); the input is read, and refused, by ``ArchiveService``'s own parser. A product's nameplate
QR code and a customer's sheet of labels are links to files ``NameplateService`` makes, as on the pages.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from chalice import Blueprint
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.domain.archive import Customer, CustomerInput, InstalledProduct, ProductInput
from chalicelib.domain.warranty import Warranty
from chalicelib.i18n import t
from chalicelib.services.archive import ImportRejected, ProductView
from chalicelib.web.archive import EDITORS, READERS, field_errors, problem_text
from chalicelib.web.auth import current_staff
from chalicelib.web.forms import InvalidFields, query_of
from chalicelib.web.nameplates import _CODE_FORMATS as CODE_FORMATS
from chalicelib.web.staff_api import TicketRow, _row
from chalicelib.web.staff_api_kit import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    ApiProblem,
    language,
    operation,
    page_size,
    parsed,
    problem,
)

blueprint = Blueprint(__name__)
MAX_ID = 60
MAX_SERIAL = 100
MAX_QUERY = 100


# -- request models -------------------------------------------------------------------------------


class CustomerChange(CustomerInput):
    version: int | None = Field(None, description="The version read; another change since is a 409")


class ProductChange(ProductInput):
    version: int | None = Field(None, description="The version read; another change since is a 409")


class ImportUploadRequest(BaseModel):
    filename: str = Field(min_length=1, max_length=200, description="A .xlsx or .csv file")


class ImportRequest(BaseModel):
    key: str = Field(min_length=1, max_length=200, description="The key the upload was given")


# -- response models ------------------------------------------------------------------------------


class CustomerList(BaseModel):
    items: list[Customer]
    cursor: str | None = Field(description="null on the last page, and for a search (one page, the best 50)")


class ProductFile(BaseModel):
    product: InstalledProduct
    warranty: Warranty


class CustomerFile(BaseModel):
    customer: Customer
    products: list[ProductFile]
    tickets: list[TicketRow] = Field(description="Its latest tickets, newest first")


class ImportUpload(BaseModel):
    """POST the file to ``url`` as multipart/form-data with ``fields`` first and the file last."""

    url: str
    fields: dict[str, str]
    key: str


class ImportDone(BaseModel):
    rows: int
    customers: dict[str, int] = Field(description="created, updated, unchanged")
    products: dict[str, int]


def _archive():  # type: ignore[no-untyped-def]
    return wiring.services().archive


def _input(model: str, keep_version: bool, body: dict[str, Any], lang: str) -> tuple[Any, int | None]:
    """The body read by the archive's parser, and the version it was read at (a change only)."""
    data = dict(body)
    version = data.pop("version", None) if keep_version else None
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise InvalidFields({"version": t(lang, "archive.error.invalid")})
    parse = _archive().parse_customer if model == "customer" else _archive().parse_product
    return parsed(parse, data, lambda error: field_errors(error, lang)), version


def _product_file(view: ProductView) -> ProductFile:
    return ProductFile(product=view.product, warranty=view.warranty)


def _customer_file(customer_id: str) -> CustomerFile:
    if len(customer_id) > MAX_ID:
        raise problem(404, "not_found", language(blueprint))
    view = _archive().customer_view(customer_id)
    return CustomerFile(
        customer=view.customer,
        products=[_product_file(p) for p in view.products],
        tickets=[TicketRow(**_row(ticket)) for ticket in view.tickets],
    )


@operation(
    blueprint,
    "GET",
    "/customers",
    "Customers, by id; or found by phone, serial number or a piece of the name (q)",
    roles=READERS,
    response=CustomerList,
    query={
        "q": "A phone, a serial number, or a piece of the name or contact person",
        "cursor": "The previous page's cursor",
        "limit": f"1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE})",
    },
)
def customers() -> CustomerList:
    lang = language(blueprint)
    query = query_of(blueprint.current_request)
    limit = page_size(blueprint)
    text = query.get("q", "").strip()[:MAX_QUERY]
    if text:
        return CustomerList(items=_archive().search(text, limit), cursor=None)
    cursor = query.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_ID:
        raise InvalidFields({"cursor": t(lang, "search.bad_cursor")})
    found, after = _archive().customers(after=cursor, limit=limit)
    return CustomerList(items=found, cursor=after)


@operation(
    blueprint,
    "POST",
    "/customers",
    "Add a customer (its id from customer_id, else derived from the name)",
    roles=EDITORS,
    request=CustomerInput,
    response=CustomerFile,
    status=201,
    read=partial(_input, "customer", False),
)
def create_customer(form: tuple[CustomerInput, None]) -> CustomerFile:
    customer = _archive().save_customer(form[0], actor=current_staff())
    return _customer_file(customer.id)


@operation(
    blueprint,
    "GET",
    "/customers/{customer_id}",
    "A customer with its products (and their warranty) and latest tickets",
    roles=READERS,
    response=CustomerFile,
)
def customer_file(customer_id: str) -> CustomerFile:
    return _customer_file(customer_id)


@operation(
    blueprint,
    "POST",
    "/customers/{customer_id}",
    "Change a customer (all its fields, as read)",
    roles=EDITORS,
    request=CustomerChange,
    response=CustomerFile,
    read=partial(_input, "customer", True),
)
def change_customer(form: tuple[CustomerInput, int | None], customer_id: str) -> CustomerFile:
    _customer_file(customer_id)  # known, else 404
    data, version = form
    _archive().save_customer(data, actor=current_staff(), existing_id=customer_id, expected_version=version)
    return _customer_file(customer_id)


@operation(
    blueprint,
    "POST",
    "/customers/{customer_id}/products",
    "Add a product the customer has installed",
    roles=EDITORS,
    request=ProductInput,
    response=ProductFile,
    status=201,
    read=partial(_input, "product", False),
)
def add_product(form: tuple[ProductInput, None], customer_id: str) -> ProductFile:
    _customer_file(customer_id)
    product = _archive().save_product(form[0], customer_id=customer_id, actor=current_staff())
    return _product_file(_archive().product_view(product.serial_number)[0])


@operation(
    blueprint,
    "GET",
    "/products/{serial_number}",
    "An installed product and its warranty",
    roles=READERS,
    response=ProductFile,
)
def product_file(serial_number: str) -> ProductFile:
    return _product_file(_archive().product_view(serial_number[:MAX_SERIAL])[0])


@operation(
    blueprint,
    "POST",
    "/products/{serial_number}",
    "Change an installed product (all its fields; the serial number stays)",
    roles=EDITORS,
    request=ProductChange,
    response=ProductFile,
    read=partial(_input, "product", True),
)
def change_product(form: tuple[ProductInput, int | None], serial_number: str) -> ProductFile:
    view, customer = _archive().product_view(serial_number[:MAX_SERIAL])
    if customer is None:
        raise problem(404, "not_found", language(blueprint))
    data, version = form
    serial = view.product.serial_number
    _archive().save_product(
        data, customer_id=customer.id, actor=current_staff(), existing_serial=serial, expected_version=version
    )
    return _product_file(_archive().product_view(serial)[0])


def _rejected(rejected: ImportRejected, lang: str) -> ApiProblem:
    fields = {
        f"row {p.row}" + (f" {p.column}" if p.column else "") if p.row else "file": problem_text(
            lang, p.code, dict(p.values)
        )
        for p in rejected.problems[:50]
    }
    return ApiProblem(400, "import_rejected", next(iter(fields.values())), fields)


@operation(
    blueprint,
    "POST",
    "/archive/imports/uploads",
    "A presigned POST to upload a spreadsheet for import",
    roles=EDITORS,
    request=ImportUploadRequest,
    response=ImportUpload,
    status=201,
)
def start_import_upload(form: ImportUploadRequest) -> ImportUpload:
    try:
        ticket = _archive().start_import_upload(form.filename)
    except ImportRejected as rejected:
        raise _rejected(rejected, language(blueprint)) from None
    return ImportUpload(url=ticket.url, fields=ticket.fields, key=ticket.key)


@operation(
    blueprint,
    "POST",
    "/archive/imports",
    "Import the uploaded spreadsheet: all rows or none (every problem listed by row)",
    roles=EDITORS,
    request=ImportRequest,
    response=ImportDone,
)
def run_import(form: ImportRequest) -> ImportDone:
    try:
        result = _archive().import_file(form.key, actor=current_staff())
    except ImportRejected as rejected:
        raise _rejected(rejected, language(blueprint)) from None
    return ImportDone(rows=result.rows, customers=result.customers, products=result.products)


# -- nameplate codes (扫码报修) ---------------------------------------------------------------------------


class CodeFile(BaseModel):
    url: str = Field(description="A short-lived link to the file; fetch it, do not store it")
    scan_url: str | None = Field(None, description="The address the code carries (the product's own report form)")


class CodeWithdrawal(BaseModel):
    serial_number: str
    withdrawn: bool = Field(description="False when the product had no code in use")


@operation(
    blueprint,
    "GET",
    "/products/{serial_number}/code/{kind}",
    "The product's nameplate QR code as png or svg (its first code is issued now)",
    roles=READERS,
    response=CodeFile,
    parameter_schemas={"kind": {"enum": list(CODE_FORMATS)}},
)
def product_code(serial_number: str, kind: str) -> CodeFile:
    if kind not in CODE_FORMATS:
        raise InvalidFields({"kind": ", ".join(CODE_FORMATS)})
    nameplates = wiring.nameplates()
    url = nameplates.code_file(serial_number[:MAX_SERIAL], kind, actor=current_staff())  # type: ignore[arg-type]
    label = nameplates.label_in_use(serial_number[:MAX_SERIAL])
    return CodeFile(url=url, scan_url=nameplates.scan_url_of(label) if label else None)


@operation(
    blueprint,
    "GET",
    "/customers/{customer_id}/labels",
    "A PDF sheet of labels for every product of the customer",
    roles=READERS,
    response=CodeFile,
)
def customer_labels(customer_id: str) -> CodeFile:
    lang = language(blueprint)
    footer = t(lang, "scan.sheet.footer", customer=customer_id[:MAX_ID])
    url = wiring.nameplates().sheet_file(customer_id[:MAX_ID], actor=current_staff(), footer=footer)
    if url is None:
        raise problem(404, "not_found", lang)
    return CodeFile(url=url)


@operation(
    blueprint,
    "POST",
    "/products/{serial_number}/code/withdraw",
    "Take the product's code out of use (every print of it then shows a notice; the next download issues a new one)",
    roles=EDITORS,
    response=CodeWithdrawal,
)
def withdraw_code(serial_number: str) -> CodeWithdrawal:
    serial = serial_number[:MAX_SERIAL]
    _archive().product_view(serial)  # an unknown product: 404
    return CodeWithdrawal(
        serial_number=serial, withdrawn=wiring.nameplates().withdraw(serial, actor=current_staff())
    )
