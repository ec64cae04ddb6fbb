"""The monthly report on moto: the scheduled function emails it once, and managers read and download it
in the app; technicians and customers cannot."""

import json
from datetime import UTC, datetime
from email import message_from_string, policy
from unittest import mock

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import wiring
from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.clock import SystemClock
from chalicelib.adapters.ses_email import SesEmailSender
from chalicelib.services.ports import DeliveryError
from tests.fakes import valid_report

IN_MARCH = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
RUN_AT = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)  # the schedule: 2026-04-01 01:00 Shanghai
MANAGERS = "gm@example.com,quality@example.com"


@pytest.fixture
def managers(monkeypatch, aws):
    monkeypatch.setenv("REPORT_RECIPIENTS", MANAGERS)
    wiring.reset()


def submit(client, at=IN_MARCH, **overrides):
    with mock.patch.object(SystemClock, "now", return_value=at):
        response = client.http.post("/api/requests", body=json.dumps(valid_report(**overrides)),
                                    headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.body


def run_job(client, at=RUN_AT):
    with mock.patch.object(SystemClock, "now", return_value=at):
        return client.lambda_.invoke(
            "monthly_report",
            client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=[]),
        )


def report_emails():
    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return [m for m in backend.sent_messages if hasattr(m, "raw_data") and "service-report-" in m.raw_data]


def test_the_scheduled_function_emails_last_months_report_to_each_manager_once(client, managers):
    submit(client)
    submit(client, product_model="GCS")
    response = run_job(client)
    assert response.payload == {"month": "2026-03", "outcome": "sent", "tickets": 2}

    sent = report_emails()
    # moto appends the To header's addresses to the envelope; the first destination is the one we sent to.
    assert sorted(m.destinations[0] for m in sent) == ["gm@example.com", "quality@example.com"]
    message = message_from_string(sent[0].raw_data, policy=policy.SMTP)
    assert message.get_content_type() == "multipart/mixed"
    assert {p.get_filename() for p in message.iter_attachments()} == {
        "service-report-2026-03.csv", "service-report-2026-03.xlsx"}

    again = run_job(client)
    assert again.payload["outcome"] == "already_sent"
    assert len(report_emails()) == 2, "a second run sends nothing"


def test_when_ses_fails_the_report_waits_in_the_outbox_and_the_delivery_job_sends_it(client, managers):
    submit(client)
    with mock.patch.object(SesEmailSender, "send_raw", side_effect=DeliveryError("SES Throttling")):
        assert run_job(client).payload["outcome"] == "sent"
    assert report_emails() == []
    with mock.patch.object(SystemClock, "now", return_value=RUN_AT.replace(minute=5)):
        client.lambda_.invoke(
            "deliver_notifications",
            client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=[]),
        )
    assert len(report_emails()) == 2
    assert run_job(client).payload["outcome"] == "already_sent"


def test_the_report_reads_the_month_index_and_never_scans(client, managers):
    submit(client)
    calls = []
    ddb = aws_client("dynamodb")
    ddb.meta.events.register("before-parameter-build.dynamodb.*", lambda model, params, **_: calls.append(
        (model.name, params.get("IndexName"))), unique_id="report-calls")
    try:
        run_job(client)
    finally:
        ddb.meta.events.unregister("before-parameter-build.dynamodb.*", unique_id="report-calls")
    assert ("Query", "by_month") in calls
    assert not [c for c in calls if c[0] == "Scan"]


@pytest.mark.parametrize("role", ["general_manager", "chief_engineer", "quality", "supervisor", "admin"])
def test_managers_read_any_months_report_in_the_app(client, staff_token, role):
    submit(client)
    token = staff_token(role)
    page = client.http.get("/staff/reports?month=2026-03", headers={"Cookie": f"sd_staff={token}"})
    assert page.status_code == 200
    html = page.body.decode()
    assert "售后服务月报 2026-03" in html
    assert 'src="data:image/png;base64,' in html
    assert 'href="/staff/reports/2026-03/xlsx"' in html or "/staff/reports/2026-03/xlsx" in html


@pytest.mark.parametrize("role", ["technician", "desk"])
def test_technicians_and_the_desk_may_not_read_reports(client, staff_token, role):
    token = staff_token(role)
    page = client.http.get("/staff/reports?month=2026-03", headers={"Cookie": f"sd_staff={token}"})
    assert page.status_code == 403
    download = client.http.get("/staff/reports/2026-03/csv", headers={"Cookie": f"sd_staff={token}"})
    assert download.status_code == 403


def test_customers_without_a_staff_token_are_sent_to_sign_in(client):
    page = client.http.get("/staff/reports?month=2026-03")
    assert page.status_code == 303 and "/staff/sign-in" in page.headers["Location"]
    tracking_like = client.http.get("/staff/reports/2026-03/xlsx", headers={"Cookie": "sd_staff=not-a-token"})
    assert tracking_like.status_code == 303


def test_a_download_is_a_short_lived_link_to_the_file_in_the_reports_folder(client, staff_token):
    submit(client)
    token = staff_token("general_manager")
    response = client.http.get("/staff/reports/2026-03/csv?lang=en", headers={"Cookie": f"sd_staff={token}"})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "reports/2026-03/en/service-report-2026-03.csv" in location and "Signature" in location
    body = aws_client("s3").get_object(Bucket="service-desk-files",
                                       Key="reports/2026-03/en/service-report-2026-03.csv")["Body"].read()
    assert body.decode("utf-8-sig").splitlines()[0].startswith("Ticket,Received,Kind")


def test_a_month_that_is_not_yyyy_mm_is_a_clear_400(client, staff_token):
    token = staff_token("quality")
    assert client.http.get("/staff/reports?month=2026-3x", headers={"Cookie": f"sd_staff={token}"}).status_code == 400
    assert client.http.get("/staff/reports/2026-03/pdf", headers={"Cookie": f"sd_staff={token}"}).status_code == 400
