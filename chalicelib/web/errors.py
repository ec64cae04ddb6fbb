"""Domain and input errors become HTTP answers here, in one place: JSON under /api, pages elsewhere.

Nothing a visitor sends may produce a 500; anything unexpected is logged with its traceback and
answered with a calm message that says nothing entered was lost (the ticket write is atomic).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.i18n import normalize_language, t
from chalicelib.services.intake import TooManyReports
from chalicelib.services.ports import KeyReused, StillInProgress
from chalicelib.web.forms import BadRequest, InvalidFields, query_of
from chalicelib.web.rendering import language_of, render

logger = Logger(child=True)
ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])


def guarded(blueprint: Blueprint) -> Callable[[ViewFunction], ViewFunction]:
    """Wrap a view so its errors are answered here. (Chalice turns any exception raised inside a view
    into a bare 500 before middleware sees it, so this has to sit on the view itself.)"""

    def decorate(view: ViewFunction) -> ViewFunction:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return _answer_errors(blueprint.current_request, lambda: view(*args, **kwargs))

        return wrapper  # type: ignore[return-value]

    return decorate


def _answer_errors(event: Request, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except BadRequest as error:
        return answer(event, error.status, error.code)
    except InvalidFields as error:
        return answer(event, 400, "invalid", error.fields)
    except KeyReused:
        return answer(event, 422, "idempotency_mismatch")
    except StillInProgress:
        return answer(event, 409, "in_progress")
    except TooManyReports as error:
        lang = _api_language(event) if event.path.startswith("/api") else language_of(event)
        response = answer(event, 429, "too_many_reports", message=too_many_reports(lang, error))
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except Exception:
        logger.exception("unhandled error", extra={"path": event.path, "method": event.method})
        return answer(event, 500, "server")


def too_many_reports(lang: str, error: TooManyReports) -> str:
    return t(lang, f"error.too_many_reports.{error.scope}", minutes=-(-error.retry_after // 60), most=error.most)


def _api_language(event: Request) -> str:
    return normalize_language(query_of(event).get("lang") or event.headers.get("accept-language"))


def answer(
    event: Request, status: int, code: str, fields: dict[str, str] | None = None, *, message: str | None = None
) -> Response:
    """``message``: the words to show, when ``code`` alone does not say them (they carry values)."""
    if event.path.startswith("/api"):
        lang = _api_language(event)
        message = message or (t(lang, f"error.{code}") if code != "invalid" else t(lang, "form.errors"))
        return Response(
            body={"error": code, "message": message, "fields": fields or {}}, status_code=status
        )
    lang = language_of(event)
    return render(event, "message.html", status=status, heading=t(lang, "app.title"),
                  message=message or (t(lang, f"error.{code}") if code != "invalid" else t(lang, "form.errors")))
