"""The S3 client signs the way KMS-encrypted buckets require, and addresses buckets the way AWS expects."""

from urllib.parse import urlsplit

from chalicelib.adapters import aws


def presigned_view(monkeypatch, endpoint: str | None) -> str:
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws.reset()
    return aws.client("s3").generate_presigned_url("get_object", Params={"Bucket": "files", "Key": "photo.jpg"})


def test_on_aws_presigned_views_use_sigv4_which_kms_encrypted_objects_require(monkeypatch):
    url = presigned_view(monkeypatch, None)

    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
    assert "AWSAccessKeyId=" not in url


def test_on_aws_buckets_are_addressed_virtual_host_style(monkeypatch):
    url = urlsplit(presigned_view(monkeypatch, None))

    assert url.hostname is not None and url.hostname.startswith("files.s3.")
    assert url.path == "/photo.jpg"


def test_the_local_stand_in_is_addressed_path_style(monkeypatch):
    url = urlsplit(presigned_view(monkeypatch, "http://127.0.0.1:5000"))

    assert (url.netloc, url.path) == ("127.0.0.1:5000", "/files/photo.jpg")
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url.query


def test_presigned_uploads_are_signed_with_sigv4_too(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws.reset()

    post = aws.client("s3").generate_presigned_post("files", "photo.jpg")

    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
