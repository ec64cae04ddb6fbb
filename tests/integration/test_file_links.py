"""On AWS stored files are linked through the stage's CloudFront distribution (it adds nosniff, which an S3
link cannot carry): signed URLs CloudFront can check with the key group's public key, for the checked
type, for minutes only. Locally the links stay presigned S3 links."""

import base64
import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib import wiring
from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.cloudfront_links import CloudFrontLinks
from chalicelib.adapters.s3_files import S3FileStore
from chalicelib.settings import get_settings

BUCKET = "service-desk-files"
DISTRIBUTION = "https://d111111abcdef8.cloudfront.net"
KEY_ID = "K2JCJMDEHXQW5F"
POLYGLOT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture(scope="module")
def key_pair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, private.public_key()


def checked_by_cloudfront(url: str, public_key) -> dict:
    """What CloudFront does with a canned-policy URL: rebuild the policy from the URL as requested (query
    included) and the Expires it names, check the signature, refuse it once expired. Returns the query."""
    resource, expires, signature, key_id = re.fullmatch(
        r"(.*)[?&]Expires=(\d+)&Signature=([A-Za-z0-9~_-]+)&Key-Pair-Id=(\w+)", url
    ).groups()
    assert key_id == KEY_ID
    policy = json.dumps(
        {"Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": int(expires)}}}]},
        separators=(",", ":"),
    )
    raw = base64.b64decode(signature.replace("-", "+").replace("_", "=").replace("~", "/"))
    public_key.verify(raw, policy.encode(), padding.PKCS1v15(), hashes.SHA1())
    assert int(expires) > time.time(), "expired"
    return parse_qs(urlsplit(resource).query)


def test_a_file_is_linked_through_the_distribution_signed_for_its_checked_type(aws, key_pair):
    pem, public_key = key_pair
    s3 = aws_client("s3")
    store = S3FileStore(BUCKET, downloads=CloudFrontLinks(DISTRIBUTION, KEY_ID, lambda: pem))
    files = {
        "uploads/photos/0/现场.jpg": (POLYGLOT, "text/html", "image/jpeg", "inline"),
        "forms/SD-1/page.html": (
            b"<html><script>alert(1)</script></html>",
            "text/html",
            "application/octet-stream",
            "attachment; filename*=UTF-8''page.html",
        ),
    }
    for key, (body, stored_as, served_as, disposition) in files.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType=stored_as)

        url = store.presigned_download(key, expires_in=300)

        assert url.startswith(
            f"{DISTRIBUTION}/uploads/photos/0/%E7%8E%B0%E5%9C%BA.jpg?"
            if key.endswith(".jpg")
            else f"{DISTRIBUTION}/{key}?"
        )
        query = checked_by_cloudfront(url, public_key)
        assert query["response-content-type"] == [served_as], key
        assert query["response-content-disposition"] == [disposition], key
        assert int(parse_qs(urlsplit(url).query)["Expires"][0]) <= time.time() + 301, "minutes, not days"


def test_a_link_whose_type_or_file_is_changed_is_refused(aws, key_pair):
    pem, public_key = key_pair
    aws_client("s3").put_object(Bucket=BUCKET, Key="forms/SD-1/page.html", Body=b"<html></html>")
    url = S3FileStore(BUCKET, downloads=CloudFrontLinks(DISTRIBUTION, KEY_ID, lambda: pem)).presigned_download(
        "forms/SD-1/page.html"
    )

    for forged in (
        url.replace("application%2Foctet-stream", "text%2Fhtml"),
        url.replace("attachment", "inline"),
        url.replace("/forms/SD-1/page.html", "/forms/SD-2/acceptance.pdf"),
    ):
        assert forged != url
        with pytest.raises(InvalidSignature):
            checked_by_cloudfront(forged, public_key)


def test_a_stage_with_a_files_domain_signs_with_the_key_kept_in_secrets_manager(aws, key_pair, monkeypatch):
    pem, public_key = key_pair
    secret = aws_client("secretsmanager").create_secret(Name="service-desk/test/files-signing-key", SecretString=pem)
    monkeypatch.setenv("FILES_BASE_URL", DISTRIBUTION)
    monkeypatch.setenv("FILES_SIGNING_KEY_ID", KEY_ID)
    monkeypatch.setenv("FILES_SIGNING_KEY_SECRET_NAME", secret["ARN"])
    wiring.reset()
    aws_client("s3").put_object(Bucket=BUCKET, Key="uploads/photos/1/a.jpg", Body=POLYGLOT)

    url = wiring.file_store(get_settings()).presigned_download("uploads/photos/1/a.jpg")

    assert checked_by_cloudfront(url, public_key)["response-content-type"] == ["image/jpeg"]
    assert wiring.download_origin() == DISTRIBUTION


def test_the_pages_may_show_images_from_the_distribution_and_still_upload_to_storage(client, monkeypatch):
    monkeypatch.setenv("FILES_BASE_URL", DISTRIBUTION)
    monkeypatch.setenv("FILES_SIGNING_KEY_ID", KEY_ID)
    monkeypatch.setenv("FILES_SIGNING_KEY_SECRET_NAME", "service-desk/test/files-signing-key")
    wiring.reset()

    policy = {
        part.split()[0]: part.split()[1:]
        for part in client.http.get("/").headers["Content-Security-Policy"].split(";")
        if part.strip()
    }

    assert DISTRIBUTION in policy["img-src"]
    assert DISTRIBUTION not in policy["connect-src"], "uploads still go straight to the bucket"
    assert wiring.file_origin() in policy["connect-src"]


def test_without_a_files_domain_links_stay_presigned_s3_links(aws):
    aws_client("s3").put_object(Bucket=BUCKET, Key="uploads/photos/2/a.jpg", Body=POLYGLOT)
    store = wiring.file_store(get_settings())

    url = store.presigned_download("uploads/photos/2/a.jpg")

    assert "X-Amz-Signature=" in url and "cloudfront" not in url
    assert store.download_origin() == store.browser_origin()
