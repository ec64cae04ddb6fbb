"""Every request's log lines carry its API Gateway request id, and the ticket number when the route
names one (``/staff/tickets/{number}/...``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint
from chalice.app import Request

from chalicelib.observability import log_context

blueprint = Blueprint(__name__)


@blueprint.middleware("http")
def keys_of_the_request(event: Request, get_response: Callable[[Request], Any]) -> Any:
    ticket = (event.uri_params or {}).get("number")
    with log_context(ticket=ticket, correlation_id=(event.context or {}).get("requestId")):
        return get_response(event)
