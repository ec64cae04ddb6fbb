"""Staff sign-in, sign-out, and the guard every staff route wears.

The ID token travels in an HttpOnly, SameSite=Lax cookie for pages (so a form on another site cannot
post with it) or as ``Authorization: Bearer`` for the API. It is verified on every request; a
customer's tracking token is a different thing entirely and never passes here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib import wiring
from chalicelib.adapters.cognito import (
    BadCode,
    BadCredentials,
    InvalidToken,
    MfaCodeRequired,
    MfaSetupRequired,
    NewPasswordRequired,
    SessionExpired,
    SignedIn,
)
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.i18n import t
from chalicelib.settings import get_settings
from chalicelib.web.errors import guarded
from chalicelib.web.forms import query_of, read_form
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
COOKIE = "sd_staff"
View = TypeVar("View", bound=Callable[..., Any])
_current: ContextVar[StaffUser | None] = ContextVar("current_staff", default=None)

OFFICE = frozenset({StaffRole.DESK, StaffRole.SUPERVISOR, StaffRole.ADMIN})


class Forbidden(Exception):
    """Signed in, but this role (or this technician) may not do this."""


def current_staff() -> StaffUser:
    user = _current.get()
    if user is None:
        raise RuntimeError("current_staff() outside a staff_only view")
    return user


def staff_only(bp: Blueprint, *roles: StaffRole) -> Callable[[View], View]:
    """Only signed-in staff holding one of ``roles`` (any role if none given) get through."""
    allowed = frozenset(roles)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = bp.current_request
            token = _token_of(request)
            try:
                user = wiring.services().staff_tokens.verify(token) if token else None
            except InvalidToken:
                user = None
            if user is None:
                return _sign_in_first(request)
            if allowed and not user.has_any(allowed):
                return forbidden(request)
            reset = _current.set(user)
            try:
                return view(*args, **kwargs)
            except Forbidden:
                return forbidden(request)
            finally:
                _current.reset(reset)

        return wrapper  # type: ignore[return-value]

    return decorate


def forbidden(request: Request) -> Response:
    lang = language_of(request)
    if request.path.startswith("/api"):
        return Response(body={"error": "forbidden", "message": t(lang, "auth.forbidden")}, status_code=403)
    return render(request, "message.html", status=403, heading=t(lang, "auth.forbidden.title"),
                  message=t(lang, "auth.forbidden"))


def _token_of(request: Request) -> str | None:
    header = request.headers.get("authorization") or ""
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    for part in (request.headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value
    return None


def _sign_in_first(request: Request) -> Response:
    lang = language_of(request)
    if request.path.startswith("/api"):
        return Response(body={"error": "unauthenticated", "message": t(lang, "auth.required")}, status_code=401)
    return Response(
        body="", status_code=303, headers={"Location": f"{_root()}/staff/sign-in?next={quote(_page_path(request))}"}
    )


def _page_path(request: Request) -> str:
    """The page asked for, as the app's routes name it, with its query.

    On API Gateway's own domain ``requestContext.path`` starts with the stage (``/prod/staff/queue``);
    the event's top-level ``path`` never does. Chalice's local gateways give only the former."""
    path = str(request.to_original_event().get("path") or (request.context or {}).get("path") or "/staff")
    query = urlencode(request.query_params or {})
    return f"{path}?{query}" if query else path


def _root() -> str:
    return urlsplit(get_settings().public_base_url).path.rstrip("/")


MAX_NEXT = 2000


def _safe_next(value: str | None) -> str:
    """Only our own staff pages: a sign-in link must not bounce people to another site."""
    if (value and (value == "/staff" or value.startswith("/staff/")) and "//" not in value and "\\" not in value
            and len(value) <= MAX_NEXT and value.isprintable()):  # a line break would split the Location header
        return value
    return "/staff"


def _cookie(token: str, max_age: int) -> str:
    secure = "; Secure" if get_settings().public_base_url.startswith("https://") else ""
    return f"{COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"


def _signed_in(result: SignedIn, next_path: str) -> Response:
    return Response(body="", status_code=303,
                    headers={"Location": f"{_root()}{next_path}", "Set-Cookie": _cookie(result.id_token, result.expires_in)})


# GET and POST are separate routes: the dev server refuses a GET on a route that names content types.
@blueprint.route("/staff/sign-in", methods=["GET"])
@guarded(blueprint)
def sign_in_page() -> Response:
    request = blueprint.current_request
    query = query_of(request)
    return render(request, "sign_in.html", next=_safe_next(query.get("next")), error=None, username="")


@blueprint.route("/staff/sign-in", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
def sign_in() -> Response:
    """One form, several steps: password, then (first time) a new password and enrolling an
    authenticator app, or (later) the app's code. Each step carries Cognito's session to the next."""
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body)
    next_path = _safe_next(form.get("next"))
    username = str(form.get("username", "")).strip()[:128]
    session = str(form.get("session", ""))[:4096]
    step = str(form.get("step") or ("new_password" if session else "password"))
    code = "".join(str(form.get("code", "")).split())[:10]
    sign_in_service = wiring.services().staff_sign_in

    def page(template: str, status: int = 200, **context: Any) -> Response:
        return render(request, template, status=status, next=next_path, username=username, **context)

    try:
        if step == "new_password":
            result = sign_in_service.set_new_password(username, session, str(form.get("new_password", "")))
        elif step == "mfa_setup":
            result = sign_in_service.finish_mfa_setup(username, session, code)
        elif step == "mfa":
            result = sign_in_service.answer_mfa(username, session, code)
        else:
            result = sign_in_service.sign_in(username, str(form.get("password", ""))[:256])
    except NewPasswordRequired as challenge:
        return page("sign_in.html", error=None, session=challenge.session)
    except MfaSetupRequired as challenge:
        enrolment = sign_in_service.start_mfa_setup(challenge.session)
        return page("mfa.html", step="mfa_setup", session=enrolment.session, secret=enrolment.secret,
                    qr_svg=authenticator_qr(lang, username, enrolment.secret), error=None)
    except MfaCodeRequired as challenge:
        return page("mfa.html", step="mfa", session=challenge.session, error=None)
    except BadCode:
        secret = str(form.get("secret", ""))[:128]
        qr_svg = authenticator_qr(lang, username, secret) if step == "mfa_setup" and secret else None
        return page("mfa.html", status=401, step=step, session=session, secret=secret, qr_svg=qr_svg,
                    error=t(lang, "auth.mfa.bad_code"))
    except SessionExpired:
        return page("sign_in.html", status=401, error=t(lang, "auth.mfa.expired"), session=None)
    except BadCredentials:
        error = t(lang, "auth.bad_new_password") if step == "new_password" else t(lang, "auth.bad_credentials")
        return page("sign_in.html", status=401, error=error, session=session if step == "new_password" else None)
    return _signed_in(result, next_path)


def authenticator_qr(lang: str, username: str, secret: str) -> str:
    """The enrolment as a QR code (inline SVG) that authenticator apps scan (the otpauth URI format)."""
    import segno  # only the first sign-in of each person needs it

    issuer = t(lang, "app.title")
    uri = f"otpauth://totp/{quote(issuer)}:{quote(username)}?{urlencode({'secret': secret, 'issuer': issuer})}"
    return str(segno.make(uri, error="m").svg_inline(scale=5, omitsize=False))


@blueprint.route("/staff/sign-out", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
def sign_out() -> Response:
    return Response(body="", status_code=303,
                    headers={"Location": f"{_root()}/staff/sign-in", "Set-Cookie": _cookie("", 0)})
