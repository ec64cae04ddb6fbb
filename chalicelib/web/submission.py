"""Submitting a report, shared by the HTML form and the JSON API: validation, idempotency, photos."""

from __future__ import annotations

from typing import Any

from chalicelib import wiring
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.ticket import Channel
from chalicelib.i18n import t
from chalicelib.services.intake import PhotoRejected, PublicOrigin
from chalicelib.settings import get_settings
from chalicelib.web.forms import InvalidFields, validate


def submit_report(
    data: dict[str, Any], *, lang: str, idempotency_key: str | None,
    staff: str | None = None, source_ip: str | None = None,
) -> dict[str, str]:
    """Returns ``number``, ``tracking_token`` and ``tracking_url``; raises ``InvalidFields``.

    ``staff``: the signed-in desk user typing in a request received by phone, fax, email or visit; the
    channel they chose is kept and they are the first event's actor. Customers always come in by web,
    from ``source_ip``, and are limited (``TooManyReports``); the desk is not.
    """
    request: ServiceRequestInput = validate(ServiceRequestInput, data, lang)
    if staff is None:
        request = request.model_copy(update={"channel": Channel.WEB})
    services = wiring.services()

    def work() -> dict[str, str]:
        try:
            receipt = services.intake.submit(request, language=lang, actor=staff or "customer",
                                             origin=None if staff else PublicOrigin(ip=source_ip),
                                             submission=idempotency_key)
        except PhotoRejected as rejected:
            mb = get_settings().max_photo_bytes // (1024 * 1024)
            _, name, problem = rejected.problems[0]
            raise InvalidFields({"photos": t(lang, f"error.{problem.value}", name=name, mb=mb)}) from None
        return {"number": receipt.number, "tracking_token": receipt.tracking_token, "tracking_url": receipt.tracking_url}

    if not idempotency_key:
        return work()
    # A desk user's key is his own: a key a customer (or another user) chose can never replay his entry.
    scope = f"intake:staff:{staff}" if staff else "intake"
    return services.idempotency.run(scope, idempotency_key, request.model_dump(mode="json"), work)


def source_ip(request: Any) -> str | None:
    """The caller's address as API Gateway saw it (the Chalice dev server fills in its own), never a
    header the caller could write."""
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "") or None
