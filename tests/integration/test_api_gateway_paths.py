"""Paths as API Gateway delivers them: its request context carries the stage in front of the path."""

import pytest
from chalice.local import LambdaEventConverter

from chalicelib import wiring

STAGE = "prod"


@pytest.fixture
def behind_a_stage(monkeypatch, aws):
    """Events shaped like API Gateway's on its execute-api domain: ``requestContext.path`` and ``stage``
    name the stage, the top-level ``path`` is the one below it."""
    create = LambdaEventConverter.create_lambda_event

    def create_with_stage(self, method, path, headers, body=None):
        event = create(self, method, path, headers, body)
        event["path"] = event["requestContext"]["path"]
        event["requestContext"].update(path=f"/{STAGE}{event['path']}", stage=STAGE)
        return event

    monkeypatch.setattr(LambdaEventConverter, "create_lambda_event", create_with_stage)
    monkeypatch.setenv("PUBLIC_BASE_URL", f"https://abc123.execute-api.us-east-1.amazonaws.com/{STAGE}")
    wiring.reset()


def test_a_deep_link_survives_sign_in(behind_a_stage, client, staff_token):
    staff_token("supervisor")

    asked = client.http.get("/staff/reports?month=2026-01")
    assert asked.status_code == 303
    location = asked.headers["Location"]
    assert location == f"/{STAGE}/staff/sign-in?next=/staff/reports%3Fmonth%3D2026-01"

    signed_in = client.http.post(
        "/staff/sign-in",
        body="username=supervisor&password=Test-pass-123&next=%2Fstaff%2Freports%3Fmonth%3D2026-01",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == f"/{STAGE}/staff/reports?month=2026-01"


def test_the_sign_in_page_keeps_the_deep_link(behind_a_stage, client):
    page = client.http.get("/staff/sign-in?next=/staff/tickets/SD-2026-000001").body.decode()

    assert 'value="/staff/tickets/SD-2026-000001"' in page


def test_the_json_api_is_mounted_once_below_the_stage(behind_a_stage, client):
    document = client.http.get("/api/openapi.json").json_body

    assert all(path.startswith("/api/") and not path.startswith("/api/api/") for path in document["paths"])
