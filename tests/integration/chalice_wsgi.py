"""The app as a WSGI application, through the same local gateway ``chalice local`` puts in front of it
(the API Gateway event it builds, its 403/405 for unrouted requests), for tools that drive a WSGI app
such as schemathesis."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException


class ChaliceWsgi:
    def __init__(self, app: Any) -> None:
        self._gateway = LocalGateway(app, Config(chalice_stage="local"))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # The path as sent (still percent-encoded), so a path parameter with a / stays one parameter.
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO") or "/")
        if "?" not in path and environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {
            name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        try:
            response = self._gateway.handle_request(
                method=environ["REQUEST_METHOD"], path=path, headers=headers, body=body
            )
        except LocalGatewayException as refused:
            start_response(_status(refused.CODE), list(refused.headers.items()))
            return [refused.body or b""]
        payload = response.get("body") or b""
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(payload)
        elif isinstance(payload, str):
            payload = payload.encode("utf-8")
        sent = [(name, str(value)) for name, value in response["headers"].items()]
        sent += [
            (name, str(value)) for name, values in response.get("multiValueHeaders", {}).items() for value in values
        ]
        start_response(_status(response["statusCode"]), sent)
        return [payload]


def _status(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"
