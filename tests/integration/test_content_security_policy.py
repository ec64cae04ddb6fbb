"""Every answer carries a Content-Security-Policy without inline script; the pages need none, and the
policy still lets browsers upload straight to storage."""

import json
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.s3_files import S3FileStore
from chalicelib.domain.staff import StaffRole
from tests.fakes import valid_report

TEMPLATES = Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "templates"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def directives(response):
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def every_get_path():
    from app import app

    for path, methods in app.routes.items():
        if "GET" in methods:
            yield re.sub(r"\{[^}]+\}", "SD-2026-000001", path)


def test_every_page_and_answer_carries_the_policy(client, staff_token):
    location = client.http.post("/requests", body=urlencode({**valid_report(), "idempotency_key": "k"}),
                                headers=FORM).headers["Location"]
    token = staff_token("csp-admin", *StaffRole)
    signed_in = {"Cookie": f"sd_staff={token}"}
    paths = [*every_get_path(), urlsplit(location).path]
    pages = 0
    for path in paths:
        for headers in ({}, signed_in):
            response = client.http.get(path, headers=headers)
            assert "Content-Security-Policy" in response.headers, (path, response.status_code)
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            if response.headers.get("Content-Type", "").startswith("text/html"):
                pages += 1
                policy = directives(response)
                assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"], path
                assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"], path
                assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"][0] == "'self'", path
    assert pages > 40, "the staff pages were reached, not only sign-in redirects"


def test_the_policy_lets_browsers_upload_to_storage_and_show_drawn_signatures(client):
    ticket = client.http.post("/api/uploads/photos", body=json.dumps({"filename": "a.jpg", "content_type": "image/jpeg"}),
                              headers={"Content-Type": "application/json"}).json_body
    policy = directives(client.http.get("/"))
    assert origin(ticket["url"]) in policy["connect-src"], "the presigned POST goes straight to S3"
    assert origin(ticket["url"]) in policy["img-src"] and "data:" in policy["img-src"]
    assert policy["form-action"] == ["'self'", "https://desk.example.com"], "the answer's redirect"


@pytest.mark.parametrize("endpoint", ["", "http://127.0.0.1:5000"])
def test_the_storage_origin_is_where_boto3_sends_browsers(aws, monkeypatch, endpoint):
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # the stand-in: path-style addressing
    aws_clients.reset()
    store = S3FileStore("service-desk-files")
    post = store.presign_upload("uploads/photos/x/a.jpg", "image/jpeg", 1024, 60)
    assert store.browser_origin() == origin(post.url)
    store.inspect = lambda key: None  # a download link reads the file's first bytes; nothing runs there
    assert store.browser_origin() == origin(store.presigned_download("uploads/photos/x/a.jpg"))
    behind_proxy = S3FileStore("service-desk-files", upload_base_url="https://files.example.com/base")
    assert behind_proxy.browser_origin() == "https://files.example.com" == origin(behind_proxy.presign_upload(
        "uploads/photos/x/a.jpg", "image/jpeg", 1024, 60).url)


def test_no_template_has_inline_script_handlers_or_styles():
    for path in TEMPLATES.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        inline = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
        assert not inline, f"{path.name}: inline script {inline}"
        for pattern in (r"<script\b[^>]*>\s*[^<\s]", r"\son[a-z]+\s*=", r"javascript:", r"\sstyle\s*=", r"<style\b"):
            assert not re.search(pattern, html, flags=re.I), f"{path.name}: {pattern}"
