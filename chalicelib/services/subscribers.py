"""Who reacts to which published event: one table, one small function per reaction.

Each subscriber may run more than once for one event (a job is retried until every subscriber of it has
succeeded), so each must be idempotent; the after-care ones are (see ``services/aftercare.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.published import AfterCareDue, ProductSaved

if TYPE_CHECKING:
    from chalicelib.services.aftercare import AftercareService


class Reactors(Protocol):
    """The services subscribers act through (``wiring.Services`` builds each on first use)."""

    @property
    def aftercare(self) -> AftercareService: ...


def book_repair_callback(event: AfterCareDue, services: Reactors) -> None:
    services.aftercare.book_repair_callback(event.number)


def send_survey(event: AfterCareDue, services: Reactors) -> None:
    services.aftercare.send_survey(event.number)


def book_delivery_callback(event: ProductSaved, services: Reactors) -> None:
    services.aftercare.product_delivered(event.product)


SUBSCRIBERS: dict[type[Any], tuple[Callable[[Any, Reactors], object], ...]] = {
    AfterCareDue: (book_repair_callback, send_survey),
    ProductSaved: (book_delivery_callback,),
}
