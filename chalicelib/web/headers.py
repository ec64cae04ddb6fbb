"""Every answer carries the security headers the pages have (``rendering.security_headers``): the JSON
API, the static files and the redirects too, so no route can forget them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Blueprint
from chalice.app import Request

from chalicelib.web.rendering import security_headers

blueprint = Blueprint(__name__)


@blueprint.middleware("http")
def with_security_headers(event: Request, get_response: Callable[[Request], Any]) -> Any:
    response = get_response(event)
    for name, value in security_headers().items():
        response.headers.setdefault(name, value)
    return response
