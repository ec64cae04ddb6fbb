"""Uploads land tagged as not attached, and attaching one retags it, over moto. moto stores a presigned
POST without its tagging field, so the signed policy is checked on its own, then the retagging."""

import base64
import json

import requests

from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.s3_files import UNATTACHED_TAGGING, S3FileStore
from tests.fakes import JPEG, valid_report

BUCKET = "service-desk-files"
JSON = {"Content-Type": "application/json"}


def tags(key: str) -> dict[str, str]:
    tag_set = aws_client("s3").get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]
    return {t["Key"]: t["Value"] for t in tag_set}


def test_a_presigned_upload_must_carry_the_unattached_tag(aws):
    ticket = S3FileStore(BUCKET).presign_upload("uploads/photos/" + "a" * 32 + "/x.jpg", "image/jpeg", 1000, 60)
    assert ticket.fields["tagging"] == UNATTACHED_TAGGING
    policy = json.loads(base64.b64decode(ticket.fields["policy"]))
    assert {"tagging": UNATTACHED_TAGGING} in policy["conditions"], "an uploader may not drop the tag"
    assert "<Key>attached</Key><Value>no</Value>" in UNATTACHED_TAGGING

    posted = requests.post(ticket.url, data=ticket.fields, files={"file": ("x.jpg", JPEG, "image/jpeg")}, timeout=10)
    assert posted.status_code == 204


def test_a_reported_photo_is_retagged_attached(client):
    upload = client.http.post("/api/uploads/photos", headers=JSON,
                              body=json.dumps({"filename": "a.jpg", "content_type": "image/jpeg"})).json_body
    assert upload["fields"]["tagging"] == UNATTACHED_TAGGING
    s3 = aws_client("s3")
    s3.put_object(Bucket=BUCKET, Key=upload["key"], Body=JPEG, ContentType="image/jpeg", Tagging="attached=no")
    assert tags(upload["key"]) == {"attached": "no"}

    created = client.http.post("/api/requests", body=json.dumps(valid_report(photos=[upload["key"]])),
                               headers={**JSON, "Idempotency-Key": "form-1"})
    assert created.status_code == 201
    assert tags(upload["key"]) == {"attached": "yes"}
