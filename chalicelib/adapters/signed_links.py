"""Signed links: expiring ones (JWT, HS256) for people who act from a message without signing in, and
lasting ones for the QR codes printed on products."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from chalicelib.services.ports import BadLink

_AUDIENCE = "service-desk-link"


class JwtLinkSigner:
    def __init__(self, secret: str | Callable[[], str]):
        # A callable is asked on every use, so a secret read from Secrets Manager may change.
        self._secret = secret if callable(secret) else lambda: secret

    def sign(self, claims: dict[str, Any], expires_in: timedelta) -> str:
        payload = {**claims, "aud": _AUDIENCE, "exp": datetime.now(UTC) + expires_in}
        return jwt.encode(payload, self._secret(), algorithm="HS256")

    def verify(self, token: str) -> dict[str, Any]:
        try:
            return dict(jwt.decode(token, self._secret(), algorithms=["HS256"], audience=_AUDIENCE))
        except jwt.PyJWTError as error:
            raise BadLink(str(error)) from error

    def expiry(self, token: str) -> datetime | None:
        """When a live token we signed expires; None for anything else (a tracking token, a number)."""
        try:
            return datetime.fromtimestamp(self.verify(token)["exp"], UTC)
        except BadLink:
            return None


_LABEL_CONTEXT = b"product-label\x00"
_LABEL_ID = re.compile(r"^[A-Za-z0-9_-]{16,43}$")
_SIGNATURE_BYTES = 12  # 96 bits: guessing one is hopeless, and the printed code stays small


class HmacLabelSigner:
    """Signs nameplate label ids (``<id>.<signature>``). Unlike the links above these never expire: a
    label is withdrawn in the table instead. Rotating the secret makes every printed label unreadable."""

    def __init__(self, secret: str | Callable[[], str]):
        self._secret = secret if callable(secret) else lambda: secret

    def _signature(self, label_id: str) -> str:
        digest = hmac.new(self._secret().encode(), _LABEL_CONTEXT + label_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_SIGNATURE_BYTES]).decode().rstrip("=")

    def sign(self, label_id: str) -> str:
        return f"{label_id}.{self._signature(label_id)}"

    def verify(self, token: str) -> str:
        """The label id a token carries; ``BadLink`` if it is not one we signed."""
        label_id, _, signature = token.partition(".")
        # As bytes: compare_digest refuses str with letters beyond ASCII, which anyone can put in a URL.
        expected = self._signature(label_id).encode()
        if not _LABEL_ID.match(label_id) or not hmac.compare_digest(signature.encode(), expected):
            raise BadLink("not a label we signed")
        return label_id
