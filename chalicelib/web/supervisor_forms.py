"""Request models of the office's forms (queue filters live in the domain: ``QueueFilter``).

Field names are unique across the ticket page's forms, so one ``errors``/``values`` pair can say which
field of which form is wrong and keep what was typed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from chalicelib.domain.billing import BillingReason
from chalicelib.domain.ticket import Billing, Channel, Kind, Priority, Status
from chalicelib.web.forms import typed_datetime


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_strip)]

# The desk types in what came by these; the web form is the customer's own.
DESK_CHANNELS = (Channel.PHONE, Channel.FAX, Channel.EMAIL, Channel.VISIT)
PAUSE_REASONS = ("customer_unreachable", "site_not_ready", "customer_request", "other")


# What the supervisor's ticket page opens first in each state; the other moves stay folded away. A state
# whose next step is someone else's (the technician on his way or on site, an approval) opens none.
NEXT_FORMS: dict[Status, tuple[str, ...]] = {
    Status.NEW: ("contact", "classify"),
    Status.TRIAGED: ("dispatch",),
    Status.WAITING_ON_CUSTOMER: ("resume",),
}


def action_forms(status: Status, *, may_manage: bool, may_contact: bool, failed: str | None = None
                 ) -> list[tuple[str, bool]]:
    """The ticket page's forms as (name, open): the next step's first and open, then the rest folded,
    in their usual order. ``failed``: a form sent back with a problem stays open where it is."""
    paused = status == Status.WAITING_ON_CUSTOMER
    usual = [name for name, allowed in (
        ("classify", may_manage), ("contact", may_contact), ("agree_date", may_manage), ("dispatch", may_manage),
        ("resume" if paused else "pause", may_manage), ("cancel", may_manage),
    ) if allowed]
    first = [name for name in NEXT_FORMS.get(status, ()) if name in usual]
    return [(name, name in first or name == failed) for name in first + [n for n in usual if n not in first]]


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ClassifyForm(_Form):
    kind: Kind
    priority: Priority
    billing: Billing
    billing_reason: Annotated[BillingReason | None, BeforeValidator(lambda v: v or None)] = None  # "" = not chosen
    warranty: Literal["in", "out", "unknown"] = "unknown"
    plan: Annotated[Text, Field(min_length=1, max_length=64)]
    in_province: Literal["yes", "no"]

    def warranty_flag(self) -> bool | None:
        return {"in": True, "out": False}.get(self.warranty)


class ContactForm(_Form):
    contact_note: Annotated[Text, Field(max_length=1000)] = ""


class AgreeDateForm(_Form):
    agreed_date: Annotated[Text, Field(min_length=1, max_length=32)]

    def at(self, timezone: str) -> datetime:
        """Wall-clock time where the company works, as typed (``forms.typed_datetime``); stored in UTC."""
        local = datetime.fromisoformat(typed_datetime(self.agreed_date))  # ValueError: not a date and time
        if local.tzinfo is None:
            local = local.replace(tzinfo=ZoneInfo(timezone))
        return local.astimezone(UTC)


class DispatchForm(_Form):
    technicians: Annotated[list[Annotated[str, Field(max_length=128)]], Field(min_length=1, max_length=10)]


class PauseForm(_Form):
    pause_reason: Literal["customer_unreachable", "site_not_ready", "customer_request", "other"]
    pause_note: Annotated[Text, Field(max_length=500)] = ""


class CancelForm(_Form):
    cancel_reason: Annotated[Text, Field(min_length=1, max_length=500)]


class DeskChannelForm(_Form):
    channel: Literal["phone", "fax", "email", "visit"]
