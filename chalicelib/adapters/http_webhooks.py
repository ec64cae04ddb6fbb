"""Posts a webhook delivery to its receiver over HTTPS (the standard library's client).

Receivers are typed in by an admin, so the URL is not trusted to point outside: its name is resolved
once, every address it gives must be a public one, and the connection goes to the address checked
(a name that resolves to a public address for the check and to an internal one a moment later still
reaches the public one). The metadata service, the Lambda runtime's API on 127.0.0.1 and the
account's private networks are never posted to; the local stack's receivers are, where allowed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from chalicelib.services.ports import DeliveryError
from chalicelib.services.webhooks import PostAnswer

# A function runs 30 s at most and may deliver several messages: a receiver that hangs must not take all.
TIMEOUT_SECONDS = 10


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the URL's name, as for any HTTPS request.
        self.sock = ssl.create_default_context().wrap_socket(raw, server_hostname=self.host)


class HttpWebhookPoster:
    def __init__(self, *, allow_private: bool = False):
        """``allow_private``: the local stack only, whose receivers run on this machine."""
        self._allow_private = allow_private

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostAnswer:
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        host, port = parts.hostname or "", parts.port or (443 if secure else 80)
        address = self._address(host, port)
        kind = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
        connection = kind(host, port, address, TIMEOUT_SECONDS)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            # No redirect is followed: a signed delivery goes to the registered URL only.
            connection.request("POST", path, body=body, headers={**headers, "User-Agent": "service-desk-webhooks/1"})
            return PostAnswer(int(connection.getresponse().status))
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryError(f"webhook receiver unreachable: {error}") from error
        finally:
            connection.close()

    def _address(self, host: str, port: int) -> str:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise DeliveryError(f"webhook receiver unreachable: {error}") from error
        addresses = [str(info[4][0]) for info in found]
        if not self._allow_private:
            internal = [a for a in addresses if not ipaddress.ip_address(a.split("%", 1)[0]).is_global]
            if internal or not addresses:
                # Permanent: the subscription's address is wrong, and retrying will not make it public.
                raise DeliveryError(f"webhook receiver {host} is not a public address", permanent=True)
        return addresses[0]
