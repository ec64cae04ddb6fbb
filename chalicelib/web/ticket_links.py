"""Where other features plug into the staff ticket page: each registers a function that, for a ticket
and the signed-in person, returns the links it offers (e.g. "Quote", "Parts requisition", "Closure").

    from chalicelib.web import ticket_links
    ticket_links.register(lambda ticket, user, lang: [(t(lang, "billing.quote"), f"/staff/tickets/{ticket.number}/quote")])

The page lists them under "More" in registration order; a link function must not raise.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.staff import StaffUser
from chalicelib.domain.ticket import Ticket

LinkMaker = Callable[[Ticket, StaffUser, str], list[tuple[str, str]]]
_makers: list[LinkMaker] = []


def register(maker: LinkMaker) -> LinkMaker:
    """Usable as a decorator; registering the same function twice has no effect."""
    if maker not in _makers:
        _makers.append(maker)
    return maker


def links_for(ticket: Ticket, user: StaffUser, lang: str) -> list[tuple[str, str]]:
    """(label, path below the site root) of every registered feature, for this person."""
    return [link for maker in _makers for link in maker(ticket, user, lang)]
