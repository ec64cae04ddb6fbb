"""What every resource of the staff API under ``/api/v1`` shares, so each reads as its staff page does:
an operation is declared once (route, role check, OpenAPI entry), answers JSON, pages its lists with
a cursor, runs a write once per ``Idempotency-Key``, and turns the rules' refusals into clear 4xx.

Each operation calls the same service, with the same roles, as the staff page of that name; the
refusals a service raises are answered in one place here (``RULES``), in the caller's language.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib import wiring
from chalicelib.domain.staff import StaffRole
from chalicelib.i18n import normalize_language, t
from chalicelib.web import openapi
from chalicelib.web.api import BAD, Error
from chalicelib.web.auth import Forbidden, current_staff, staff_only
from chalicelib.web.errors import REFUSALS as REFUSALS
from chalicelib.web.errors import Refusal as ApiProblem
from chalicelib.web.errors import Rules, guarded, refusals
from chalicelib.web.errors import problem as problem
from chalicelib.web.errors import refusal as refusal
from chalicelib.web.forms import InvalidFields, query_of, read_json, validate

PREFIX = "/api/v1"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_CURSOR = 500
MAX_KEY_LENGTH = 100
IDEMPOTENCY_HEADER = "Idempotency-Key"
Model = TypeVar("Model", bound=BaseModel)
Row = TypeVar("Row")

UNAUTHENTICATED = (401, ("No valid ID token or access token in Authorization: Bearer", Error))
FORBIDDEN = (403, ("Signed in, but neither this role nor these scopes may do it", Error))
NOT_FOUND = (404, ("Not found, or not yours to see", Error))
CONFLICT = (
    409,
    ("Not possible in the record's state, changed meanwhile, or the same Idempotency-Key still being processed", Error),
)
KEY_REUSED = (422, ("Idempotency-Key reused with a different body", Error))
# Who may call each operation, by (method, path): what the role/scope matrix test reads.
ROLES: dict[tuple[str, str], frozenset[StaffRole]] = {}
# The operations only a person may call: an integration's token is refused whatever its scopes.
PEOPLE_ONLY: set[tuple[str, str]] = set()
PAGE_QUERY = {
    "cursor": "The previous page's cursor (null on the last page)",
    "limit": f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE})",
}


def language(bp: Blueprint) -> str:
    request = bp.current_request
    return normalize_language(query_of(request).get("lang") or request.headers.get("accept-language"))


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})


def _problem_response(p: ApiProblem) -> Response:
    return _answer(p.status, Error(error=p.code, message=p.message, fields=p.fields).model_dump(mode="json"), p.headers)


def _dumped(result: BaseModel | None) -> Any:
    return result.model_dump(mode="json") if result is not None else ""


def operation(
    bp: Blueprint,
    method: str,
    path: str,
    summary: str,
    *,
    roles: Sequence[StaffRole],
    response: type[BaseModel] | None,
    request: type[BaseModel] | None = None,
    status: int = 200,
    query: dict[str, str] | None = None,
    parameter_schemas: dict[str, dict[str, Any]] | None = None,
    read: Callable[[dict[str, Any], str], Any] | None = None,
    people_only: bool = False,
    secret: str | None = None,
    own: Rules = (),
) -> Callable[[Callable[..., BaseModel | None]], Callable[..., Response]]:
    """Declare one operation: ``GET`` views take the path's parameters; a write takes its parsed body
    (``request``, or what ``read(body, lang)`` makes of it when a service parses its own input) first.
    A view returns the response model, or raises a service's refusal or ``ApiProblem``; a write sent
    again with the same ``Idempotency-Key`` gets the first answer.

    ``people_only``: an integration's token is refused (403) even in these roles. ``secret``: a field of
    the answer shown once: never stored, so a repeat with the same key gets it as null; not cached.
    ``own``: the operation's own words for some refusals (``web/errors.py``), looked up first."""
    writes = method.upper() != "GET"
    ROLES[(method.upper(), f"{PREFIX}{path}")] = frozenset(roles)
    if people_only:
        PEOPLE_ONLY.add((method.upper(), f"{PREFIX}{path}"))
    responses: dict[int, tuple[str, type[BaseModel] | None]] = {
        status: ("Done" if writes else "Found", response),
        **dict([BAD, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND]),
    }
    if writes:
        responses.update(dict([CONFLICT, KEY_REUSED]))
    openapi.operation(
        method,
        f"{PREFIX}{path}",
        f"{summary} (roles: {', '.join(r.value for r in roles)})",
        request=request,
        responses=responses,
        query=query,
        secured=True,
        headers={IDEMPOTENCY_HEADER: "Any unique string per change; a repeat gets the first answer"}
        if writes
        else None,
        parameter_schemas={
            **({IDEMPOTENCY_HEADER: {"minLength": 1, "maxLength": MAX_KEY_LENGTH}} if writes else {}),
            **(parameter_schemas or {}),
        },
    )

    def decorate(view: Callable[..., BaseModel | None]) -> Callable[..., Response]:
        def run(**params: Any) -> Response:
            if people_only and current_staff().integration:
                raise Forbidden()
            lang = language(bp)
            http = bp.current_request
            body = read_json(http.raw_body) if request is not None else {}
            args = ((read(body, lang) if read else validate(request, body, lang)),) if request is not None else ()
            shown_once: dict[str, Any] = {}

            def work() -> dict[str, Any]:
                try:
                    answered = _dumped(view(*args, **params))
                except refusals(own) as error:
                    raise refusal(error, lang, own) from None
                if secret and isinstance(answered, dict):
                    shown_once["body"] = answered
                    return {"body": {**answered, secret: None}}
                return {"body": answered}

            key = (http.headers.get(IDEMPOTENCY_HEADER.lower()) or "")[:MAX_KEY_LENGTH] if writes else ""
            try:
                if key:
                    # The path's values as a digest: they come from the caller, and the key they are kept
                    # under must stay within DynamoDB's 1 KB for a sort key however long they are.
                    values = "&".join(f"{name}={value}" for name, value in sorted(params.items()))
                    digest = hashlib.sha256(values.encode("utf-8", "surrogatepass")).hexdigest()[:32]
                    scope = f"api#{current_staff().username}#{method.upper()} {http.path}?{digest}"
                    done = wiring.services().idempotency.run(scope, key, {"body": body}, work)
                else:
                    done = work()
            except ApiProblem as refused:
                return _problem_response(refused)
            answered = shown_once.get("body", done["body"])
            return _answer(
                status if answered != "" else 204, answered, {"Cache-Control": "no-store"} if secret else None
            )

        functools.update_wrapper(run, view)
        guarded_view = guarded(bp)(staff_only(bp, *roles)(run))
        bp.route(path, methods=[method.upper()], **({"content_types": ["application/json"]} if writes else {}))(
            guarded_view
        )
        return guarded_view

    return decorate


def page(
    bp: Blueprint, rows: Sequence[Row], key: Callable[[Row], tuple[str | int, ...]], size: int = PAGE_SIZE
) -> tuple[list[Row], str | None]:
    """A page of ``rows`` (in ``key`` order) after the query's ``cursor``, ``limit`` long (``size`` when
    not given), and the cursor of the next page (None on the last). The cursor is the last row's key,
    so rows added or gone between two pages neither repeat nor shift the rest."""
    lang = language(bp)
    query = query_of(bp.current_request)
    limit = page_size(bp, size)
    ordered = sorted(rows, key=key)
    cursor = query.get("cursor") or None
    if cursor is not None:
        after = _cursor_key(cursor, lang)
        try:
            ordered = [row for row in ordered if key(row) > after]
        except TypeError:  # a key of another shape: not a cursor of this list
            raise InvalidFields({"cursor": t(lang, "search.bad_cursor")}) from None
    shown = ordered[:limit]
    more = len(ordered) > len(shown)
    return shown, _encode(key(shown[-1])) if more else None


def page_size(bp: Blueprint, size: int = PAGE_SIZE) -> int:
    """The query's ``limit``: 1 to ``MAX_PAGE_SIZE``, ``size`` when not given."""
    limit = query_of(bp.current_request).get("limit") or str(size)
    # isdecimal, not isdigit: "²" is a digit to str but not a number to int().
    if not limit.isdecimal() or not 1 <= int(limit) <= MAX_PAGE_SIZE:
        raise InvalidFields({"limit": t(language(bp), "error.api.limit", most=MAX_PAGE_SIZE)})
    return int(limit)


def _encode(key: tuple[str | int, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), ensure_ascii=False).encode()).decode().rstrip("=")


def _cursor_key(cursor: str, lang: str) -> tuple[str | int, ...]:
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(decoded, list) or not all(isinstance(v, str | int) for v in decoded):
            raise ValueError("not a key")
        return tuple(decoded)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidFields({"cursor": t(lang, "search.bad_cursor")}) from None


def parsed(
    parse: Callable[[dict[str, Any]], Model], data: dict[str, Any], fields: Callable[[ValidationError], dict[str, str]]
) -> Model:
    """``data`` read by a service's own parser (the archive's), its refusals as 400 with each field's words."""
    try:
        return parse(data)
    except ValidationError as error:
        raise InvalidFields(fields(error)) from None


def forbidden_unless(allowed: bool) -> None:
    """A check finer than the operation's roles (a technician's own job, the approver the flow waits for)."""
    if not allowed:
        raise Forbidden()
