"""Links to stored files through the stage's CloudFront distribution, signed with its key.

A presigned S3 link can override six response headers and ``X-Content-Type-Options`` is not one of
them; the distribution in front of the bucket adds it (and a Content-Security-Policy) to every file it
serves, and answers only URLs signed here: a canned policy, "this URL, query included, until then".
The private key (PEM) is read from Secrets Manager; ``cryptography`` is imported on the first link only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from botocore.signers import CloudFrontSigner


class CloudFrontLinks:
    def __init__(self, base_url: str, key_id: str, private_key: Callable[[], str]):
        """``base_url``: the distribution's address (``https://d111.cloudfront.net``); ``key_id``: the ID
        of its public key in the trusted key group; ``private_key``: reads the matching PEM."""
        self._base_url = base_url.rstrip("/")
        self._key_id = key_id
        self._private_key = private_key

    @property
    def origin(self) -> str:
        parts = urlsplit(self._base_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""

    def signed(self, key: str, query: Mapping[str, str], expires_in: int) -> str:
        """The signed URL of the stored file ``key``; ``query`` goes to S3 with the request (the
        distribution forwards the ``response-*`` overrides) and is covered by the signature."""
        url = f"{self._base_url}/{quote(key, safe='/')}"
        if query:
            url += "?" + urlencode(query, quote_via=quote)
        signer = CloudFrontSigner(self._key_id, _rsa_signer(self._private_key()))
        return str(signer.generate_presigned_url(url, date_less_than=datetime.now(UTC) + timedelta(seconds=expires_in)))


@lru_cache(maxsize=2)
def _rsa_signer(pem: str) -> Callable[[bytes], bytes]:
    """CloudFront checks RSA-SHA1 signatures (PKCS #1 v1.5); the key is parsed once per value."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        key: Any = serialization.load_pem_private_key(pem.encode(), password=None)
    except ValueError as error:
        raise ValueError(
            "the files' signing key is not a PEM private key: put it in its secret (docs/deploy.md)"
        ) from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the files' signing key must be an RSA private key (CloudFront accepts RSA 2048)")
    return lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # SHA-1: the one CloudFront checks
