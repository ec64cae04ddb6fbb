"""The customer and product archive's use cases: browse, edit, import a spreadsheet, and link a new
ticket to what the archive knows (客户档案, 002 §3.4, 003 §1).

Import is all or nothing at the validation level: every row is checked first, and a file with any
problem writes nothing. Writing is an upsert per record (customer by id, product by serial number), so
importing the same file again changes nothing, and a write interrupted half-way is completed by
importing the file again. Unchanged records are not rewritten (their version stays).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from chalicelib.domain.archive import (
    DEFAULT_PLAN,
    MAX_IMPORT_ROWS,
    Customer,
    CustomerInput,
    InstalledProduct,
    ProductInput,
    RowProblem,
    parse_sheet,
    plan_for,
    serial_key,
)
from chalicelib.domain.intake import normalize_phone
from chalicelib.domain.permissions import Actor, Work, check_work, name_of
from chalicelib.domain.plans import PlanRegistry
from chalicelib.domain.published import ProductSaved
from chalicelib.domain.ticket import Ticket
from chalicelib.domain.warranty import Warranty, WarrantyStatus
from chalicelib.services.bus import MessageBus
from chalicelib.services.ports import (
    Clock,
    ConfigStore,
    CustomerArchive,
    FileReader,
    FileStore,
    SerialTaken,
    SpreadsheetReader,
    StaleRecord,
    UnreadableSheet,
    UploadTicket,
)

IMPORT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
IMPORTS_PREFIX = "imports/"
_IMPORT_KEY = re.compile(r"^imports/[0-9a-f]{32}\.(csv|xlsx)$")
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ArchiveConfig:
    timezone: str
    max_import_bytes: int = 2 * 1024 * 1024
    upload_url_seconds: int = 900


class UnknownCustomer(LookupError):
    pass


class UnknownProduct(LookupError):
    pass


class CustomerExists(Exception):
    """A new customer with the id (given, or derived from the name) of one already on file."""


class ImportRejected(Exception):
    """The file, or some of its rows, cannot be imported; nothing was written."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class ImportResult:
    rows: int = 0
    customers: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    products: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})


@dataclass(frozen=True)
class ProductView:
    product: InstalledProduct
    warranty: Warranty


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    products: list[ProductView]
    tickets: list[Ticket]


@dataclass(frozen=True)
class ArchiveLink:
    """What intake learns from the archive about a new report."""

    customer: Customer
    product: InstalledProduct | None
    warranty: Warranty | None
    plan: str
    matched_by: Literal["serial", "phone"]

    def ticket_fields(self) -> dict[str, Any]:
        """Keyword arguments of ``open_ticket``."""
        status = self.warranty.status if self.warranty else WarrantyStatus.UNKNOWN
        return {
            "plan": self.plan,
            "customer_id": self.customer.id,
            "archived_serial": self.product.serial_number if self.product else None,
            "warranty": {WarrantyStatus.IN_WARRANTY: True, WarrantyStatus.OUT_OF_WARRANTY: False}.get(status),
            "warranty_until": self.warranty.until if self.warranty else None,
        }


Record = TypeVar("Record", Customer, InstalledProduct)


class ArchiveService:
    def __init__(
        self,
        archive: CustomerArchive,
        files: FileStore,
        reader: FileReader,
        sheets: SpreadsheetReader,
        config_store: ConfigStore,
        clock: Clock,
        config: ArchiveConfig,
        *,
        bus: MessageBus | None = None,
    ):
        self._archive = archive
        self._files = files
        self._reader = reader
        self._sheets = sheets
        self._config_store = config_store
        self._clock = clock
        self._config = config
        # Told of every product saved (after-care books the 5–7-day callback after delivery, 003 §2).
        self._bus = bus

    # -- reading -------------------------------------------------------------------------------

    def plan_names(self) -> list[str]:
        return PlanRegistry(self._config_store.plans()).names()

    def today(self, now: datetime | None = None) -> date:
        return (now or self._clock.now()).astimezone(ZoneInfo(self._config.timezone)).date()

    def customers(self, *, after: str | None = None, limit: int = 50) -> tuple[list[Customer], str | None]:
        return self._archive.customers(after=after, limit=limit)

    def search(self, text: str, limit: int = 50) -> list[Customer]:
        """By phone, serial number or a piece of the name (or contact person), in that order."""
        text = text.strip()[:100]
        if not text:
            return []
        found: dict[str, Customer] = {}

        def add(customer: Customer | None) -> None:
            if customer is not None:
                found.setdefault(customer.id, customer)

        try:
            for customer_id in self._archive.customer_ids_by_phone(normalize_phone(text)):
                add(self._archive.customer(customer_id))
        except ValueError:  # not a phone number (pydantic's error is a ValueError)
            pass
        serial = serial_key(text)
        product = self._archive.product(serial) if serial else None
        if product:
            add(self._archive.customer(product.customer_id))
        for customer in self._archive.search_names(text, limit):
            add(customer)
        return list(found.values())[:limit]

    def customer_view(self, customer_id: str) -> CustomerView:
        customer = self._archive.customer(customer_id)
        if customer is None:
            raise UnknownCustomer(customer_id)
        today = self.today()
        products = [ProductView(p, p.warranty(today)) for p in self._archive.products_of(customer_id)]
        return CustomerView(customer, products, self._archive.tickets_of(customer_id))

    def product_view(self, serial_number: str) -> tuple[ProductView, Customer | None]:
        product = self._archive.product(serial_key(serial_number) or "")
        if product is None:
            raise UnknownProduct(serial_number)
        return ProductView(product, product.warranty(self.today())), self._archive.customer(product.customer_id)

    # -- editing -------------------------------------------------------------------------------

    def parse_customer(self, data: dict[str, Any]) -> CustomerInput:
        """Raises pydantic's ``ValidationError`` (with stable ``type`` codes) on bad input."""
        return CustomerInput.model_validate(data, context={"plans": frozenset(self.plan_names())})

    def parse_product(self, data: dict[str, Any]) -> ProductInput:
        return ProductInput.model_validate(data, context={"plans": frozenset(self.plan_names())})

    def save_customer(
        self, data: CustomerInput, *, actor: Actor, existing_id: str | None = None, expected_version: int | None = None
    ) -> Customer:
        """Create a customer, or (``existing_id``) change one whose stored version is ``expected_version``.
        ``actor``: the office's staff member who typed it (``domain/permissions.py``)."""
        check_work(actor, Work.EDIT_ARCHIVE)
        now, by = self._clock.now(), name_of(actor)
        if existing_id is None:
            if self._archive.customer(data.id) is not None:
                raise CustomerExists(data.id)
            customer = Customer.from_input(data, version=1, at=now, actor=by)
            self._archive.save_customer(customer, None)
            return customer
        previous = self._archive.customer(existing_id)
        if previous is None:
            raise UnknownCustomer(existing_id)
        if expected_version is not None and previous.version != expected_version:
            raise StaleRecord(existing_id)
        customer = Customer.from_input(
            data.model_copy(update={"customer_id": existing_id}), version=previous.version + 1, at=now, actor=by
        )
        self._archive.save_customer(customer, previous)
        return customer

    def save_product(
        self, data: ProductInput, *, customer_id: str, actor: Actor, existing_serial: str | None = None,
        expected_version: int | None = None,
    ) -> InstalledProduct:
        check_work(actor, Work.EDIT_ARCHIVE)
        if self._archive.customer(customer_id) is None:
            raise UnknownCustomer(customer_id)
        now, by = self._clock.now(), name_of(actor)
        if existing_serial is None:
            if self._archive.product(data.serial_number) is not None:
                raise SerialTaken(data.serial_number)
            product = InstalledProduct.from_input(data, customer_id=customer_id, version=1, at=now, actor=by)
            self._store_product(product, None)
            return product
        previous = self._archive.product(existing_serial)
        if previous is None:
            raise UnknownProduct(existing_serial)
        if expected_version is not None and previous.version != expected_version:
            raise StaleRecord(existing_serial)
        product = InstalledProduct.from_input(
            data.model_copy(update={"serial_number": existing_serial}), customer_id=customer_id,
            version=previous.version + 1, at=now, actor=by,
        )
        self._store_product(product, previous)
        return product

    def _store_product(self, product: InstalledProduct, previous: InstalledProduct | None) -> None:
        self._archive.save_product(product, previous)
        if self._bus is not None:
            self._bus.publish(ProductSaved(product=product))

    # -- importing a spreadsheet ---------------------------------------------------------------

    def start_import_upload(self, filename: str) -> UploadTicket:
        kind = filename.rsplit(".", 1)[-1].casefold() if "." in filename else ""
        if kind not in IMPORT_TYPES:
            raise ImportRejected([RowProblem(None, None, None, "file_type")])
        return self._files.presign_upload(
            f"{IMPORTS_PREFIX}{uuid.uuid4().hex}.{kind}", IMPORT_TYPES[kind], self._config.max_import_bytes,
            self._config.upload_url_seconds,
        )

    def import_file(self, key: str, *, actor: Actor) -> ImportResult:
        """Check the uploaded file entirely, then write it; raises ``ImportRejected`` with every problem.
        ``actor``: the office's staff member who uploaded it (``domain/permissions.py``); a refused one
        leaves the file in place, unread."""
        check_work(actor, Work.IMPORT_ARCHIVE)
        match = _IMPORT_KEY.match(key or "")
        if not match:
            raise ImportRejected([RowProblem(None, None, None, "file_missing")])
        try:
            data = self._reader.read(key, self._config.max_import_bytes)
        finally:
            # One use per upload: whatever happens, the file does not linger in the bucket.
            self._files.delete(key)
        if data is None:
            raise ImportRejected([RowProblem(None, None, None, "file_missing",
                                             {"mb": self._config.max_import_bytes // (1024 * 1024)})])
        kind = match.group(1)
        if (kind == "xlsx") != data.startswith(_ZIP_MAGIC):
            raise ImportRejected([RowProblem(None, None, None, "file_type")])
        try:
            rows = self._sheets.rows(data, kind, MAX_IMPORT_ROWS + 10)
        except UnreadableSheet:
            raise ImportRejected([RowProblem(None, None, None, "file_unreadable")]) from None
        parsed = parse_sheet(rows, self.plan_names())
        if parsed.problems:
            raise ImportRejected(parsed.problems)
        result = ImportResult(rows=parsed.rows)
        now = self._clock.now()
        for customer_id, customer_input in parsed.customers.items():
            outcome = self._upsert(
                partial(self._archive.customer, customer_id),
                partial(_next_customer, customer_input, now, name_of(actor)),
                self._archive.save_customer,
            )
            result.customers[outcome] += 1
        for customer_id, product_input in parsed.products:
            outcome = self._upsert(
                partial(self._archive.product, product_input.serial_number),
                partial(_next_product, product_input, customer_id, now, name_of(actor)),
                self._store_product,
            )
            result.products[outcome] += 1
        return result

    @staticmethod
    def _upsert(
        load: Callable[[], Record | None],
        build: Callable[[Record | None], Record],
        save: Callable[[Record, Record | None], None],
    ) -> str:
        for attempt in range(3):
            previous = load()
            record = build(previous)
            if record.same_content(previous):
                return "unchanged"
            try:
                save(record, previous)
            except (StaleRecord, SerialTaken):  # someone saved it meanwhile: read again
                if attempt == 2:
                    raise
                continue
            return "updated" if previous else "created"
        raise AssertionError("unreachable")

    # -- intake --------------------------------------------------------------------------------

    def link_for(self, serial_number: str | None, phone: str, now: datetime) -> ArchiveLink | None:
        """The customer (and product) a new report is about: by serial number, else by phone when exactly
        one customer has that phone; None when the archive does not know them."""
        product, ids = self._archive.for_report(serial_key(serial_number), phone)
        customer = self._archive.customer(product.customer_id) if product else None
        matched_by: Literal["serial", "phone"] = "serial"
        if customer is None:
            product = None
            customer = self._archive.customer(ids[0]) if len(ids) == 1 else None
            matched_by = "phone"
        if customer is None:
            return None
        plan = plan_for(customer, product)
        if plan not in PlanRegistry(self._config_store.plans()):
            plan = DEFAULT_PLAN  # a plan retired since the customer was filed must not block a report
        warranty = product.warranty(self.today(now)) if product else None
        return ArchiveLink(customer, product, warranty, plan, matched_by)


def _next_customer(given: CustomerInput, at: datetime, actor: str, previous: Customer | None) -> Customer:
    """The customer an import row makes, one version after the stored one (if any)."""
    return Customer.from_input(given, version=previous.version + 1 if previous else 1, at=at, actor=actor)


def _next_product(
    given: ProductInput, customer_id: str, at: datetime, actor: str, previous: InstalledProduct | None
) -> InstalledProduct:
    return InstalledProduct.from_input(given, customer_id=customer_id,
                                       version=previous.version + 1 if previous else 1, at=at, actor=actor)
