"""The customer and product archive (客户档案, 002 §3.4, 003 §1): who our customers are and what they run.

A ``Customer`` holds its contacts, province and service plan; an ``InstalledProduct`` is one machine,
known by its serial number (unique across the archive), with its delivery and final acceptance dates
and warranty length. At intake a serial number (or the reporter's phone) finds them again, so a ticket
knows its customer, its plan and whether the job is free under warranty.

Input arrives from the desk's forms and from spreadsheets (``parse_sheet``); both go through the same
pydantic models, whose errors carry stable ``type`` codes so the web layer can say them in the page's
language. Service plan names are checked against the plans in force, passed in the validation context
as ``{"plans": <names>}`` (operator plans live in the table, so the domain cannot know them itself).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from chalicelib.domain.intake import OptionalEmail, OptionalName, OptionalShort, Required, normalize_phone
from chalicelib.domain.intake import _email as check_email
from chalicelib.domain.regions import PROVINCES
from chalicelib.domain.warranty import Warranty, warranty_on

DEFAULT_PLAN = "standard"
MAX_IMPORT_ROWS = 5000
MAX_PHONES = 5
_SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9._/\-]{0,63}$")
_CUSTOMER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,39}$")
_PHONE_SEPARATORS = re.compile(r"[;,，；、/\n]+")


# ---- normalising what people type ----------------------------------------------------------------


def normalize_serial(raw: str) -> str:
    """Serial numbers compare without case, spaces or full-width characters: ``sn 2026－0042`` is
    ``SN2026-0042``."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()
    if not _SERIAL.match(value):
        raise PydanticCustomError("serial_invalid", "not a serial number")
    return value


def serial_key(raw: str | None) -> str | None:
    """The archive key of a serial typed on the intake form, or None if it cannot be one."""
    if not raw:
        return None
    try:
        return normalize_serial(raw)
    except PydanticCustomError:
        return None


def derive_customer_id(name: str) -> str:
    """A stable id for a customer imported without a code, so importing the same file again updates it."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()
    return "C-" + hashlib.sha256(folded.encode()).hexdigest()[:10].upper()


def _customer_id(raw: str) -> str:
    value = unicodedata.normalize("NFKC", raw).strip()
    if not _CUSTOMER_ID.match(value):
        raise PydanticCustomError("customer_id_invalid", "not a customer id")
    return value


_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def _province_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for code, (zh, en) in PROVINCES.items():
        names[code.casefold()] = code
        names[code.removeprefix("CN-").casefold()] = code
        names[zh] = code
        names[en.casefold()] = code
        for suffix in _PROVINCE_SUFFIXES:
            if zh.endswith(suffix):
                names[zh.removesuffix(suffix)] = code
                break
    return names


_PROVINCES_BY_NAME = _province_names()


def province_code(raw: str) -> str:
    """``CN-JS``, ``JS``, ``江苏省``, ``江苏`` and ``Jiangsu`` all mean Jiangsu."""
    code = _PROVINCES_BY_NAME.get(unicodedata.normalize("NFKC", raw).strip().casefold())
    if code is None:
        raise PydanticCustomError("province_unknown", "unknown province")
    return code


def _phones(value: object) -> object:
    if isinstance(value, str):
        value = [p for p in _PHONE_SEPARATORS.split(value) if p.strip()]
    if isinstance(value, list | tuple):
        phones = [normalize_phone(str(p).strip()) for p in value if str(p).strip()]
        return tuple(dict.fromkeys(phones))
    return value


_YES = {"是", "y", "yes", "true", "1", "√", "✓", "重点", "key", "on"}
_NO = {"否", "n", "no", "false", "0", "", "×", "x", "-"}


def _flag(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise PydanticCustomError("flag_invalid", "not yes or no")


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def _date(value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().split(" ")[0]
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise PydanticCustomError("date_invalid", "not a date")


def _months(value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError("missing", "required")
    if isinstance(value, bool):
        raise PydanticCustomError("months_invalid", "not a number of months")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = re.sub(r"(个月|月|months?)$", "", unicodedata.normalize("NFKC", value).strip().casefold()).strip()
        if not text.isdigit():
            raise PydanticCustomError("months_invalid", "not a number of months")
        value = int(text)
    if isinstance(value, int) and 0 <= value <= 600:
        return value
    raise PydanticCustomError("months_invalid", "not a number of months")


def _known_plan(value: str | None, info: ValidationInfo) -> str | None:
    plans = (info.context or {}).get("plans")
    if value is not None and plans is not None and value not in plans:
        raise PydanticCustomError("plan_unknown", "unknown service plan")
    return value


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        return value.strip() or None
    return value


OptionalAddress = Annotated[Annotated[str, Field(max_length=500)] | None, BeforeValidator(_blank_to_none)]
PlanName = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(_known_plan)]


# ---- what the desk enters (forms and spreadsheet rows) -------------------------------------------


class CustomerInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)

    customer_id: Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(
        lambda v: _customer_id(v) if v else None)] = None
    name: Annotated[Required, Field(max_length=200)]
    contact_person: OptionalShort = None
    phones: Annotated[tuple[str, ...], BeforeValidator(_phones), Field(min_length=1, max_length=MAX_PHONES)]
    email: Annotated[OptionalEmail, AfterValidator(lambda v: check_email(v) if v else None)] = None
    province: Annotated[Required, AfterValidator(province_code)]
    city: OptionalShort = None
    address: OptionalAddress = None
    region: OptionalShort = None
    plan: PlanName = None
    key_customer: Annotated[bool, BeforeValidator(_flag)] = False

    @property
    def id(self) -> str:
        return self.customer_id or derive_customer_id(self.name)


class ProductInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)

    serial_number: Annotated[Required, AfterValidator(normalize_serial)]
    model: Annotated[Required, Field(max_length=200)]
    order_number: OptionalShort = None
    delivery_date: Annotated[date | None, BeforeValidator(_date)] = None
    acceptance_date: Annotated[date | None, BeforeValidator(_date)] = None
    warranty_months: Annotated[int, BeforeValidator(_months)]
    plan: PlanName = None
    project_name: OptionalName = None


# ---- the records ----------------------------------------------------------------------------------


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    version: int = 1
    name: str
    contact_person: str | None = None
    phones: tuple[str, ...]
    email: str | None = None
    province: str
    city: str | None = None
    address: str | None = None
    region: str | None = None
    plan: str = DEFAULT_PLAN
    key_customer: bool = False
    updated_at: datetime | None = None
    updated_by: str | None = None

    @classmethod
    def from_input(cls, data: CustomerInput, *, version: int, at: datetime, actor: str) -> Customer:
        fields = data.model_dump(exclude={"customer_id", "plan"})
        return cls(id=data.id, version=version, plan=data.plan or DEFAULT_PLAN, updated_at=at, updated_by=actor,
                   **fields)

    def same_content(self, other: Customer | None) -> bool:
        skip = {"version", "updated_at", "updated_by"}
        return other is not None and self.model_dump(exclude=skip) == other.model_dump(exclude=skip)

    def as_input(self) -> dict[str, Any]:
        """Form values for editing."""
        return {**self.model_dump(mode="json", exclude={"id", "version", "updated_at", "updated_by"}),
                "customer_id": self.id, "phones": ", ".join(self.phones)}


class InstalledProduct(BaseModel):
    model_config = ConfigDict(frozen=True)

    serial_number: str
    customer_id: str
    version: int = 1
    model: str
    order_number: str | None = None
    project_name: str | None = None
    delivery_date: date | None = None
    acceptance_date: date | None = None
    warranty_months: int
    plan: str | None = None  # overrides the customer's plan for jobs on this product
    updated_at: datetime | None = None
    updated_by: str | None = None

    @classmethod
    def from_input(
        cls, data: ProductInput, *, customer_id: str, version: int, at: datetime, actor: str
    ) -> InstalledProduct:
        return cls(customer_id=customer_id, version=version, updated_at=at, updated_by=actor, **data.model_dump())

    def warranty(self, today: date) -> Warranty:
        return warranty_on(
            today, delivery_date=self.delivery_date, acceptance_date=self.acceptance_date, months=self.warranty_months
        )

    def same_content(self, other: InstalledProduct | None) -> bool:
        skip = {"version", "updated_at", "updated_by"}
        return other is not None and self.model_dump(exclude=skip) == other.model_dump(exclude=skip)

    def as_input(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"customer_id", "version", "updated_at", "updated_by"})


def plan_for(customer: Customer, product: InstalledProduct | None) -> str:
    """A product's own plan wins over its customer's (e.g. one machine under a premium contract)."""
    return (product.plan if product and product.plan else None) or customer.plan


# ---- spreadsheets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the import layout. ``name`` is the English header; ``aliases`` are also accepted."""

    name: str
    field: str
    zh: str
    required: bool = False
    product: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("customer_id", "customer_id", "客户编号", aliases=("客户代码", "客户编码", "customer code")),
    Column("customer_name", "name", "客户名称", required=True, aliases=("客户", "单位名称", "customer")),
    Column("contact_person", "contact_person", "联系人", aliases=("contact",)),
    Column("phones", "phones", "联系电话", required=True,
           aliases=("电话", "手机", "手机号", "phone", "telephone", "mobile")),
    Column("email", "email", "电子邮箱", aliases=("邮箱", "e-mail")),
    Column("province", "province", "省份", required=True, aliases=("省",)),
    Column("city", "city", "城市"),
    Column("address", "address", "详细地址", aliases=("地址",)),
    Column("region", "region", "区域", aliases=("片区", "销售区域")),
    Column("service_plan", "plan", "服务方案", aliases=("服务计划", "plan")),
    Column("key_customer", "key_customer", "重点客户", aliases=("是否重点客户",)),
    Column("serial_number", "serial_number", "产品编号", product=True,
           aliases=("出厂编号", "序列号", "serial no", "serial")),
    Column("product_model", "model", "产品型号", product=True, aliases=("型号", "规格型号", "model")),
    Column("order_number", "order_number", "订单号", product=True,
           aliases=("合同号", "订单号/合同号", "contract number")),
    Column("project_name", "project_name", "项目名称", product=True, aliases=("project",)),
    Column("delivery_date", "delivery_date", "发货日期", product=True, aliases=("交货日期", "交付日期")),
    Column("acceptance_date", "acceptance_date", "终验收日期", product=True,
           aliases=("验收日期", "最终验收日期", "final acceptance date")),
    Column("warranty_months", "warranty_months", "保修期（月）", product=True,
           aliases=("保修期", "质保期（月）", "质保期", "保修月数", "warranty (months)", "warranty")),
    Column("product_plan", "plan", "产品服务方案", product=True, aliases=("product service plan",)),
)
COLUMNS_BY_NAME = {c.name: c for c in COLUMNS}
_HEADER_ROWS_SEARCHED = 5  # a title line or two above the headers is common in exported sheets


def _header_key(text: object) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", str(text or "")).casefold())


_COLUMN_BY_HEADER: dict[str, Column] = {
    _header_key(alias): column
    for column in COLUMNS
    for alias in (column.name, column.name.replace("_", " "), column.zh, *column.aliases)
}


@dataclass(frozen=True)
class RowProblem:
    """``row`` is the spreadsheet's row number (1 = first line; None for the file as a whole);
    ``column`` the layout column's name, ``header`` as the file wrote it; ``code`` says what is wrong."""

    row: int | None
    column: str | None
    header: str | None
    code: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ParsedSheet:
    customers: dict[str, CustomerInput] = field(default_factory=dict)
    products: list[tuple[str, ProductInput]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0


_PYDANTIC_CODES = {"missing": "required", "string_too_short": "required", "too_short": "required",
                   "string_too_long": "too_long", "too_long": "too_many"}
_OWN_CODES = {"phone_invalid", "email_invalid", "province_unknown", "plan_unknown", "date_invalid",
              "months_invalid", "flag_invalid", "serial_invalid", "customer_id_invalid"}


def problem_code(error_type: str) -> str:
    if error_type in _OWN_CODES:
        return error_type
    return _PYDANTIC_CODES.get(error_type, "invalid")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _row_problems(
    error: ValidationError, number: int, positions: Mapping[str, tuple[int, str]], *, product: bool
) -> list[RowProblem]:
    problems = []
    for problem in error.errors():
        field_name = str(problem["loc"][0]) if problem["loc"] else None
        column = next((c for c in COLUMNS if c.field == field_name and c.product == product), None)
        header = positions[column.name][1] if column and column.name in positions else None
        ctx = {k: v for k, v in (problem.get("ctx") or {}).items() if isinstance(v, int | str)}
        problems.append(RowProblem(number, column.name if column else None, header, problem_code(problem["type"]), ctx))
    return problems


def parse_sheet(rows: Sequence[Sequence[Any]], plans: Collection[str]) -> ParsedSheet:
    """Validate every row of a sheet (header row first); nothing is written by this, and a sheet with
    any problem should not be imported at all."""
    parsed = ParsedSheet()
    header_index = next(
        (i for i, row in enumerate(rows[:_HEADER_ROWS_SEARCHED])
         if any(_COLUMN_BY_HEADER.get(_header_key(c)) == COLUMNS_BY_NAME["customer_name"] for c in row)),
        None,
    )
    if header_index is None:
        parsed.problems.append(RowProblem(1, None, None, "columns_missing", {
            "columns": ", ".join(c.name for c in COLUMNS if c.required)}))
        return parsed
    positions: dict[str, tuple[int, str]] = {}
    for position, text in enumerate(rows[header_index]):
        column = _COLUMN_BY_HEADER.get(_header_key(text))
        if column is None:
            continue  # other columns are allowed and ignored (e.g. notes)
        if column.name in positions:
            parsed.problems.append(RowProblem(header_index + 1, column.name, _cell_text(text), "column_duplicate"))
        positions[column.name] = (position, _cell_text(text))
    missing = [c.name for c in COLUMNS if c.required and c.name not in positions]
    if missing:
        parsed.problems.append(RowProblem(header_index + 1, None, None, "columns_missing", {"columns": ", ".join(missing)}))
    if parsed.problems:
        return parsed

    data_rows = [(header_index + 2 + i, row) for i, row in enumerate(rows[header_index + 1:])]
    data_rows = [(n, row) for n, row in data_rows if any(_cell_text(c) for c in row)]
    if not data_rows:
        parsed.problems.append(RowProblem(None, None, None, "file_empty"))
        return parsed
    if len(data_rows) > MAX_IMPORT_ROWS:
        parsed.problems.append(RowProblem(None, None, None, "too_many_rows", {"max": MAX_IMPORT_ROWS}))
        return parsed

    context = {"plans": frozenset(plans)}
    first_row_of_customer: dict[str, int] = {}
    first_row_of_serial: dict[str, int] = {}
    for number, row in data_rows:
        parsed.rows += 1
        values: dict[str, dict[str, Any]] = {"customer": {}, "product": {}}
        for name, (position, _) in positions.items():
            column = COLUMNS_BY_NAME[name]
            cell = row[position] if position < len(row) else None
            raw = cell if column.field in ("delivery_date", "acceptance_date", "warranty_months") else _cell_text(cell)
            values["product" if column.product else "customer"][column.field] = raw

        customer: CustomerInput | None = None
        try:
            customer = CustomerInput.model_validate(values["customer"], context=context)
        except ValidationError as error:
            parsed.problems += _row_problems(error, number, positions, product=False)
        product: ProductInput | None = None
        if any(v not in ("", None) for v in values["product"].values()):
            try:
                product = ProductInput.model_validate(values["product"], context=context)
            except ValidationError as error:
                parsed.problems += _row_problems(error, number, positions, product=True)
        if customer is None:
            continue
        earlier = parsed.customers.get(customer.id)
        if earlier is None:
            parsed.customers[customer.id] = customer
            first_row_of_customer[customer.id] = number
        elif earlier != customer:
            differing = next(c for c in COLUMNS if not c.product and getattr(earlier, c.field) != getattr(customer, c.field))
            parsed.problems.append(RowProblem(number, differing.name, positions.get(differing.name, (0, None))[1],
                                              "customer_conflict", {"first_row": first_row_of_customer[customer.id]}))
            continue
        if product is None:
            continue
        if product.serial_number in first_row_of_serial:
            parsed.problems.append(RowProblem(number, "serial_number", positions["serial_number"][1], "serial_duplicate",
                                              {"first_row": first_row_of_serial[product.serial_number]}))
            continue
        first_row_of_serial[product.serial_number] = number
        parsed.products.append((customer.id, product))
    return parsed
