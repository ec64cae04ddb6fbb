"""In-memory customer archive, spreadsheet-file store and friends with the same contracts as the AWS
adapters (tests/integration/test_archive_repository.py runs one suite against both)."""

from __future__ import annotations

from chalicelib.adapters.memory import MemoryTickets
from chalicelib.domain.archive import Customer, InstalledProduct
from chalicelib.domain.nameplates import ProductLabel
from chalicelib.domain.ticket import Ticket
from chalicelib.services.ports import SerialTaken, StaleRecord


class MemoryArchive:
    """Implements ``CustomerArchive``; ``tickets`` is where linked tickets are looked up."""

    def __init__(self, tickets: MemoryTickets | None = None) -> None:
        self.stored_customers: dict[str, Customer] = {}
        self.stored_products: dict[str, InstalledProduct] = {}
        self._tickets = tickets

    def customer(self, customer_id: str) -> Customer | None:
        return self.stored_customers.get(customer_id)

    def customers(self, *, after: str | None = None, limit: int = 50) -> tuple[list[Customer], str | None]:
        # Same order as the table's sort key (``CUSTOMER#<id>``).
        ordered = sorted(self.stored_customers.values(), key=lambda c: c.id)
        if after:
            ordered = [c for c in ordered if c.id > after]
        page = ordered[:limit]
        return page, (page[-1].id if len(ordered) > limit else None)

    def search_names(self, text: str, limit: int = 50) -> list[Customer]:
        text = text.casefold()
        return [
            c for c in sorted(self.stored_customers.values(), key=lambda c: c.id)
            if text in " ".join(filter(None, (c.name, c.contact_person))).casefold()
        ][:limit]

    def customer_ids_by_phone(self, e164: str) -> list[str]:
        return sorted(c.id for c in self.stored_customers.values() if e164 in c.phones)

    def for_report(self, serial_number: str | None, e164: str) -> tuple[InstalledProduct | None, list[str]]:
        return self.product(serial_number) if serial_number else None, self.customer_ids_by_phone(e164)

    def save_customer(self, customer: Customer, previous: Customer | None) -> None:
        if not _same_version(self.stored_customers.get(customer.id), previous):
            raise StaleRecord(customer.id)
        self.stored_customers[customer.id] = customer

    def product(self, serial_number: str) -> InstalledProduct | None:
        return self.stored_products.get(serial_number)

    def products_of(self, customer_id: str) -> list[InstalledProduct]:
        return sorted((p for p in self.stored_products.values() if p.customer_id == customer_id),
                      key=lambda p: p.serial_number)

    def save_product(self, product: InstalledProduct, previous: InstalledProduct | None) -> None:
        stored = self.stored_products.get(product.serial_number)
        if previous is None and stored is not None:
            raise SerialTaken(product.serial_number)
        if not _same_version(stored, previous):
            raise StaleRecord(product.serial_number)
        self.stored_products[product.serial_number] = product

    def tickets_of(self, customer_id: str, limit: int = 50) -> list[Ticket]:
        if self._tickets is None:
            return []
        linked = [t for t in self._tickets.tickets.values() if t.customer_id == customer_id]
        return sorted(linked, key=lambda t: (t.created_at, t.number), reverse=True)[:limit]


def _same_version(stored: Customer | InstalledProduct | None, previous: Customer | InstalledProduct | None) -> bool:
    """The table's condition: absent when creating, else the version that was read."""
    if stored is None or previous is None:
        return stored is None and previous is None
    return stored.version == previous.version


class MemoryFileReader:
    """Reads files from a ``MemoryFiles`` (the fake S3 bucket)."""

    def __init__(self, files) -> None:  # type: ignore[no-untyped-def]
        self._files = files

    def read(self, key: str, max_bytes: int) -> bytes | None:
        data = self._files.objects.get(key)
        return data if data is not None and len(data) <= max_bytes else None


class MemoryLabels:
    """Implements ``LabelStore`` (nameplate labels)."""

    def __init__(self) -> None:
        self.labels: dict[str, ProductLabel] = {}
        self.current: dict[str, str] = {}  # serial -> id of its label in use

    def label(self, label_id: str) -> ProductLabel | None:
        return self.labels.get(label_id)

    def in_use(self, serial_number: str) -> ProductLabel | None:
        label_id = self.current.get(serial_number)
        return self.labels[label_id] if label_id else None

    def issue(self, label: ProductLabel) -> bool:
        if label.id in self.labels or label.serial_number in self.current:
            return False
        self.labels[label.id] = label
        self.current[label.serial_number] = label.id
        return True

    def withdraw(self, label: ProductLabel) -> bool:
        if self.current.get(label.serial_number) != label.id:
            return False
        self.labels[label.id] = label
        del self.current[label.serial_number]
        return True
