"""Outside local mode the app does nothing until AWS has given it every setting it must have.

A missing setting would otherwise surface much later and far away (links signed with the public local
secret, reports never sent), so every request answers 503 and every job fails, each with a log line
naming the variables, until the stack sets them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint
from chalice.app import Request

from chalicelib.settings import get_settings
from chalicelib.web.errors import answer

blueprint = Blueprint(__name__)
logger = Logger(child=True)


class MissingSettings(RuntimeError):
    """A job refused to run: the named environment variables are unset or still local defaults."""


@blueprint.middleware("all")
def require_settings(event: Any, get_response: Callable[[Any], Any]) -> Any:
    missing = get_settings().missing_on_aws()
    if not missing:
        return get_response(event)
    message = f"refusing to start: {', '.join(missing)} not set for AWS (unset or still the local default)"
    logger.error(message, extra={"missing_settings": list(missing)})
    if isinstance(event, Request):
        return answer(event, 503, "unavailable")
    raise MissingSettings(message)
