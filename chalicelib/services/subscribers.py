"""Who reacts to which published event: one table, one small function per reaction.

Each subscriber may run more than once for one event (a job is retried until every subscriber of it has
succeeded), so each must be idempotent; the after-care ones are (see ``services/aftercare.py``), a follow-up is opened under the number
its event carries (once), and a complaint's record is written only while it has none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.published import AfterCareDue, ComplaintTakenByPhone, FollowUpRequested, ProductSaved

if TYPE_CHECKING:
    from chalicelib.services.aftercare import AftercareService
    from chalicelib.services.complaints import ComplaintService


class Reactors(Protocol):
    """The services subscribers act through (``wiring.Services`` builds each on first use)."""

    @property
    def aftercare(self) -> AftercareService: ...

    @property
    def complaints(self) -> ComplaintService: ...


def book_repair_callback(event: AfterCareDue, services: Reactors) -> None:
    services.aftercare.book_repair_callback(event.number)


def send_survey(event: AfterCareDue, services: Reactors) -> None:
    services.aftercare.send_survey(event.number)


def book_delivery_callback(event: ProductSaved, services: Reactors) -> None:
    services.aftercare.product_delivered(event.product)


def open_follow_up(event: FollowUpRequested, services: Reactors) -> None:
    services.aftercare.open_follow_up(event)


def record_phone_complaint(event: ComplaintTakenByPhone, services: Reactors) -> None:
    services.complaints.record_taken(event)


SUBSCRIBERS: dict[type[Any], tuple[Callable[[Any, Reactors], object], ...]] = {
    AfterCareDue: (book_repair_callback, send_survey),
    ProductSaved: (book_delivery_callback,),
    FollowUpRequested: (open_follow_up,),
    ComplaintTakenByPhone: (record_phone_complaint,),
}
