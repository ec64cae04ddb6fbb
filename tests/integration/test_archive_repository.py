"""The DynamoDB archive keeps the same contract as the in-memory one the service tests use."""

from datetime import date

import pytest

from chalicelib.adapters.dynamodb_archive import DynamoArchive
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.memory import FixedClock, MemoryTickets
from chalicelib.adapters.memory_archive import MemoryArchive
from chalicelib.domain.archive import Customer, InstalledProduct
from chalicelib.domain.ticket import Channel, Kind, Product, Reporter, open_ticket
from chalicelib.services.ports import SerialTaken, StaleRecord

NOW = FixedClock().now()


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request):
    if request.param == "memory":  # no moto for the in-memory one
        tickets = MemoryTickets()
        return MemoryArchive(tickets), tickets
    request.getfixturevalue("aws")
    return DynamoArchive("service-desk"), DynamoTickets("service-desk")


@pytest.fixture
def archive(stores):
    return stores[0]


def a_customer(customer_id="C001", **overrides):
    data = dict(id=customer_id, name="苏州精密机械", contact_person="王工", phones=("+8613800138000",),
                province="CN-JS", plan="premium")
    data.update(overrides)
    return Customer(**data)


def a_product(serial="SN-1", customer_id="C001", **overrides):
    data = dict(serial_number=serial, customer_id=customer_id, model="KYN28", acceptance_date=date(2026, 1, 10),
                warranty_months=12)
    data.update(overrides)
    return InstalledProduct(**data)


def test_a_customer_is_found_by_id_and_by_each_phone(archive):
    customer = a_customer(phones=("+8613800138000", "+8651266668888"))
    archive.save_customer(customer, None)
    assert archive.customer("C001") == customer
    assert archive.customer("C999") is None
    assert archive.customer_ids_by_phone("+8651266668888") == ["C001"]
    assert archive.customer_ids_by_phone("+8613900139000") == []


def test_a_phone_removed_from_a_customer_no_longer_finds_it(archive):
    first = a_customer(phones=("+8613800138000", "+8651266668888"))
    archive.save_customer(first, None)
    second = first.model_copy(update={"phones": ("+8613900139000",), "version": 2})
    archive.save_customer(second, first)
    assert archive.customer_ids_by_phone("+8613800138000") == []
    assert archive.customer_ids_by_phone("+8613900139000") == ["C001"]


def test_two_customers_may_share_a_phone(archive):
    archive.save_customer(a_customer("C001"), None)
    archive.save_customer(a_customer("C002", name="另一家"), None)
    assert sorted(archive.customer_ids_by_phone("+8613800138000")) == ["C001", "C002"]


def test_a_customer_cannot_be_created_twice_or_saved_over_a_newer_version(archive):
    first = a_customer()
    archive.save_customer(first, None)
    with pytest.raises(StaleRecord):
        archive.save_customer(first, None)
    second = first.model_copy(update={"name": "新名字", "version": 2})
    archive.save_customer(second, first)
    with pytest.raises(StaleRecord):
        archive.save_customer(first.model_copy(update={"name": "旧的", "version": 2}), first)
    assert archive.customer("C001").name == "新名字"


def test_customers_are_listed_a_page_at_a_time_in_id_order(archive):
    for i in range(5):
        archive.save_customer(a_customer(f"C00{i}", name=f"客户{i}"), None)
    page, after = archive.customers(limit=2)
    assert [c.id for c in page] == ["C000", "C001"] and after == "C001"
    page, after = archive.customers(after=after, limit=2)
    assert [c.id for c in page] == ["C002", "C003"]
    page, after = archive.customers(after=after, limit=2)
    assert [c.id for c in page] == ["C004"] and after is None


def test_names_and_contacts_are_searched_case_insensitively(archive):
    archive.save_customer(a_customer("C001", name="ACME Precision"), None)
    archive.save_customer(a_customer("C002", name="深圳电气", contact_person="李工"), None)
    assert [c.id for c in archive.search_names("precision")] == ["C001"]
    assert [c.id for c in archive.search_names("李工")] == ["C002"]
    assert archive.search_names("nobody") == []


def test_a_serial_number_is_unique(archive):
    archive.save_product(a_product(), None)
    with pytest.raises(SerialTaken):
        archive.save_product(a_product(model="other"), None)
    assert archive.product("SN-1").model == "KYN28"


def test_a_product_is_listed_under_its_customer_and_moves_with_it(archive):
    product = a_product()
    archive.save_product(product, None)
    archive.save_product(a_product("SN-2"), None)
    assert [p.serial_number for p in archive.products_of("C001")] == ["SN-1", "SN-2"]
    moved = product.model_copy(update={"customer_id": "C002", "version": 2})
    archive.save_product(moved, product)
    assert [p.serial_number for p in archive.products_of("C001")] == ["SN-2"]
    assert archive.products_of("C002") == [moved]
    assert archive.product("SN-1") == moved


def test_a_product_saved_over_a_newer_version_is_refused(archive):
    product = a_product()
    archive.save_product(product, None)
    archive.save_product(product.model_copy(update={"version": 2, "warranty_months": 24}), product)
    with pytest.raises(StaleRecord):
        archive.save_product(product.model_copy(update={"version": 2, "warranty_months": 36}), product)
    assert archive.product("SN-1").warranty_months == 24


def test_tickets_linked_to_a_customer_are_listed_newest_first(stores):
    archive, tickets = stores
    from datetime import timedelta

    for i, serial in enumerate(["SN-1", None]):
        ticket, event = open_ticket(
            number=f"SD-2026-00000{i + 1}",
            reporter=Reporter(customer_name="苏州精密机械", phone="+8613800138000", province="CN-JS", address="x"),
            product=Product(model="KYN28", serial_number=serial), description="d", kind=Kind.FAULT,
            channel=Channel.WEB, at=NOW + timedelta(minutes=i), actor="customer", customer_id="C001",
            archived_serial=serial, warranty=True if serial else None, warranty_until=date(2027, 1, 9) if serial else None,
        )
        tickets.create(ticket, event, f"token-{i}", [])
    unlinked, event = open_ticket(
        number="SD-2026-000009",
        reporter=Reporter(customer_name="x", phone="+8613800138000", province="CN-JS", address="x"),
        product=Product(model="M"), description="d", kind=Kind.FAULT, channel=Channel.WEB, at=NOW, actor="customer",
    )
    tickets.create(unlinked, event, "token-9", [])
    found = archive.tickets_of("C001")
    assert [t.number for t in found] == ["SD-2026-000002", "SD-2026-000001"]
    assert found[1].warranty_until == date(2027, 1, 9) and found[1].warranty is True


def test_a_new_reports_look_up_reads_the_product_by_serial_and_the_customers_by_phone_together(archive):
    archive.save_customer(a_customer(), None)
    archive.save_customer(a_customer("C002"), None)
    archive.save_product(a_product(), None)

    assert archive.for_report("SN-1", "+8613800138000") == (archive.product("SN-1"), ["C001", "C002"])
    assert archive.for_report(None, "+8613800138000") == (None, ["C001", "C002"])
    assert archive.for_report("SN-404", "+8613900139000") == (None, [])
