"""Local stand-in only: Cognito's token endpoint for integrations (the client-credentials grant), which
moto does not serve. It checks the app client as Cognito would (its secret, the grant allowed, the
scopes asked for among its own) and signs the access token with the stand-in's key, the one its JWKS
publishes, so the app verifies it exactly as it verifies a real pool's tokens. Never on AWS: the
route refuses outside local mode, and moto (a development package) holds the key.
"""

from __future__ import annotations

import gzip
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import ClientError, ParamValidationError

from chalicelib.adapters.aws import client

ACCESS_TOKEN_SECONDS = 3600


@dataclass(frozen=True)
class TokenRefused(Exception):
    """An OAuth error code as Cognito answers it: invalid_client, unauthorized_client, invalid_scope."""

    error: str


class LocalTokenIssuer:
    def __init__(self, *, region: str, user_pool_id: str):
        self._region = region
        self._pool = user_pool_id

    def issue(self, client_id: str, client_secret: str, scope: str) -> str:
        if not client_id or not client_secret:
            raise TokenRefused("invalid_client")
        try:
            found = client("cognito-idp").describe_user_pool_client(UserPoolId=self._pool, ClientId=client_id)
        except (ClientError, ParamValidationError) as error:  # not one of the pool's clients, or not an id
            raise TokenRefused("invalid_client") from error
        app_client = found["UserPoolClient"]
        # As bytes: compare_digest refuses str with letters beyond ASCII, and a caller may send any.
        known = str(app_client.get("ClientSecret") or "").encode()
        if not hmac.compare_digest(known, client_secret.encode()) or not client_secret:
            raise TokenRefused("invalid_client")
        if "client_credentials" not in app_client.get("AllowedOAuthFlows", []):
            raise TokenRefused("unauthorized_client")
        allowed = list(app_client.get("AllowedOAuthScopes", []))
        asked = scope.split() or allowed  # Cognito grants every allowed scope when none is asked for
        if not asked or set(asked) - set(allowed):
            raise TokenRefused("invalid_scope")
        now = int(time.time())
        claims = {
            "sub": client_id,
            "client_id": client_id,
            "token_use": "access",
            "scope": " ".join(asked),
            "iss": f"https://cognito-idp.{self._region}.amazonaws.com/{self._pool}",
            "version": 2,
            "auth_time": now,
            "iat": now,
            "exp": now + ACCESS_TOKEN_SECONDS,
            "jti": str(uuid.uuid4()),
        }
        import jwt  # with cryptography: loaded by the first token, not when the app starts

        private = _stand_in_key()
        key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(private))
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": private["kid"]})  # type: ignore[arg-type]


def _stand_in_key() -> dict[str, str]:
    from moto.cognitoidp import models  # the stand-in's own signing key (a development package)

    path = Path(models.__file__).parent / "resources" / "jwks-private.json.gz"
    return dict(json.loads(gzip.decompress(path.read_bytes())))
