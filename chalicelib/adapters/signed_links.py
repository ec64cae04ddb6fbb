"""Signed, expiring links (JWT, HS256) for people who act from a message without signing in."""

from __future__ import annotations

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
