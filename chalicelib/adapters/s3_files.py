"""Photos and signed forms in the private S3 bucket: presigned uploads in, links out.

Browsers upload straight to S3, so the app never carries file bytes; what lands is inspected by the
service before it is attached to a ticket. On AWS the links out are CloudFront signed URLs (the
distribution adds ``X-Content-Type-Options: nosniff``, which S3 cannot); locally, presigned S3 links.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from botocore.exceptions import ClientError

from chalicelib.adapters.aws import client
from chalicelib.adapters.cloudfront_links import CloudFrontLinks
from chalicelib.domain import uploads
from chalicelib.services.ports import StoredFile, UploadTicket

HEAD_BYTES = 512
# Every browser upload lands tagged "attached=no" and keeps that tag until the app attaches it to a
# ticket; the bucket's lifecycle rules (infra/stacks/service_desk.py) expire what still carries it.
ATTACHED_TAG = "attached"
UNATTACHED = "no"
ATTACHED = "yes"
UNATTACHED_TAGGING = (
    f"<Tagging><TagSet><Tag><Key>{ATTACHED_TAG}</Key><Value>{UNATTACHED}</Value></Tag></TagSet></Tagging>"
)


class S3FileStore:
    def __init__(self, bucket: str, *, upload_base_url: str = "", downloads: CloudFrontLinks | None = None):
        """``downloads``: the distribution that serves the files (AWS); without it, presigned S3 links."""
        self._bucket = bucket
        self._upload_base_url = upload_base_url
        self._downloads = downloads

    @property
    def _s3(self) -> Any:
        return client("s3")

    def presign_upload(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadTicket:
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type, "tagging": UNATTACHED_TAGGING},
            # The policy pins the tag too, so an uploader cannot drop it and keep a file forever.
            Conditions=[
                {"Content-Type": content_type},
                {"tagging": UNATTACHED_TAGGING},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_in,
        )
        return UploadTicket(url=self._browser_url(post["url"]), fields=post["fields"], key=key)

    def inspect(self, key: str) -> StoredFile | None:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}")
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404", "InvalidRange"):
                return None
            raise
        total = response.get("ContentRange", "").rpartition("/")[2]
        size = int(total) if total.isdigit() else int(response["ContentLength"])
        return StoredFile(key=key, size=size, head=response["Body"].read(), content_type=response.get("ContentType"))

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=key)

    def mark_attached(self, keys: Sequence[str]) -> None:
        """Take uploads out of the expiry of unattached ones (replaces their tag set)."""
        for key in dict.fromkeys(keys):
            self._s3.put_object_tagging(
                Bucket=self._bucket, Key=key,
                Tagging={"TagSet": [{"Key": ATTACHED_TAG, "Value": ATTACHED}]},
            )

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def read(self, key: str, max_bytes: int) -> bytes | None:
        """A whole (small) file, e.g. an uploaded spreadsheet; None if missing or over ``max_bytes``."""
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        if int(response["ContentLength"]) > max_bytes:
            response["Body"].close()
            return None
        return response["Body"].read()

    def presigned_download(self, key: str, expires_in: int = 300) -> str:
        """A link that serves the file as what its first bytes say it is, whatever type it was stored
        with (an uploader chooses that): an image inline, anything else as an attachment, so a file that
        is also HTML never opens as a page. Reads the first bytes once (a ranged GET)."""
        stored = self.inspect(key)
        served = uploads.served_type(stored.head if stored else b"")
        name = quote(uploads.display_name(key), safe="")
        disposition = "inline" if uploads.shown_inline(served) else f"attachment; filename*=UTF-8''{name}"
        if self._downloads is not None:
            return self._downloads.signed(
                key, {"response-content-disposition": disposition, "response-content-type": served}, expires_in
            )
        url = self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key, "ResponseContentType": served,
                    "ResponseContentDisposition": disposition},
            ExpiresIn=expires_in,
        )
        return self._browser_url(url)

    def download_origin(self) -> str:
        """``scheme://host[:port]`` browsers fetch stored files from: the distribution's, or as uploads."""
        return self._downloads.origin if self._downloads is not None else self.browser_origin()

    def browser_origin(self) -> str:
        """``scheme://host[:port]`` of the URLs browsers upload to (and, without a distribution, download
        from), worked out as boto3 builds them, without a request: the bucket's own host on AWS, the
        stand-in's locally."""
        if self._upload_base_url:
            base = urlsplit(self._upload_base_url)
            return f"{base.scheme}://{base.netloc}"
        endpoint = urlsplit(self._s3.meta.endpoint_url)
        if (self._s3.meta.config.s3 or {}).get("addressing_style") == "path":
            return f"{endpoint.scheme}://{endpoint.netloc}"
        return f"{endpoint.scheme}://{self._bucket}.{endpoint.netloc}"

    def _browser_url(self, url: str) -> str:
        """Where the browser must go may differ from where the app reaches S3 (e.g. behind a proxy)."""
        if not self._upload_base_url:
            return url
        base = urlsplit(self._upload_base_url)
        parts = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
