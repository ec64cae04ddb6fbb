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
from chalicelib.settings import REPORT_PARTS_QUEUE
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
    page = client.http.get("/staff/reports?month=2026-03&lang=en", headers={"Cookie": f"sd_staff={token}"})
    assert page.status_code == 200 and 'id="download-csv"' in page.body.decode()
    response = client.http.get("/staff/reports/2026-03/csv?lang=en", headers={"Cookie": f"sd_staff={token}"})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "reports/2026-03/en/service-report-2026-03.csv" in location and "Signature" in location
    body = aws_client("s3").get_object(Bucket="service-desk-files",
                                       Key="reports/2026-03/en/service-report-2026-03.csv")["Body"].read()
    assert body.decode("utf-8-sig").splitlines()[0].startswith("Ticket,Received,Kind")


def test_a_month_not_built_yet_has_nothing_to_download_and_says_so(client, staff_token):
    token = staff_token("general_manager")
    response = client.http.get("/staff/reports/2026-02/xlsx?lang=en", headers={"Cookie": f"sd_staff={token}"})
    assert response.status_code == 404
    assert "has not been built yet" in response.body.decode()


def test_a_month_that_is_not_yyyy_mm_is_a_clear_400(client, staff_token):
    token = staff_token("quality")
    assert client.http.get("/staff/reports?month=2026-3x", headers={"Cookie": f"sd_staff={token}"}).status_code == 400
    assert client.http.get("/staff/reports/2026-03/pdf", headers={"Cookie": f"sd_staff={token}"}).status_code == 400


@pytest.fixture
def parts_queue(monkeypatch, aws, managers):
    """The report-parts queue on moto, and the app configured to fan out to it."""
    sqs = aws_client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=REPORT_PARTS_QUEUE)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=REPORT_PARTS_QUEUE)["QueueUrl"]
    monkeypatch.setenv("REPORT_QUEUE_URL", url)
    wiring.reset()
    return url


def queued_parts(url):
    sqs = aws_client("sqs")
    bodies = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [m["Body"] for m in batch]
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(batch)])
    return bodies


def run_part(client, body, at=RUN_AT):
    with mock.patch.object(SystemClock, "now", return_value=at):
        event = client.events.generate_sqs_event(message_bodies=[body], queue_name=REPORT_PARTS_QUEUE)
        return client.lambda_.invoke("report_part", event)


def test_on_aws_the_month_is_built_by_one_report_part_function_per_day_and_sent_by_the_last(
    client, parts_queue
):
    submit(client)
    submit(client, at=datetime(2026, 3, 20, 2, 0, tzinfo=UTC), product_model="GCS")
    assert run_job(client).payload == {"month": "2026-03", "outcome": "started", "tickets": 0}
    bodies = queued_parts(parts_queue)
    assert len(bodies) == 31
    assert report_emails() == []

    for body in bodies:
        run_part(client, body)
    run_part(client, bodies[0])  # SQS delivers at least once: a part run twice changes nothing
    assert sorted(m.destinations[0] for m in report_emails()) == ["gm@example.com", "quality@example.com"]
    stored = json.loads(aws_client("s3").get_object(Bucket="service-desk-files",
                                                    Key="reports/2026-03/report.json")["Body"].read())
    assert stored["tickets"] == 2
    assert run_job(client).payload["outcome"] == "already_sent"


def test_the_report_page_starts_a_build_of_a_month_never_built_and_refreshes_until_it_is_there(
    client, parts_queue, staff_token
):
    submit(client)
    token = staff_token("general_manager")
    page = client.http.get("/staff/reports?month=2026-03&lang=en", headers={"Cookie": f"sd_staff={token}"})
    html = page.body.decode()
    assert page.status_code == 200 and 'id="report-building"' in html and 'http-equiv="refresh"' in html
    assert "0 of 31 days done" in html
    for body in queued_parts(parts_queue):
        run_part(client, body)
    html = client.http.get("/staff/reports?month=2026-03&lang=en", headers={"Cookie": f"sd_staff={token}"}).body
    assert b'id="report-building"' not in html and b'id="download-csv"' in html and b'id="report-rebuild"' in html
    assert report_emails() == [], "a build started from the page is not emailed"

    rebuilt = client.http.post("/staff/report-builds/2026-03?lang=en", body="",
                               headers={"Cookie": f"sd_staff={token}",
                                        "Content-Type": "application/x-www-form-urlencoded"})
    assert rebuilt.status_code == 303 and "month=2026-03" in rebuilt.headers["Location"]
    assert len(queued_parts(parts_queue)) == 31
