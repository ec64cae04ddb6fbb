"""Finding a ticket: what staff may type and filter by, the search terms a ticket is filed under, and
which term a search reads first.

A ticket is filed under a set of terms (``search_terms``): its phone, serial, province, priority,
status, technicians, "open" while it is open, and the character bigrams of its customer's name, contact
and address. The store keeps one index entry per term, so a search reads one term's entries newest first
(``SearchPlan.term``) and checks each ticket against the whole query (``SearchPlan.keeps``). Bigrams make
Chinese fragments findable without a word list: "浦东新区" is filed under 浦东, 东新, 新区.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain.archive import serial_key
from chalicelib.domain.intake import normalize_phone
from chalicelib.domain.queue import Choice, _blank_to_none
from chalicelib.domain.ticket import Priority, Status, Ticket

MAX_QUERY = 64
MIN_FRAGMENT = 2
# Bigram entries per ticket: with the ticket, its first event, link and messages they must fit one
# transaction (100 items). A fragment beyond the cap is still matched, but cannot be what a search reads.
MAX_TEXT_TERMS = 60

_NUMBER = re.compile(r"^SD-\d{4}-\d{6}$")
_PHONE_ONLY = re.compile(r"^[0-9+()\-\s.]+$")
_SERIAL_LIKE = re.compile(r"^(?=.*\d)[A-Za-z0-9._/\-]+$")


class SearchQuery(BaseModel):
    """What a person typed and chose; every field optional. ``q`` is a ticket number, a phone number
    in any format, a serial number, or a fragment of a customer's name, contact or address."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    q: Annotated[str, Field(max_length=MAX_QUERY)] = ""
    status: Annotated[Status | None, BeforeValidator(_blank_to_none)] = None
    priority: Annotated[Priority | None, BeforeValidator(_blank_to_none)] = None
    province: Choice = None
    assignee: Choice = None
    overdue: bool = False

    @model_validator(mode="before")
    @classmethod
    def _checkbox(cls, data: Any) -> Any:
        # An unchecked box is absent; a checked one sends "on".
        if isinstance(data, dict) and data.get("overdue") in ("on", "1", "true"):
            return {**data, "overdue": True}
        return data

    @field_validator("q")
    @classmethod
    def _fragment_long_enough(cls, text: str) -> str:
        if text.strip() and len(normalise(text)) < MIN_FRAGMENT:
            raise PydanticCustomError("query_too_short", "type at least {min} letters or digits", {"min": MIN_FRAGMENT})
        return text

    @property
    def empty(self) -> bool:
        return not (self.q.strip() or self.status or self.priority or self.province or self.assignee or self.overdue)


def normalise(text: str) -> str:
    """Letters and digits only, case-folded, full-width as ASCII: how names and addresses compare."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


def bigrams(text: str) -> list[str]:
    """The adjacent pairs of ``normalise(text)``, in order, each once."""
    plain = normalise(text)
    return list(dict.fromkeys(plain[i : i + 2] for i in range(len(plain) - 1)))


def _phone(text: str) -> str | None:
    if not _PHONE_ONLY.match(unicodedata.normalize("NFKC", text)):
        return None
    try:
        return normalize_phone(text)
    except PydanticCustomError:
        return None


def _text_fields(ticket: Ticket) -> list[str]:
    reporter = ticket.reporter
    return [reporter.customer_name, reporter.contact_person or "", f"{reporter.city or ''}{reporter.address}"]


def _serials(ticket: Ticket) -> set[str]:
    return {s for s in (serial_key(ticket.product.serial_number), ticket.archived_serial) if s}


def search_terms(ticket: Ticket) -> frozenset[str]:
    """Every term the ticket is filed under. Facts that change with the job (status, priority,
    technicians, open) are terms too, so a filter can be the term a search reads."""
    terms = {f"phone:{ticket.reporter.phone}", f"province:{ticket.reporter.province}", f"status:{ticket.status.value}"}
    terms |= {f"serial:{s}" for s in _serials(ticket)}
    terms |= {f"tech:{name}" for name in ticket.assignees}
    if ticket.priority is not None:
        terms.add(f"priority:{ticket.priority.value}")
    if ticket.is_open:
        terms.add("open")
    text: list[str] = []
    for field in _text_fields(ticket):
        text.extend(b for b in bigrams(field) if b not in text)
    return frozenset(terms | {f"text:{b}" for b in text[:MAX_TEXT_TERMS]})


@dataclass(frozen=True)
class SearchPlan:
    """How to answer a query: a ticket number is read directly; otherwise ``term``'s entries are read
    newest first and each ticket is checked by ``keeps``. ``term`` None: nothing to search for."""

    query: SearchQuery
    number: str | None = None
    term: str | None = None
    phone: str | None = None
    serial: str | None = None
    fragment: str | None = None

    def keeps(self, ticket: Ticket) -> bool:
        """The whole query, checked on the ticket itself (an index entry may lag a change)."""
        query = self.query
        if self.number is not None and ticket.number != self.number:
            return False
        if self.phone is not None and ticket.reporter.phone != self.phone:
            return False
        if self.serial is not None and self.serial not in _serials(ticket):
            return False
        if self.fragment is not None and not any(self.fragment in normalise(f) for f in _text_fields(ticket)):
            return False
        if query.status is not None and ticket.status != query.status:
            return False
        if query.priority is not None and ticket.priority != query.priority:
            return False
        if query.province is not None and ticket.reporter.province != query.province:
            return False
        if query.assignee is not None and query.assignee not in ticket.assignees:
            return False
        return not query.overdue or ticket.is_open


def plan(query: SearchQuery) -> SearchPlan:
    """The most selective term first: a number, phone, serial or text fragment, then the filters."""
    text = query.q.strip()
    found: dict[str, str | None] = {}
    if text and _NUMBER.match(text.upper()):
        return SearchPlan(query, number=text.upper())
    if text and (phone := _phone(text)):
        found = {"phone": phone, "term": f"phone:{phone}"}
    elif text and _SERIAL_LIKE.match(unicodedata.normalize("NFKC", text)) and (serial := serial_key(text)):
        found = {"serial": serial, "term": f"serial:{serial}"}
    elif text:
        fragment = normalise(text)
        found = {"fragment": fragment, "term": f"text:{fragment[:2]}"}
    else:
        found = {"term": _filter_term(query)}
    return SearchPlan(query, **found)


def _filter_term(query: SearchQuery) -> str | None:
    if query.assignee is not None:
        return f"tech:{query.assignee}"
    if query.priority is not None:
        return f"priority:{query.priority.value}"
    if query.status is not None:
        return f"status:{query.status.value}"
    if query.province is not None:
        return f"province:{query.province}"
    return "open" if query.overdue else None
