"""Outside local mode the app serves a calm 503 and its jobs fail, naming each setting AWS has not given it."""

import logging

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.web.readiness import MissingSettings

DEFAULT_SECRET = "local-only-link-secret-change-me"


@pytest.fixture
def public_link_secret(on_aws, monkeypatch):
    """Deployed with everything set but the link-signing secret's name: the public default would sign."""
    monkeypatch.delenv("LINK_SIGNING_SECRET_NAME")
    wiring.reset()


def test_a_page_is_a_503_naming_nothing_secret_and_the_log_names_the_variable(public_link_secret, client, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.http.get("/?lang=en")

    assert response.status_code == 503
    assert "not fully set up" in response.body.decode()
    assert DEFAULT_SECRET not in response.body.decode()
    assert any("LINK_SIGNING_SECRET_NAME" in record.getMessage() for record in caplog.records)


def test_the_api_answers_503_in_json(public_link_secret, client):
    response = client.http.get("/api/openapi.json")

    assert response.status_code == 503
    assert response.json_body["error"] == "unavailable"


def test_a_scheduled_job_refuses_to_run(public_link_secret, client):
    from app import app

    with Client(app) as lambda_client, pytest.raises(MissingSettings, match="LINK_SIGNING_SECRET_NAME"):
        lambda_client.lambda_.invoke("sla_sweep", lambda_client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))


def test_with_every_setting_given_the_app_serves(on_aws, client):
    assert client.http.get("/").status_code == 200


def test_in_local_mode_the_defaults_serve(client):
    assert client.http.get("/").status_code == 200
