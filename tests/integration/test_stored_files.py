"""Uploads through their routes over moto: a photo key is attached to one ticket only, and stored files
are served as what their bytes are (images inline, anything else as an attachment)."""

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.s3_files import S3FileStore
from tests.fakes import JPEG, valid_report

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BUCKET = "service-desk-files"
POLYGLOT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<html><script>alert(document.cookie)</script></html>"


def uploaded_photo(client, body=JPEG, stored_as="image/jpeg"):
    ticket = client.http.post("/api/uploads/photos", body=json.dumps({"filename": "现场.jpg", "content_type": "image/jpeg"}),
                              headers=JSON).json_body
    aws_client("s3").put_object(Bucket=BUCKET, Key=ticket["key"], Body=body, ContentType=stored_as)
    return ticket["key"]


def create(client, photos, key, **report):
    return client.http.post("/api/requests", body=json.dumps(valid_report(photos=photos, **report)),
                            headers={**JSON, "Idempotency-Key": key})


def test_a_photo_key_is_accepted_on_one_ticket_only(client):
    photo = uploaded_photo(client)
    assert create(client, [photo], "form-1").status_code == 201
    assert create(client, [photo], "form-1").status_code == 201, "the same form again is the same ticket"
    reused = create(client, [photo], "form-2", description="another fault")
    assert reused.status_code == 400
    assert reused.json_body["fields"]["photos"] == "照片 现场.jpg 已附在另一份报修上，请移除后重新上传。"

    page = client.http.post("/requests", headers=FORM, body=urlencode(
        {**valid_report(description="第三次"), "photos": photo, "idempotency_key": "form-3"}, doseq=True))
    assert page.status_code == 400
    text = page.body.decode()
    assert "照片 现场.jpg 已附在另一份报修上" in text and "第三次" in text, "the form keeps what was typed"
    tickets = [i for i in aws_client("dynamodb").scan(TableName="service-desk")["Items"] if i["sk"]["S"] == "TICKET"]
    assert len(tickets) == 1


def test_a_photo_stored_as_html_is_refused_by_the_check(client):
    photo = uploaded_photo(client, POLYGLOT, stored_as="text/html")
    checked = client.http.post("/api/uploads/photos/check", body=json.dumps({"key": photo}), headers=JSON)
    assert checked.status_code == 400 and checked.json_body["error"] == "photo_not_image"


def test_stored_files_are_served_with_their_checked_type(aws):
    s3, store = aws_client("s3"), S3FileStore(BUCKET)
    files = {
        "uploads/photos/0/polyglot.jpg": (POLYGLOT, "text/html", "image/jpeg", "inline"),
        "forms/SD-1/acceptance.pdf": (b"%PDF-1.7\n%\xe2\xe3\n", "application/pdf", "application/pdf", "attachment"),
        "forms/SD-1/page.html": (b"<html><script>alert(1)</script></html>", "text/html",
                                 "application/octet-stream", "attachment"),
    }
    for key, (body, stored_as, served_as, disposition) in files.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType=stored_as)
        url = store.presigned_download(key)
        query = parse_qs(urlsplit(url).query)
        assert query["response-content-type"] == [served_as], key
        assert query["response-content-disposition"][0].startswith(disposition), key
        served = requests.get(url, timeout=10)
        assert served.headers["Content-Type"] == served_as, key
        assert served.headers["Content-Disposition"].startswith(disposition), key
    named = parse_qs(urlsplit(store.presigned_download("forms/SD-1/page.html")).query)
    assert named["response-content-disposition"] == ["attachment; filename*=UTF-8''page.html"]
