"""The administrator's webhooks page: subscribe a receiver's URL to ticket events, remove it, and read
its delivery log. The same operations as ``/api/v1/webhooks`` and ``python -m ops.webhooks``."""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from urllib.parse import quote, urlsplit

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.webhooks import (
    MIN_SECRET_LENGTH,
    MOST_SUBSCRIPTIONS,
    SECRET_PREFIX,
    SubscriptionRequest,
    WebhookEvent,
)
from chalicelib.i18n import t
from chalicelib.services.webhooks import TooManySubscriptions, UnknownSubscription, UnusableSecret
from chalicelib.settings import get_settings
from chalicelib.web.auth import current_staff, staff_only
from chalicelib.web.errors import guarded
from chalicelib.web.forms import InvalidFields, query_of, read_form, validate
from chalicelib.web.once import answered_once
from chalicelib.web.rendering import language_of, render

blueprint = Blueprint(__name__)
ADMINS = (StaffRole.ADMIN,)
FIELDS = ("name", "url", "events", "secret_name")
MAX_ID = 100
_FORM = ["application/x-www-form-urlencoded"]


def _page(status: int = 200, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> Response:
    request = blueprint.current_request
    done = query_of(request).get("done")
    return render(
        request,
        "staff_webhooks.html",
        status=status,
        subscriptions=[s.shown() for s in wiring.webhooks().subscriptions()],
        events=list(WebhookEvent),
        errors=errors or {},
        values=values or {"secret_name": SECRET_PREFIX},
        done=done if done in ("added", "removed") else None,
    )


def _see_other(path: str) -> Response:
    root = urlsplit(get_settings().public_base_url).path.rstrip("/")
    return Response(body="", status_code=303, headers={"Location": f"{root}{path}"})


@blueprint.route("/staff/webhooks", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
def webhooks_page() -> Response:
    return _page()


@blueprint.route("/staff/webhooks", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
@answered_once(blueprint)
def add_webhook() -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    form = read_form(request.raw_body, list_fields=frozenset({"events"}))
    values = {name: form.get(name, [] if name == "events" else "") for name in FIELDS}
    try:
        subscription = validate(SubscriptionRequest, values, lang)
        wiring.webhooks().register(subscription, actor=current_staff())
    except InvalidFields as invalid:
        return _page(400, invalid.fields, values)
    except UnusableSecret as unusable:
        message = t(lang, "error.api.webhook_secret", detail=str(unusable), min=MIN_SECRET_LENGTH)
        return _page(400, {"secret_name": message}, values)
    except TooManySubscriptions:
        return _page(400, {"url": t(lang, "error.api.webhook_too_many", most=MOST_SUBSCRIPTIONS)}, values)
    return _see_other(f"/staff/webhooks?done=added&lang={lang}")


@blueprint.route("/staff/webhooks/{subscription_id}/remove", methods=["POST"], content_types=_FORM)
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
@answered_once(blueprint)
def remove_webhook(subscription_id: str) -> Response:
    lang = language_of(blueprint.current_request)
    # Removed already (another admin, or this form sent twice): the list says so.
    with suppress(UnknownSubscription):
        wiring.webhooks().remove(subscription_id[:MAX_ID], actor=current_staff())
    return _see_other(f"/staff/webhooks?done=removed&lang={lang}")


@blueprint.route("/staff/webhooks/{subscription_id}", methods=["GET"])
@guarded(blueprint)
@staff_only(blueprint, *ADMINS)
def webhook_log(subscription_id: str) -> Response:
    request = blueprint.current_request
    lang = language_of(request)
    service = wiring.webhooks()
    try:
        subscription = service.get(subscription_id[:MAX_ID])
    except UnknownSubscription:
        return render(
            request,
            "message.html",
            status=404,
            heading=t(lang, "webhooks.title"),
            message=t(lang, "error.api.webhook_not_found"),
        )
    return render(
        request, "staff_webhook_log.html", subscription=subscription.shown(), attempts=service.log(subscription.id),
        quote=quote,
    )
