"""Locally, stored files come from the stand-in with the headers the CloudFront distribution adds on AWS:
a photo or form is never sniffed into a page, framed or run (``local/file_headers.py``)."""

from __future__ import annotations

import threading
import uuid

import boto3
import pytest
import requests
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from local.file_headers import STORED_FILE_HEADERS, StoredFileHeaders

HTML_IN_A_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00<html><script>alert(1)</script></html>"


@pytest.fixture
def stand_in():
    """moto's server behind the stand-in's header middleware, as ``local/aws_store.py`` serves it."""
    server = make_server(
        "127.0.0.1", 0, StoredFileHeaders(DomainDispatcherApplication(create_backend_app)), threaded=True
    )
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_stored_file_link_is_answered_nosniff_and_never_run(stand_in):
    s3 = boto3.client(
        "s3", endpoint_url=stand_in, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    bucket = f"files-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="uploads/photos/0/a.jpg", Body=HTML_IN_A_JPEG, ContentType="text/html")
    link = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": "uploads/photos/0/a.jpg",
            "ResponseContentType": "image/jpeg",
            "ResponseContentDisposition": "inline",
        },
    )

    served = requests.get(link, timeout=10)

    assert served.content == HTML_IN_A_JPEG and served.headers["Content-Type"] == "image/jpeg"
    for name, value in STORED_FILE_HEADERS.items():
        assert served.headers[name] == value
    api = requests.get(f"{stand_in}/{bucket}?list-type=2", timeout=10)
    assert "X-Content-Type-Options" not in api.headers, "the AWS API itself answers as moto does"
