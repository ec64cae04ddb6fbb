"""Staff forms answered once: a form sent again (a flaky connection's retry, a double click) records its
move once and gets the first answer, the same redirect, again.

Every rendered form carries a fresh key (``{{ form_key() }}`` in the template, ``rendering.form_key``,
like the customer's form); a view under ``answered_once`` runs under that key through the idempotency port. Only a move
that was done (a redirect) is remembered: a form answered with a problem stored nothing, and may be
corrected and sent again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.web.auth import current_staff
from chalicelib.web.forms import IDEMPOTENCY_FIELD

MAX_KEY_LENGTH = 100
ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Response])


class _NotDone(Exception):
    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def answered_once(blueprint: Blueprint) -> Callable[[ViewFunction], ViewFunction]:
    """Goes under ``staff_only``: the key is kept per person and address, so nobody else's key matters."""

    def decorate(view: ViewFunction) -> ViewFunction:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            request = blueprint.current_request
            form = _fields(request.raw_body)
            key = str((form.pop(IDEMPOTENCY_FIELD, None) or [""])[-1])[:MAX_KEY_LENGTH]
            if not key:
                return view(*args, **kwargs)

            def work() -> dict[str, Any]:
                response = view(*args, **kwargs)
                if response.status_code != 303:
                    raise _NotDone(response)  # nothing was recorded: the idempotency record goes too
                return {"location": response.headers["Location"]}

            params = "&".join(f"{name}={value}" for name, value in sorted((request.uri_params or {}).items()))
            scope = f"staff#{current_staff().username}#{request.path}?{params}"
            try:
                done = wiring.services().idempotency.run(scope, key, form, work)
            except _NotDone as not_done:
                return not_done.response
            return Response(body="", status_code=303, headers={"Location": done["location"]})

        return wrapper  # type: ignore[return-value]

    return decorate


def _fields(raw: bytes | str | None) -> dict[str, list[str]]:
    """The form as sent, for its key and for comparing a repeat with the first; the view itself reads it
    (and answers what is wrong with it)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=1000)
    except ValueError:
        return {}
