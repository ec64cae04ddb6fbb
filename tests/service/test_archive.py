"""Archive use cases over in-memory adapters: importing files, editing, searching, and linking intake."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.plans import ServicePlan
from chalicelib.services.archive import CustomerExists, ImportRejected
from chalicelib.services.ports import SerialTaken, StaleRecord
from tests.fakes import fake_world, valid_report

CSV = (
    "客户编号,客户名称,联系人,联系电话,省份,服务方案,重点客户,产品编号,产品型号,发货日期,终验收日期,保修期（月）\n"
    "C001,苏州精密机械有限公司,王工,13800138000,江苏,premium,是,SN-2026-0042,KYN28-12,2025-12-01,2026-01-10,12\n"
    "C001,苏州精密机械有限公司,王工,13800138000,江苏,premium,是,SN-2024-0001,KYN28-12,2024-01-01,2024-02-01,12\n"
    "C002,深圳电气,李工,13900139000,广东,,否,SN-GD-7,GCS-1,2026-03-01,,24\n"
)


@pytest.fixture
def world():
    return fake_world()


def upload(world, data: bytes, kind: str = "csv") -> str:
    ticket = world.services.archive.start_import_upload(f"客户.{kind}")
    world.files.objects[ticket.key] = data
    return ticket.key


def import_bytes(world, data: bytes, kind: str = "csv"):
    return world.services.archive.import_file(upload(world, data, kind), actor=SystemActor("desk"))


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_good_csv_files_its_customers_and_products(world):
    result = import_bytes(world, CSV.encode("utf-8-sig"))
    assert result.rows == 3
    assert result.customers == {"created": 2, "updated": 0, "unchanged": 0}
    assert result.products == {"created": 3, "updated": 0, "unchanged": 0}
    view = world.services.archive.customer_view("C001")
    assert view.customer.plan == "premium" and view.customer.key_customer
    assert [p.product.serial_number for p in view.products] == ["SN-2024-0001", "SN-2026-0042"]


def test_a_csv_saved_by_chinese_excel_in_gbk_is_read(world):
    result = import_bytes(world, CSV.encode("gb18030"))
    assert result.customers["created"] == 2


def test_the_uploaded_file_is_deleted_once_read(world):
    key = upload(world, CSV.encode())
    world.services.archive.import_file(key, actor=SystemActor("desk"))
    assert key not in world.files.objects


def test_importing_the_same_file_again_changes_nothing(world):
    import_bytes(world, CSV.encode())
    again = import_bytes(world, CSV.encode())
    assert again.customers == {"created": 0, "updated": 0, "unchanged": 2}
    assert again.products == {"created": 0, "updated": 0, "unchanged": 3}
    assert world.services.archive.customer_view("C001").customer.version == 1


def test_a_changed_row_updates_the_record_it_names(world):
    import_bytes(world, CSV.encode())
    result = import_bytes(world, CSV.replace("SN-GD-7,GCS-1,2026-03-01,,24", "SN-GD-7,GCS-1,2026-03-01,,36").encode())
    assert result.products == {"created": 0, "updated": 1, "unchanged": 2}
    view, _ = world.services.archive.product_view("sn-gd-7")
    assert view.product.warranty_months == 36 and view.product.version == 2


def test_an_xlsx_with_english_headers_and_real_dates_is_imported(world):
    data = xlsx([
        ["Customer name", "Phones", "Province", "Serial number", "Product model", "Delivery date", "Warranty (months)"],
        ["ACME Ltd", 13800138000, "Jiangsu", "X-1", "M1", datetime(2025, 6, 1), 12],
    ])
    result = import_bytes(world, data, "xlsx")
    assert result.products["created"] == 1
    view, customer = world.services.archive.product_view("X-1")
    assert view.product.delivery_date == date(2025, 6, 1)
    assert customer.phones == ("+8613800138000",)


def test_a_file_with_a_bad_row_imports_nothing_and_says_where(world):
    bad = CSV.replace("13900139000", "139")
    with pytest.raises(ImportRejected) as rejected:
        import_bytes(world, bad.encode())
    assert [(p.row, p.column, p.code) for p in rejected.value.problems] == [(4, "phones", "phone_invalid")]
    assert world.services.archive.customers() == ([], None), "nothing half-imported"


def test_a_plan_added_by_an_operator_may_be_used_and_an_unknown_one_may_not(world):
    gold = world.services.sla.plans().get("premium").model_copy(update={"name": "gold"})
    world.services.config.put_plan(ServicePlan.model_validate(gold.model_dump(mode="json")))
    assert import_bytes(world, CSV.replace("premium", "gold").encode()).customers["created"] == 2
    with pytest.raises(ImportRejected) as rejected:
        import_bytes(world, CSV.replace("premium", "platinum").encode())
    assert {p.code for p in rejected.value.problems} == {"plan_unknown"}


def test_a_file_posing_as_a_spreadsheet_is_refused(world):
    with pytest.raises(ImportRejected) as rejected:
        import_bytes(world, b"not a zip at all", "xlsx")
    assert rejected.value.problems[0].code == "file_type"
    with pytest.raises(ImportRejected) as rejected:
        import_bytes(world, b"PK\x03\x04 but broken", "xlsx")
    assert rejected.value.problems[0].code == "file_unreadable"


def test_only_spreadsheets_may_be_uploaded_and_only_our_keys_imported(world):
    with pytest.raises(ImportRejected):
        world.services.archive.start_import_upload("virus.exe")
    with pytest.raises(ImportRejected) as rejected:
        world.services.archive.import_file("uploads/photos/0123/x.png", actor=SystemActor("desk"))
    assert rejected.value.problems[0].code == "file_missing"


# ---- editing and searching ----------------------------------------------------------------------


def new_customer(world, **overrides):
    archive = world.services.archive
    data = {"customer_id": "C9", "name": "无锡电机厂", "phones": "13700137000", "province": "CN-JS", **overrides}
    return archive.save_customer(archive.parse_customer(data), actor=SystemActor("desk"))


def test_a_customer_id_cannot_be_filed_twice(world):
    new_customer(world)
    with pytest.raises(CustomerExists):
        new_customer(world)


def test_an_edit_based_on_an_old_version_is_refused(world):
    archive = world.services.archive
    first = new_customer(world)
    data = archive.parse_customer({**first.as_input(), "contact_person": "赵工"})
    archive.save_customer(data, actor=SystemActor("desk"), existing_id="C9", expected_version=1)
    with pytest.raises(StaleRecord):
        archive.save_customer(data, actor=SystemActor("desk"), existing_id="C9", expected_version=1)


def test_a_serial_number_belongs_to_one_product_only(world):
    archive = world.services.archive
    new_customer(world)
    product = archive.parse_product({"serial_number": "S-1", "model": "M", "warranty_months": "12"})
    archive.save_product(product, customer_id="C9", actor=SystemActor("desk"))
    with pytest.raises(SerialTaken):
        archive.save_product(product, customer_id="C9", actor=SystemActor("desk"))


def test_search_finds_customers_by_phone_serial_or_part_of_the_name(world):
    import_bytes(world, CSV.encode())
    archive = world.services.archive
    assert [c.id for c in archive.search("139 0013 9000")] == ["C002"]
    assert [c.id for c in archive.search("sn-2026-0042")] == ["C001"]
    assert [c.id for c in archive.search("精密")] == ["C001"]
    assert archive.search("nobody") == []


# ---- intake ------------------------------------------------------------------------------------


def submit(world, **overrides):
    request = ServiceRequestInput.model_validate(valid_report(**overrides))
    receipt = world.services.intake.submit(request, language="zh-CN")
    return world.tickets.get(receipt.number)


def test_a_known_serial_links_the_ticket_to_its_customer_product_plan_and_warranty(world):
    import_bytes(world, CSV.encode())
    ticket = submit(world, serial_number="sn-2026-0042", phone="13700137000")
    assert ticket.customer_id == "C001"
    assert ticket.archived_serial == "SN-2026-0042"
    assert ticket.plan == "premium"
    assert ticket.warranty is True and ticket.warranty_until == date(2027, 1, 9)


def test_an_expired_warranty_is_marked_out(world):
    import_bytes(world, CSV.encode())
    ticket = submit(world, serial_number="SN-2024-0001")
    assert ticket.warranty is False and ticket.warranty_until == date(2025, 1, 31)


def test_the_serial_wins_over_the_phone(world):
    import_bytes(world, CSV.encode())
    ticket = submit(world, serial_number="SN-GD-7", phone="13800138000")  # C001's phone, C002's product
    assert ticket.customer_id == "C002" and ticket.plan == "standard"


def test_without_a_known_serial_the_phone_finds_the_customer_but_no_product(world):
    import_bytes(world, CSV.encode())
    ticket = submit(world, serial_number="UNKNOWN-1", phone="13800138000")
    assert ticket.customer_id == "C001" and ticket.archived_serial is None
    assert ticket.warranty is None and ticket.plan == "premium"


def test_an_unknown_serial_and_phone_leave_the_ticket_unlinked_but_accepted(world):
    import_bytes(world, CSV.encode())
    ticket = submit(world, serial_number="UNKNOWN-1", phone="13600136000")
    assert ticket is not None
    assert (ticket.customer_id, ticket.archived_serial, ticket.warranty, ticket.plan) == (None, None, None, "standard")


def test_the_submit_event_records_the_link(world):
    import_bytes(world, CSV.encode())
    ticket = submit(world, serial_number="SN-2026-0042")
    first = world.tickets.events(ticket.number)[0]
    assert first.payload.customer_id == "C001" and first.payload.warranty_until == date(2027, 1, 9)


def test_linked_tickets_show_on_the_customers_page(world):
    import_bytes(world, CSV.encode())
    ticket = submit(world, serial_number="SN-2026-0042")
    assert [t.number for t in world.services.archive.customer_view("C001").tickets] == [ticket.number]
