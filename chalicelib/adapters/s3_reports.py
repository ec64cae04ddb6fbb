"""The monthly reports' files in the files bucket, under ``reports/``: the MIME email of each month's
report, written before it is sent so the outbox can retry it byte for byte when SES or SMTP fails.

Only this prefix: the report job's role may read and write ``reports/*`` and nothing else there.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws import client

PREFIX = "reports/"


class S3ReportArchive:
    def __init__(self, bucket: str):
        self._bucket = bucket

    @property
    def _s3(self) -> Any:
        return client("s3")

    def put(self, key: str, body: bytes, content_type: str) -> None:
        if not key.startswith(PREFIX):
            raise ValueError(f"report files live under {PREFIX}")
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        return bytes(response["Body"].read())

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return False
            raise
        return True

    def download_url(self, key: str, filename: str, expires_in: int = 300) -> str:
        """A short-lived link that downloads ``key`` as ``filename`` (files can be larger than a
        Lambda response may be, and API Gateway mangles binary bodies: the browser fetches from S3)."""
        return str(self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"'},
            ExpiresIn=expires_in,
        ))
