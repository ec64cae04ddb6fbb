"""What a customer must tell us, and how we read phone numbers and emails (000 §4.1.2)."""

import pytest
from pydantic import ValidationError

from chalicelib.domain.intake import ServiceRequestInput, is_mobile_number, normalize_phone

BASE = {
    "customer_name": "ACME",
    "phone": "13800138000",
    "province": "CN-GD",
    "address": "Shenzhen",
    "product_model": "M1",
    "description": "broken",
}


def errors_of(**fields):
    with pytest.raises(ValidationError) as caught:
        ServiceRequestInput.model_validate({**BASE, **fields})
    return {e["loc"][0]: e["type"] for e in caught.value.errors()}


@pytest.mark.parametrize(
    "written, e164",
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("0512-68881234", "+8651268881234"),
        ("+852 9123 4567", "+85291234567"),
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_chinese_and_international_numbers_are_stored_in_e164(written, e164):
    assert normalize_phone(written) == e164


@pytest.mark.parametrize(
    "written",
    ["１３８１２３４５６７８", "１３８－１２３４－５６７８", "138　1234　5678", "＋８６ １３８１２３４５６７８", "138—1234—5678"],
)
def test_a_number_typed_with_a_chinese_ime_full_width_digits_spaces_and_dashes_is_the_same_number(written):
    assert normalize_phone(written) == "+8613812345678"
    assert ServiceRequestInput.model_validate({**BASE, "phone": written}).phone == "+8613812345678"


@pytest.mark.parametrize("written", ["12345", "1380013800a", "not a phone", "+86 138", "<script>"])
def test_things_that_are_not_phone_numbers_are_refused(written):
    assert errors_of(phone=written) == {"phone": "phone_invalid"}


def test_only_mobiles_get_sms():
    assert is_mobile_number("+8613800138000")
    assert not is_mobile_number("+8651268881234")


@pytest.mark.parametrize("field", ["customer_name", "phone", "province", "address", "product_model", "description"])
def test_required_fields_cannot_be_blank(field):
    assert field in errors_of(**{field: "   "})


def test_optional_blank_fields_become_none():
    report = ServiceRequestInput.model_validate({**BASE, "email": " ", "city": ""})
    assert report.email is None and report.city is None


def test_email_must_look_like_an_email():
    assert errors_of(email="wang@") == {"email": "email_invalid"}


def test_province_must_be_one_of_chinas_provinces():
    assert errors_of(province="Atlantis") == {"province": "province_unknown"}


def test_at_most_five_photos():
    assert errors_of(photos=[f"k{i}" for i in range(6)]) == {"photos": "too_long"}


def test_unknown_fields_are_refused_not_silently_dropped():
    assert errors_of(favourite_colour="blue") == {"favourite_colour": "extra_forbidden"}


def test_script_tags_are_kept_as_text_for_the_templates_to_escape():
    report = ServiceRequestInput.model_validate({**BASE, "description": "<script>alert(1)</script>"})
    assert report.description == "<script>alert(1)</script>"
