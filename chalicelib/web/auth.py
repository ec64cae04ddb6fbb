"""Staff sign-in, sign-out, and the guard every staff route wears.

The ID token travels in an HttpOnly, SameSite=Lax cookie for pages (so a form on another site cannot
post with it) or as ``Authorization: Bearer`` for the API. It is verified on every request; a
customer's tracking token is a different thing entirely and never passes here.

The ID token lasts an hour; a technician's working day is longer. Sign-in also stores Cognito's
refresh token in its own HttpOnly cookie (sent to staff pages only), and a page whose ID token has
expired gets a fresh one from it silently. A form posted when even that is gone is not lost: the
sign-in page carries the posted fields, and after signing in they are posted again to the same step,
which returns to the page they came from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

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
REFRESH_COOKIE = "sd_staff_refresh"
# As long as the staff client's refresh tokens live (infra/stacks/service_desk.py); Cognito refuses
# one after that anyway, and then the page asks for a sign-in, keeping what was posted.
REFRESH_SECONDS = 30 * 24 * 3600
# A step posted after the session ended comes back through the sign-in form; the closure step carries
# a drawn signature (1 MB), percent-encoded once more inside the sign-in form.
MAX_REPLAY_BYTES = 3 * 1024 * 1024
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
            user = _verified(_token_of(request))
            renewed: SignedIn | None = None
            refresh_token = None if _bearer(request) else _cookie_of(request, REFRESH_COOKIE)
            if user is None and refresh_token:
                renewed = _renewed(refresh_token)
                user = _verified(renewed.id_token) if renewed else None
            if user is None:
                response = _sign_in_first(request)
                if refresh_token:  # refused by Cognito: stop sending it
                    _add_cookies(response, _refresh_cookie("", 0))
                return response
            if allowed and not user.has_any(allowed):
                return forbidden(request)
            reset = _current.set(user)
            try:
                response = view(*args, **kwargs)
            except Forbidden:
                response = forbidden(request)
            finally:
                _current.reset(reset)
            if renewed:
                response = _add_cookies(response, _cookie(renewed.id_token, renewed.expires_in))
            return response

        return wrapper  # type: ignore[return-value]

    return decorate


def forbidden(request: Request) -> Response:
    lang = language_of(request)
    if request.path.startswith("/api"):
        return Response(body={"error": "forbidden", "message": t(lang, "auth.forbidden")}, status_code=403)
    return render(request, "message.html", status=403, heading=t(lang, "auth.forbidden.title"),
                  message=t(lang, "auth.forbidden"))


def _verified(token: str | None) -> StaffUser | None:
    if not token:
        return None
    try:
        return wiring.services().staff_tokens.verify(token)
    except InvalidToken:
        return None


def _renewed(refresh_token: str) -> SignedIn | None:
    try:
        return wiring.services().staff_sign_in.renew(refresh_token)
    except InvalidToken:
        return None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization") or ""
    return (header[7:].strip() or None) if header.lower().startswith("bearer ") else None


def _cookie_of(request: Request, cookie: str) -> str | None:
    for part in (request.headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == cookie and value:
            return value
    return None


def _token_of(request: Request) -> str | None:
    return _bearer(request) or _cookie_of(request, COOKIE)


def _add_cookies(response: Any, *cookies: str) -> Response:
    """``response`` with ``cookies`` set besides any it already sets (a page may set its language)."""
    if not isinstance(response, Response):
        response = Response(body=response)
    existing = response.headers.get("Set-Cookie")
    kept = [] if existing is None else existing if isinstance(existing, list) else [existing]
    response.headers["Set-Cookie"] = [*kept, *cookies]
    return response


def _sign_in_first(request: Request) -> Response:
    lang = language_of(request)
    if request.path.startswith("/api"):
        return Response(body={"error": "unauthenticated", "message": t(lang, "auth.required")}, status_code=401)
    if request.method == "GET":
        return _to_sign_in(_page_path(request))
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/json":
        # A page's script (an upload): it says so where the technician is looking, and nothing is lost.
        return Response(body={"error": "unauthenticated", "message": t(lang, "auth.expired")}, status_code=401)
    if content_type == "application/x-www-form-urlencoded" and _posted_by_our_page(request):
        # Redirecting would lose the form (and land on an address that only takes POST).
        body = request.raw_body or b""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        return render(request, "sign_in.html", status=401, next="/staff", error=t(lang, "auth.expired.keep"),
                      username="", replay_to=_page_path(request), replay_body=text)
    return _to_sign_in("/staff")


def _to_sign_in(next_path: str) -> Response:
    return Response(body="", status_code=303, headers={"Location": f"{_root()}/staff/sign-in?next={quote(next_path)}"})


def _posted_by_our_page(request: Request) -> bool:
    """Only a form posted from our own page is kept to be posted again after sign-in: another site's
    form must not ride along on someone's next sign-in. Our pages send no Referer and so a null Origin;
    browsers say where a request came from in Sec-Fetch-Site."""
    site = request.headers.get("sec-fetch-site")
    if site:
        return site == "same-origin"
    origin = urlsplit(request.headers.get("origin") or "").netloc.lower()
    return bool(origin) and origin in {(request.headers.get("host") or "").lower(),
                                       urlsplit(get_settings().public_base_url).netloc.lower()}


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


def _secure() -> str:
    return "; Secure" if get_settings().public_base_url.startswith("https://") else ""


def _cookie(token: str, max_age: int) -> str:
    return f"{COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{_secure()}"


def _refresh_cookie(token: str, max_age: int) -> str:
    # Staff pages only: the customer's pages and the API never need it.
    return f"{REFRESH_COOKIE}={token}; Path={_root()}/staff; Max-Age={max_age}; HttpOnly; SameSite=Lax{_secure()}"


def _session_cookies(result: SignedIn) -> list[str]:
    cookies = [_cookie(result.id_token, result.expires_in)]
    if result.refresh_token:
        cookies.append(_refresh_cookie(result.refresh_token, REFRESH_SECONDS))
    return cookies


def _signed_in(request: Request, result: SignedIn, next_path: str, replay_to: str, replay_body: str) -> Response:
    fields = _replay_fields(replay_to, replay_body)
    if fields is not None:
        # The step posted when the session had ended, posted again now (replay.js; a button without it).
        response = render(request, "replay.html", action=f"{_root()}{replay_to}", fields=fields)
        return _add_cookies(response, *_session_cookies(result))
    return Response(body="", status_code=303,
                    headers={"Location": f"{_root()}{next_path}", "Set-Cookie": _session_cookies(result)})


def _replay_fields(replay_to: str, replay_body: str) -> list[tuple[str, str]] | None:
    if not replay_to or _safe_next(replay_to) != replay_to or replay_to.startswith("/staff/sign-"):
        return None
    try:
        return parse_qsl(replay_body, keep_blank_values=True, max_num_fields=100)
    except ValueError:
        return None


# GET and POST are separate routes: the dev server refuses a GET on a route that names content types.
@blueprint.route("/staff/sign-in", methods=["GET"])
@guarded(blueprint)
def sign_in_page() -> Response:
    request = blueprint.current_request
    query = query_of(request)
    return render(request, "sign_in.html", next=_safe_next(query.get("next")), error=None, username="",
                  replay_to="", replay_body="")


@blueprint.route("/staff/sign-in", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
def sign_in() -> Response:
    """One form, several steps: password, then (first time) a new password and enrolling an
    authenticator app, or (later) the app's code. Each step carries Cognito's session to the next."""
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body, max_bytes=MAX_REPLAY_BYTES)
    next_path = _safe_next(form.get("next"))
    replay_to = str(form.get("replay_to", ""))[:MAX_NEXT]
    replay_body = str(form.get("replay_body", ""))
    username = str(form.get("username", "")).strip()[:128]
    session = str(form.get("session", ""))[:4096]
    step = str(form.get("step") or ("new_password" if session else "password"))
    code = "".join(str(form.get("code", "")).split())[:10]
    sign_in_service = wiring.services().staff_sign_in

    def page(template: str, status: int = 200, **context: Any) -> Response:
        return render(request, template, status=status, next=next_path, username=username,
                      replay_to=replay_to, replay_body=replay_body, **context)

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
    return _signed_in(request, result, next_path, replay_to, replay_body)


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
                    headers={"Location": f"{_root()}/staff/sign-in",
                             "Set-Cookie": [_cookie("", 0), _refresh_cookie("", 0)]})
