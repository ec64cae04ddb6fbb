"""The stand-in serves stored files with the headers the CloudFront distribution adds on AWS.

On AWS browsers fetch photos and forms through the stage's distribution, whose response headers policy
adds ``X-Content-Type-Options: nosniff`` and a Content-Security-Policy that runs and frames nothing
(infra/stacks/service_desk.py; ``tests/infra`` keeps the two in step). Locally the links are presigned
S3 links to the stand-in, and this middleware adds the same to their answers, so a file that is also
HTML behaves here as it will there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

STORED_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# Every link the app hands out for a stored file names the type it is to be served as.
_DOWNLOAD_MARK = "response-content-type="


class StoredFileHeaders:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or _DOWNLOAD_MARK not in environ.get(
            "QUERY_STRING", ""
        ):
            return self.app(environ, start_response)

        def with_headers(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            names = {name.lower() for name in STORED_FILE_HEADERS}
            kept = [(name, value) for name, value in headers if name.lower() not in names]
            return start_response(status, kept + list(STORED_FILE_HEADERS.items()), exc_info)

        return self.app(environ, with_headers)
