"""``/local/oauth2/token``: the pool's token endpoint for integrations on the local stack (moto has
none), answering as Cognito's does; 404 outside local mode."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from chalice import Blueprint, Response

from chalicelib.adapters.local_tokens import ACCESS_TOKEN_SECONDS, LocalTokenIssuer, TokenRefused
from chalicelib.settings import get_settings
from chalicelib.web.errors import guarded
from chalicelib.web.forms import read_form

blueprint = Blueprint(__name__)


@blueprint.route("/local/oauth2/token", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@guarded(blueprint)
def token() -> Response:
    settings = get_settings()
    if not settings.local_mode or not settings.cognito_user_pool_id:
        return Response(body={"error": "not_found"}, status_code=404)
    request = blueprint.current_request
    form = read_form(request.raw_body)
    client_id, client_secret = _basic(request.headers.get("authorization") or "")
    client_id = client_id or str(form.get("client_id", ""))
    client_secret = client_secret or str(form.get("client_secret", ""))
    if form.get("grant_type") != "client_credentials":
        return Response(body={"error": "unsupported_grant_type"}, status_code=400)
    issuer = LocalTokenIssuer(region=settings.cognito_region, user_pool_id=settings.cognito_user_pool_id)
    try:
        access_token = issuer.issue(client_id[:128], client_secret[:256], str(form.get("scope", ""))[:2000])
    except TokenRefused as refused:
        return Response(body={"error": refused.error}, status_code=400)
    return Response(
        body={"access_token": access_token, "expires_in": ACCESS_TOKEN_SECONDS, "token_type": "Bearer"},
        headers={"Cache-Control": "no-store"},
    )


def _basic(header: str) -> tuple[str, str]:
    if not header.lower().startswith("basic "):
        return "", ""
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)
