"""The stand-in reads request headers without the email package's feed parser, into the same message
that parser makes (local/aws_store.py ``parse_headers_quickly``)."""

from __future__ import annotations

import http.client
import io

import pytest

from local.aws_store import parse_headers_quickly

BLOCKS = [
    # What botocore sends.
    b"Host: 127.0.0.1:5000\r\nAccept-Encoding: identity\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n"
    b"Content-Type: application/x-amz-json-1.0\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/"
    b"us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00ff\r\n"
    b"X-Local-Durability: deferred\r\nContent-Length: 2\r\n\r\n",
    # Repeated names, an empty value, blanks around a value, bare LF line ends, Latin-1 bytes.
    b"X-Amz-Meta-Original_Name: form.pdf\r\nCookie: a=1\r\nCookie: b=2\r\nX-Empty:\r\nX-Blanks: \t v  \r\n"
    b"X-Bare: lf\nX-Latin: caf\xe9\r\n\r\n",
    # Folded, or not a header at all: the email package's parser decides, as before.
    b"X-Folded: one\r\n two\r\nHost: h\r\n\r\n",
    b"not a header\r\nHost: h\r\n\r\n",
    b": no name\r\nHost: h\r\n\r\n",
    b"\r\n",
]


@pytest.mark.parametrize("block", BLOCKS)
def test_the_headers_read_are_those_the_email_package_reads(block: bytes) -> None:
    expected = http.client.parse_headers(io.BytesIO(block + b"BODY"))
    stream = io.BytesIO(block + b"BODY")

    found = parse_headers_quickly(stream)

    assert isinstance(found, http.client.HTTPMessage)
    assert found.items() == expected.items()
    assert stream.read() == b"BODY"  # the body is left where it starts
