"""Domain and input errors become HTTP answers here, in one place: JSON under /api, pages elsewhere.

``RULES`` is the one table of the services' refusals: the status, a stable code and the words. A page
that shows its form again with the words (and keeps what was typed) catches ``refusals(...)`` and asks
``refusal``; where a page or a move says a refusal in its own words, its variant of the table is here
too (``on_ticket_page``, ``TRACKING_PAGE``, ``OVERTIME_DECISION``) and is looked up first.

Nothing a visitor sends may produce a 500; anything unexpected is logged with its traceback and
answered with a calm message that says nothing entered was lost (the ticket write is atomic).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.domain.billing import BillingError, ReasonDoesNotFit
from chalicelib.domain.closure import IllegalClosureMove
from chalicelib.domain.complaints import ComplaintRuleBroken, StepNotAllowed
from chalicelib.domain.loaners import LoanerError, UnknownLoaner
from chalicelib.domain.overtime import AlreadyDecided, UnknownVisit
from chalicelib.domain.paid_work import PaidWorkNotApproved
from chalicelib.domain.parts import PartsError, UnknownRequisition
from chalicelib.domain.permissions import NotPermitted
from chalicelib.domain.plans import UnknownPlan
from chalicelib.domain.ticket import IllegalTransition
from chalicelib.i18n import normalize_language, t
from chalicelib.services.aftercare import InvalidCallback, InvalidSchedule, UnknownCallback
from chalicelib.services.aftercare import UnknownProduct as UnknownScheduledProduct
from chalicelib.services.archive import CustomerExists, UnknownCustomer, UnknownProduct
from chalicelib.services.complaints import NotAComplaint
from chalicelib.services.desk import UnknownTicket
from chalicelib.services.field_work import NotYourJob
from chalicelib.services.intake import PhotoRejected, TooManyReports
from chalicelib.services.ports import KeyReused, SerialTaken, StaleRecord, StaleTicket, StillInProgress
from chalicelib.services.queue import UnknownTechnician
from chalicelib.services.tracking import UnknownTrackingToken
from chalicelib.settings import get_settings
from chalicelib.web.forms import BadRequest, InvalidFields, query_of
from chalicelib.web.rendering import language_of, render

logger = Logger(child=True)
ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])


def guarded(blueprint: Blueprint, own: Rules = ()) -> Callable[[ViewFunction], ViewFunction]:
    """Wrap a view so its errors are answered here (``own``: the view's variant of ``RULES``, looked up
    first). Chalice turns any exception raised inside a view into a bare 500 before middleware sees it,
    so this has to sit on the view itself."""

    def decorate(view: ViewFunction) -> ViewFunction:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return _answer_errors(blueprint.current_request, lambda: view(*args, **kwargs), own)

        return wrapper  # type: ignore[return-value]

    return decorate


def _answer_errors(event: Request, call: Callable[[], Any], own: Rules = ()) -> Any:
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
    except refusals(own) as error:
        # A rule the view did not answer itself (a page shows its form again with the words instead).
        refused = refusal(error, _language(event), own)
        response = answer(event, refused.status, refused.code, refused.fields or None, message=refused.message,
                          heading=refused.heading)
        response.headers.update(refused.headers)
        return response
    except Exception:
        logger.exception("unhandled error", extra={"path": event.path, "method": event.method})
        return answer(event, 500, "server")


def too_many_reports(lang: str, error: TooManyReports) -> str:
    return t(lang, f"error.too_many_reports.{error.scope}", minutes=-(-error.retry_after // 60), most=error.most)


def _language(event: Request) -> str:
    return _api_language(event) if event.path.startswith("/api") else language_of(event)


def _api_language(event: Request) -> str:
    return normalize_language(query_of(event).get("lang") or event.headers.get("accept-language"))


def answer(
    event: Request, status: int, code: str, fields: dict[str, str] | None = None, *, message: str | None = None,
    heading: str | None = None,
) -> Response:
    """``message``: the words to show, when ``code`` alone does not say them (they carry values);
    ``heading``: a page's title above them (the app's name if none)."""
    if event.path.startswith("/api"):
        lang = _api_language(event)
        message = message or (t(lang, f"error.{code}") if code != "invalid" else t(lang, "form.errors"))
        return Response(
            body={"error": code, "message": message, "fields": fields or {}}, status_code=status
        )
    lang = language_of(event)
    return render(event, "message.html", status=status, heading=heading or t(lang, "app.title"),
                  message=message or (t(lang, f"error.{code}") if code != "invalid" else t(lang, "form.errors")))


# -- the services' refusals ------------------------------------------------------------------------


class Refusal(Exception):
    """A rule's refusal as the caller is answered: ``status``, a stable ``code`` and the words for people
    (``fields``: the form fields it is about; ``headers``: sent with the answer, e.g. Retry-After;
    ``heading``: a page's title above the words)."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None, heading: str | None = None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}
        self.heading = heading

    @property
    def form_errors(self) -> dict[str, str]:
        """The words next to the fields they are about, or above the form (``_form``)."""
        return self.fields or {"_form": self.message}


def problem(http_status: int, code: str, lang: str, key: str | None = None, **values: Any) -> Refusal:
    return Refusal(http_status, code, t(lang, key or f"error.api.{code}", **values))


def _not_found(lang: str) -> Refusal:
    return problem(404, "not_found", lang)


Rule = Callable[[Any, str], Refusal]
Rules = Sequence[tuple[type[Exception], Rule]]

# The rules' refusals, most specific first: (what a service raised, how the API and the pages answer it).
RULES: list[tuple[type[Exception], Rule]] = [
    (UnknownTicket, lambda e, lang: problem(404, "ticket_not_found", lang)),
    (NotAComplaint, lambda e, lang: problem(404, "not_a_complaint", lang, "complaints.not_found")),
    (UnknownCustomer, lambda e, lang: _not_found(lang)),
    (UnknownProduct, lambda e, lang: _not_found(lang)),
    (
        UnknownScheduledProduct,
        lambda e, lang: Refusal(
            400, "invalid", t(lang, "form.errors"), {"serial_number": t(lang, "aftercare.error.unknown_product")}
        ),
    ),
    (UnknownCallback, lambda e, lang: problem(404, "callback_not_found", lang, "aftercare.error.no_task")),
    (UnknownRequisition, lambda e, lang: problem(404, e.code, lang, f"billing.error.{e.code}")),
    (UnknownLoaner, lambda e, lang: problem(404, e.code, lang, f"billing.error.{e.code}")),
    (NotYourJob, lambda e, lang: problem(404, "ticket_not_found", lang)),
    (BillingError, lambda e, lang: problem(409, e.code, lang, f"billing.error.{e.code}")),
    (PartsError, lambda e, lang: problem(409, e.code, lang, f"billing.error.{e.code}")),
    (LoanerError, lambda e, lang: problem(409, e.code, lang, f"billing.error.{e.code}")),
    (StepNotAllowed, lambda e, lang: problem(403, "forbidden", lang, "auth.forbidden")),
    (NotPermitted, lambda e, lang: problem(403, "forbidden", lang, "auth.forbidden")),
    (UnknownTrackingToken, lambda e, lang: problem(404, "not_found", lang, "error.not_found.tracking")),
    (UnknownVisit, lambda e, lang: problem(404, "overtime_unknown", lang, "tech.error.not_found")),
    (AlreadyDecided, lambda e, lang: problem(409, "overtime_decided", lang, "approvals.overtime.decided")),
    (UnknownPlan, lambda e, lang: _invalid(lang, {"plan": t(lang, "error.choice_invalid")})),
    (
        UnknownTechnician,
        lambda e, lang: _invalid(lang, {"technicians": t(lang, "sup.error.not_technician", names=", ".join(e.names))}),
    ),
    (ComplaintRuleBroken, lambda e, lang: problem(409, e.code, lang, f"complaints.error.{e.code}")),
    (IllegalTransition, lambda e, lang: problem(409, "move_illegal", lang, status=t(lang, f"status.{e.status.value}"))),
    (IllegalClosureMove, lambda e, lang: problem(409, e.code, lang, f"tech.error.{e.code}")),
    (PaidWorkNotApproved, lambda e, lang: problem(409, "paid_work", lang)),
    (StaleTicket, lambda e, lang: problem(409, "stale", lang)),
    (StaleRecord, lambda e, lang: problem(409, "stale_record", lang, "archive.error.stale")),
    (
        CustomerExists,
        lambda e, lang: Refusal(
            409,
            "customer_exists",
            t(lang, "archive.error.customer_exists"),
            {"customer_id": t(lang, "archive.error.customer_exists")},
        ),
    ),
    (
        SerialTaken,
        lambda e, lang: Refusal(
            409,
            "serial_taken",
            t(lang, "archive.error.serial_taken"),
            {"serial_number": t(lang, "archive.error.serial_taken")},
        ),
    ),
    (InvalidCallback, lambda e, lang: _invalid(lang, _aftercare_codes(e.problems, lang))),
    (InvalidSchedule, lambda e, lang: _invalid(lang, _aftercare_codes(e.problems, lang))),
    # A photo a report names that is not an uploaded, checked photo (the desk's complaint by API, too).
    (PhotoRejected, lambda e, lang: _photo_rejected(e, lang)),
    (
        TooManyReports,
        lambda e, lang: Refusal(429, "too_many_reports", too_many_reports(lang, e),
                                headers={"Retry-After": str(e.retry_after)}),
    ),
]
REFUSALS = tuple(kind for kind, _ in RULES)

# -- variants: a page's or a move's own words for some refusals, looked up before RULES ----------------

# The office's ticket moves, on the ticket page and as the staff API's moves of the same names: a paid job
# without a fitting reason is the classify form's field (on the quote page it is a rule of the paperwork).
TICKET_MOVES: Rules = (
    (ReasonDoesNotFit, lambda e, lang: _invalid(lang, {"billing_reason": t(lang, "sup.error.billing_reason")})),
)


def on_ticket_page(move: str) -> Rules:
    """The ticket page names the move that could not be done (``move``: its form's name)."""
    return (
        *TICKET_MOVES,
        (
            IllegalTransition,
            lambda e, lang: Refusal(409, "move_illegal", t(lang, "sup.error.illegal", action=t(lang, f"sup.action.{move}"),
                                                          status=t(lang, f"status.{e.status.value}"))),
        ),
        (StaleTicket, lambda e, lang: problem(409, "stale", lang, "sup.error.stale")),
    )


def _photo_rejected(error: PhotoRejected, lang: str) -> Refusal:
    _, name, rejected = error.problems[0]
    mb = get_settings().max_photo_bytes // 2**20
    return _invalid(lang, {"photos": t(lang, f"error.{rejected.value}", name=name, mb=mb)})


# The customer's tracking page and its additions: said as the page says them to the customer.
TRACKING_PAGE: Rules = (
    (
        UnknownTrackingToken,
        lambda e, lang: Refusal(404, "not_found", t(lang, "error.not_found.tracking"), heading=t(lang, "error.not_found")),
    ),
    (PhotoRejected, _photo_rejected),
    (
        TooManyReports,
        lambda e, lang: Refusal(429, "too_many_reports",
                                t(lang, f"track.add.limit.{e.scope}", most=e.most, minutes=-(-e.retry_after // 60)),
                                headers={"Retry-After": str(e.retry_after)}),
    ),
    (IllegalTransition, lambda e, lang: problem(409, "closed", lang, "track.add.closed")),
    (StaleTicket, lambda e, lang: problem(409, "stale", lang, "sup.error.stale")),
)

# The archive's pages: a customer or product not (or no longer) in the archive.
def _not_in_archive(error: Exception, lang: str) -> Refusal:
    return Refusal(404, "not_found", t(lang, "archive.error.not_found"), heading=t(lang, "archive.title"))


ARCHIVE_PAGES: Rules = ((UnknownCustomer, _not_in_archive), (UnknownProduct, _not_in_archive))

# A visit outside working time decided meanwhile: the job moved on, or someone else decided it.
OVERTIME_DECISION: Rules = (
    (IllegalTransition, lambda e, lang: problem(409, "overtime_decided", lang, "approvals.overtime.decided")),
)


def _invalid(lang: str, fields: dict[str, str]) -> Refusal:
    return Refusal(400, "invalid", t(lang, "form.errors"), fields)


def _aftercare_codes(problems: dict[str, str], lang: str) -> dict[str, str]:
    return {
        field: t(lang, "error.required") if code == "required" else t(lang, f"aftercare.error.{code}")
        for field, code in problems.items()
    }


def refusals(own: Rules = ()) -> tuple[type[Exception], ...]:
    """What ``refusal`` answers, for an ``except`` clause."""
    return (*(kind for kind, _ in own), *REFUSALS)


def refusal(error: Exception, lang: str, own: Rules = ()) -> Refusal:
    """How ``error`` is answered: by ``own`` (a page's variant) if it says, else by ``RULES``."""
    for kind, answer in (*own, *RULES):
        if isinstance(error, kind):
            return answer(error, lang)
    raise error
