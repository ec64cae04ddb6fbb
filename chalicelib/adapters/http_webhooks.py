"""Posts a webhook delivery to its receiver over HTTPS (the standard library's client)."""

from __future__ import annotations

import urllib.error
import urllib.request

from chalicelib.services.ports import DeliveryError
from chalicelib.services.webhooks import PostAnswer

# A function runs 30 s at most and may deliver several messages: a receiver that hangs must not take all.
TIMEOUT_SECONDS = 10


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A signed delivery goes to the registered URL only; a redirect is the receiver's answer, not a hop.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class HttpWebhookPoster:
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostAnswer:
        request = urllib.request.Request(
            url, data=body, method="POST", headers={**headers, "User-Agent": "service-desk-webhooks/1"}
        )
        try:
            with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return PostAnswer(int(response.status))
        except urllib.error.HTTPError as error:
            return PostAnswer(int(error.code))
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DeliveryError(f"webhook receiver unreachable: {error}") from error
