"""What a customer (or the desk on their behalf) must tell us to open a ticket, and how it is checked.

Field list from 000 §4.1.2; required fields from the intake issue. Errors are raised with stable
``type`` codes (``phone_invalid``, ``province_unknown``…) so the web layer can say them in the form's
language without parsing English messages.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonDict
from pydantic_core import PydanticCustomError

from chalicelib.domain.regions import PROVINCES
from chalicelib.domain.ticket import Channel, Kind
from chalicelib.domain.uploads import PHOTO_KEY_PATTERN

MAX_PHOTOS = 5  # per report, as the intake form promises
_PHONE_CHARS = re.compile(r"^[0-9+()\-\s.]{5,32}$")


_DASHES = str.maketrans({dash: "-" for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc"})


def normalize_phone(raw: str) -> str:
    """E.164 form of a phone number. Chinese numbers may be written without +86; others need theirs.

    A Chinese IME types full-width digits, spaces and dashes (１３８－１２３４　５６７８): they are the
    same number, so they are read as ASCII first."""
    raw = unicodedata.normalize("NFKC", raw).translate(_DASHES).strip()
    if not _PHONE_CHARS.match(raw):
        raise PydanticCustomError("phone_invalid", "not a phone number")
    # The phone and email libraries load with the first form checked, not at a cold start.
    import phonenumbers

    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("phone_invalid", "not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise PydanticCustomError("phone_invalid", "not a phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_mobile_number(e164: str) -> bool:
    """Only mobiles get SMS; a landline on the form still gets email."""
    import phonenumbers

    return phonenumbers.number_type(phonenumbers.parse(e164)) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def _email(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise PydanticCustomError("email_invalid", "not an email address") from None


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


Required = Annotated[str, BeforeValidator(_strip), Field(min_length=1)]

# What the API document says of the fields checked by code rather than by a length, so that a client
# built from the document can make a valid report. Wider input is still read (full-width digits,
# surrounding spaces): the document states the plain form.
PHONE_SCHEMA: JsonDict = {
    "pattern": _PHONE_CHARS.pattern, "maxLength": 32, "examples": ["13800138000", "025-8888 6666", "+85291234567"],
    "description": "A mobile or a landline with its area code (China); other countries with + and their code",
}
PROVINCE_SCHEMA: JsonDict = {"enum": [code for code in PROVINCES], "maxLength": 5, "description": "ISO 3166-2:CN code of the province"}
PHOTO_KEY_SCHEMA: JsonDict = {"pattern": PHOTO_KEY_PATTERN, "maxLength": 300,
                    "description": "The key of a photo uploaded through POST /api/uploads/photos and checked"}


# Free text the customer may leave empty (blank becomes None), by longest length.
OptionalShort = Annotated[Annotated[str, Field(max_length=100)] | None, BeforeValidator(_blank_to_none)]
OptionalName = Annotated[Annotated[str, Field(max_length=200)] | None, BeforeValidator(_blank_to_none)]
OptionalEmail = Annotated[
    Annotated[str, Field(max_length=254, json_schema_extra={"format": "email"})] | None, BeforeValidator(_blank_to_none)
]
OptionalLong = Annotated[Annotated[str, Field(max_length=2000)] | None, BeforeValidator(_blank_to_none)]


class ServiceRequestInput(BaseModel):
    """A fault report / service request as submitted on the web form or the API."""

    model_config = ConfigDict(
        extra="forbid", str_max_length=4000,
        json_schema_extra={"examples": [{
            "customer_name": "南京明远机电有限公司", "contact_person": "王工", "phone": "13800138000",
            "province": "CN-JS", "city": "南京", "address": "江宁区将军大道 100 号", "product_model": "KYN28-12",
            "serial_number": "SN-2024-0012", "description": "开关柜无法合闸，面板报警灯常亮。",
        }]},
    )

    customer_name: Annotated[Required, Field(max_length=200)]
    contact_person: OptionalShort = None
    phone: Annotated[Required, AfterValidator(normalize_phone), Field(json_schema_extra=PHONE_SCHEMA)]
    email: Annotated[OptionalEmail, AfterValidator(lambda v: _email(v) if v else None)] = None
    province: Annotated[Required, Field(json_schema_extra=PROVINCE_SCHEMA)]
    city: OptionalShort = None
    address: Annotated[Required, Field(max_length=500)]
    project_name: OptionalName = None
    product_model: Annotated[Required, Field(max_length=200)]
    serial_number: OptionalShort = None
    order_number: OptionalShort = None
    description: Annotated[Required, Field(max_length=4000)]
    suspected_cause: OptionalLong = None
    preferred_time: OptionalShort = None
    kind: Kind = Kind.FAULT
    channel: Channel = Channel.WEB
    photos: list[Annotated[str, Field(json_schema_extra=PHOTO_KEY_SCHEMA)]] = Field(
        default_factory=list, max_length=MAX_PHOTOS
    )

    @field_validator("province")
    @classmethod
    def _known_province(cls, value: str) -> str:
        if value not in PROVINCES:
            raise PydanticCustomError("province_unknown", "unknown province")
        return value

    @field_validator("kind", "channel", mode="before")
    @classmethod
    def _default_when_blank(cls, value: object, info):  # type: ignore[no-untyped-def]
        if value in (None, ""):
            return cls.model_fields[info.field_name].default
        return value


class CustomerAdditionInput(BaseModel):
    """What a customer adds to their open ticket from its tracking link: a note, photos, or both."""

    model_config = ConfigDict(extra="forbid", str_max_length=2000)

    note: OptionalLong = None
    photos: list[str] = Field(default_factory=list, max_length=MAX_PHOTOS)

    @model_validator(mode="after")
    def _something(self) -> CustomerAdditionInput:
        if not self.note and not self.photos:
            raise PydanticCustomError("addition_empty", "a note or a photo")
        return self
