"""What the technician's phone and the supervisor's page show of each other's work: the appointment
agreed with the customer, the way to the job's parts requisition, and the photos from site."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from chalicelib import wiring
from chalicelib.adapters.aws import client as aws_client
from chalicelib.domain.permissions import SystemActor
from tests.fakes import PNG
from tests.integration.test_technician_routes import (  # noqa: F401  (fixtures)
    check_in,
    get,
    html,
    job,
    post,
    wang,
)


def test_my_jobs_and_the_job_show_the_appointment_agreed_with_the_customer(client, job, wang):  # noqa: F811
    agreed = datetime(2030, 3, 4, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai
    wiring.services().desk.classify(job.number, actor=SystemActor("supervisor"), agreed_date=agreed)
    jobs = html(get(client, "/staff/jobs?lang=en", wang))
    line = re.search(rf'<div class="appointment" id="appointment-{job.number}">(.*?)</div>', jobs).group(1)
    assert "Agreed with the customer" in line and "03-04 14:30" in line
    assert "03-04 14:30" in html(get(client, f"/staff/jobs/{job.number}", wang))


def test_a_job_without_an_agreed_date_shows_none(client, job, wang):  # noqa: F811
    assert f'id="appointment-{job.number}"' not in html(get(client, "/staff/jobs", wang))


def test_the_phone_leads_to_the_jobs_parts_requisition_which_the_technician_may_file(client, job, wang):  # noqa: F811
    page = html(get(client, f"/staff/jobs/{job.number}?lang=en", wang))
    link = re.search(r'<a class="parts-link" id="parts-link" href="([^"]+)">([^<]+)</a>', page)
    assert link and link.group(1) == f"/staff/tickets/{job.number}/parts" and "Request parts" in link.group(2)
    assert get(client, link.group(1), wang).status_code == 200


def test_the_supervisor_sees_the_photos_a_technician_attached_to_a_progress_report(client, job, wang, staff_token):  # noqa: F811
    check_in(client, job, wang)
    upload = client.http.post("/api/uploads/photos", body=json.dumps({"filename": "断路器.png", "content_type": "image/png"}),
                              headers={"Content-Type": "application/json"}).json_body
    aws_client("s3").put_object(Bucket="service-desk-files", Key=upload["key"], Body=PNG, ContentType="image/png")
    report = {"text": "拆下旧线圈", "photos": [upload["key"]]}
    assert post(client, f"/staff/jobs/{job.number}/progress", report, wang).status_code == 303

    page = html(get(client, f"/staff/tickets/{job.number}?lang=en", staff_token("supervisor")))
    section = re.search(r'<ul class="photos" id="progress-photos">(.*?)</ul>', page, re.S)
    assert section and "Photos from the technician on site" in page
    assert "断路器.png" in section.group(1) and "tech-wang" in section.group(1)
    url = re.search(r'href="([^"]+)"', section.group(1)).group(1).replace("&amp;", "&")
    assert url.startswith("http") and "Signature" in url  # a short-lived link, as for the customer's photos


def test_a_ticket_without_progress_photos_has_no_such_section(client, job, staff_token):  # noqa: F811
    assert 'id="progress-photos"' not in html(get(client, f"/staff/tickets/{job.number}", staff_token("supervisor")))
