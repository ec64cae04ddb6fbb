"""The archive's rules: warranty arithmetic, how people's input is normalised, and how a sheet is checked."""

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from chalicelib.domain.archive import (
    CustomerInput,
    InstalledProduct,
    ProductInput,
    derive_customer_id,
    normalize_serial,
    parse_sheet,
    plan_for,
    province_code,
    serial_key,
)
from chalicelib.domain.warranty import WarrantyStatus, last_covered_day, months_later, warranty_on

PLANS = {"standard", "premium", "basic"}


# ---- warranty ---------------------------------------------------------------------------------


def test_a_twelve_month_warranty_covers_up_to_the_day_before_the_anniversary():
    assert last_covered_day(date(2025, 3, 15), 12) == date(2026, 3, 14)


def test_a_month_from_the_31st_of_january_covers_all_of_february():
    assert months_later(date(2025, 1, 31), 1) == date(2025, 3, 1)
    assert last_covered_day(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert last_covered_day(date(2024, 1, 31), 1) == date(2024, 2, 29), "leap year"


def test_a_warranty_from_the_29th_of_february_ends_with_february_a_year_later():
    assert last_covered_day(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert last_covered_day(date(2024, 2, 29), 48) == date(2028, 2, 28)


def test_month_arithmetic_crosses_years():
    assert months_later(date(2025, 11, 30), 3) == date(2026, 3, 1)  # 30 Feb does not exist
    assert months_later(date(2025, 12, 15), 1) == date(2026, 1, 15)
    assert last_covered_day(date(2025, 8, 31), 6) == date(2026, 2, 28)


def test_the_warranty_runs_from_final_acceptance_when_there_was_one():
    w = warranty_on(date(2026, 5, 1), delivery_date=date(2025, 1, 10), acceptance_date=date(2025, 6, 1), months=12)
    assert w.status == WarrantyStatus.IN_WARRANTY
    assert (w.starts, w.until) == (date(2025, 6, 1), date(2026, 5, 31))


def test_without_acceptance_the_warranty_runs_from_delivery():
    w = warranty_on(date(2026, 5, 1), delivery_date=date(2025, 1, 10), acceptance_date=None, months=12)
    assert w.status == WarrantyStatus.OUT_OF_WARRANTY
    assert w.until == date(2026, 1, 9)


def test_the_last_covered_day_is_still_in_warranty_and_the_next_is_not():
    kwargs = dict(delivery_date=None, acceptance_date=date(2025, 3, 15), months=12)
    assert warranty_on(date(2026, 3, 14), **kwargs).status == WarrantyStatus.IN_WARRANTY
    assert warranty_on(date(2026, 3, 15), **kwargs).status == WarrantyStatus.OUT_OF_WARRANTY


def test_without_any_date_the_warranty_is_unknown():
    w = warranty_on(date(2026, 5, 1), delivery_date=None, acceptance_date=None, months=12)
    assert w.status == WarrantyStatus.UNKNOWN and w.until is None


def test_a_product_with_no_warranty_is_out_of_warranty_from_the_start():
    w = warranty_on(date(2025, 6, 1), delivery_date=date(2025, 6, 1), acceptance_date=None, months=0)
    assert w.status == WarrantyStatus.OUT_OF_WARRANTY


# ---- input ------------------------------------------------------------------------------------


def test_serial_numbers_compare_without_case_spaces_or_full_width_characters():
    assert normalize_serial(" sn 2026－0042 ") == "SN2026-0042"
    assert serial_key("ｓｎ-1") == "SN-1"
    assert serial_key("not a serial!") is None
    assert serial_key(None) is None


@pytest.mark.parametrize("text", ["CN-JS", "cn-js", "JS", "江苏省", "江苏", "Jiangsu", "jiangsu"])
def test_a_province_may_be_written_as_its_code_or_its_name(text):
    assert province_code(text) == "CN-JS"


def test_autonomous_regions_are_known_by_their_short_names():
    assert province_code("广西") == "CN-GX"
    assert province_code("内蒙古") == "CN-NM"


def test_a_customer_id_is_derived_from_the_name_when_none_is_given():
    assert derive_customer_id("苏州 精密机械") == derive_customer_id("苏州精密机械")
    assert derive_customer_id("ACME") == derive_customer_id("acme")
    assert derive_customer_id("ACME") != derive_customer_id("ACME 2")


def customer(**overrides):
    data = {"name": "苏州精密机械", "phones": "13800138000；0512-66668888", "province": "江苏"}
    data.update(overrides)
    return CustomerInput.model_validate(data, context={"plans": PLANS})


def test_several_phones_in_one_cell_are_split_and_normalised():
    assert customer().phones == ("+8613800138000", "+8651266668888")


def test_a_plan_must_be_one_in_force():
    assert customer(plan="premium").plan == "premium"
    with pytest.raises(ValidationError) as error:
        customer(plan="platinum")
    assert error.value.errors()[0]["type"] == "plan_unknown"


@pytest.mark.parametrize("flag, expected", [("是", True), ("否", False), ("Y", True), ("", False), ("yes", True)])
def test_the_key_customer_flag_reads_chinese_and_english(flag, expected):
    assert customer(key_customer=flag).key_customer is expected


def test_product_dates_are_read_in_the_ways_people_write_them():
    for text in ("2025-03-15", "2025/3/15", "2025.03.15", "20250315", "2025年3月15日", datetime(2025, 3, 15, 0, 0)):
        product = ProductInput.model_validate({"serial_number": "A1", "model": "M", "acceptance_date": text,
                                               "warranty_months": "12个月"})
        assert product.acceptance_date == date(2025, 3, 15)
        assert product.warranty_months == 12


def test_a_product_plan_overrides_the_customers():
    c = customer().model_copy()
    from chalicelib.domain.archive import Customer

    filed = Customer.from_input(c, version=1, at=datetime(2026, 1, 1), actor="desk")
    product = InstalledProduct(serial_number="A1", customer_id=filed.id, model="M", warranty_months=12)
    assert plan_for(filed, product) == "standard"
    assert plan_for(filed, product.model_copy(update={"plan": "premium"})) == "premium"


# ---- sheets -----------------------------------------------------------------------------------

HEADER_ZH = ["客户编号", "客户名称", "联系电话", "省份", "重点客户", "产品编号", "产品型号", "发货日期", "终验收日期", "保修期（月）"]
HEADER_EN = ["customer_id", "Customer name", "Phones", "Province", "Key customer", "Serial number", "Product model",
             "Delivery date", "Acceptance date", "Warranty (months)"]


def good_rows(header=HEADER_ZH):
    return [
        header,
        ["C001", "苏州精密机械", "13800138000", "江苏", "是", "SN-1", "KYN28-12", "2025-01-10", "2025-03-15", "12"],
        ["C001", "苏州精密机械", "13800138000", "江苏", "是", "SN-2", "KYN28-12", "2025-01-10", "", "24"],
        ["C002", "深圳电气", "13900139000", "CN-GD", "否", "", "", "", "", ""],
    ]


@pytest.mark.parametrize("header", [HEADER_ZH, HEADER_EN])
def test_a_good_sheet_gives_its_customers_and_products_with_chinese_or_english_headers(header):
    parsed = parse_sheet(good_rows(header), PLANS)
    assert parsed.problems == []
    assert list(parsed.customers) == ["C001", "C002"]
    assert [(cid, p.serial_number) for cid, p in parsed.products] == [("C001", "SN-1"), ("C001", "SN-2")]
    assert parsed.rows == 3


def test_a_title_line_above_the_headers_and_unknown_columns_are_fine():
    rows = [["客户档案 2026"], [*HEADER_ZH, "备注"], [*good_rows()[1], "随便写"]]
    parsed = parse_sheet(rows, PLANS)
    assert parsed.problems == [] and len(parsed.products) == 1


def test_every_bad_cell_is_reported_with_its_row_and_column():
    rows = good_rows()
    rows[1][2] = "12345"  # phone
    rows[2][9] = "forever"  # warranty months
    rows[3][3] = "火星"  # province
    parsed = parse_sheet(rows, PLANS)
    assert [(p.row, p.column, p.header, p.code) for p in parsed.problems] == [
        (2, "phones", "联系电话", "phone_invalid"),
        (3, "warranty_months", "保修期（月）", "months_invalid"),
        (4, "province", "省份", "province_unknown"),
    ]


def test_a_serial_twice_in_one_file_is_reported_on_the_second_row():
    rows = good_rows()
    rows[2][5] = "sn-1"
    problems = parse_sheet(rows, PLANS).problems
    assert [(p.row, p.code, dict(p.values)) for p in problems] == [(3, "serial_duplicate", {"first_row": 2})]


def test_one_customer_written_two_ways_is_a_conflict():
    rows = good_rows()
    rows[2][3] = "浙江"
    problems = parse_sheet(rows, PLANS).problems
    assert [(p.row, p.column, p.code) for p in problems] == [(3, "province", "customer_conflict")]


def test_a_sheet_without_the_required_columns_is_refused_as_a_whole():
    problems = parse_sheet([["客户名称", "产品编号"], ["A", "B"]], PLANS).problems
    assert [(p.row, p.code, p.values["columns"]) for p in problems] == [(1, "columns_missing", "phones, province")]


def test_a_product_row_needs_its_model_and_warranty_length():
    rows = [HEADER_ZH, ["", "A 公司", "13800138000", "江苏", "", "SN-9", "", "", "", ""]]
    problems = parse_sheet(rows, PLANS).problems
    assert {(p.column, p.code) for p in problems} == {("product_model", "required"), ("warranty_months", "required")}


def test_an_empty_sheet_is_reported():
    assert [p.code for p in parse_sheet([HEADER_ZH, ["", ""]], PLANS).problems] == ["file_empty"]
