"""A visit outside working time over HTTP, under moto: the technician asks from the job's page, the
supervisor approves it from the approvals page, and both pages and the ticket show it (000 §4.4.3)."""

from __future__ import annotations

import pytest

from chalicelib.domain.overtime import OvertimeState
from chalicelib.domain.staff import StaffRole
from tests.integration import test_technician_routes as phone

get, html, post, ticket = phone.get, phone.html, phone.post, phone.ticket
job, wang = phone.job, phone.wang  # fixtures: a job dispatched to tech-wang, and his token


@pytest.fixture
def supervisor(staff_token):
    return staff_token("supervisor", StaffRole.SUPERVISOR)


def test_a_saturday_visit_is_asked_for_from_the_phone_and_approved_by_the_supervisor(client, job, wang, supervisor):
    page = html(get(client, f"/staff/jobs/{job.number}", wang))
    assert 'id="overtime-form"' in page and "需先报售后服务主管批准" in page

    asked = post(client, f"/staff/jobs/{job.number}/overtime",
                 {"visit_starts": "2026-11-28T09:00", "visit_ends": "2026-11-28T15:00", "overtime_note": "周末停产"},
                 wang)
    assert asked.status_code == 303
    approvals = html(get(client, "/staff/approvals", supervisor))
    assert f'id="overtime-{job.number}-O1"' in approvals and "2026-11-28 09:00" in approvals and "节假日" in approvals

    decided = post(client, f"/staff/approvals/{job.number}/overtime/O1", {"decision": "approve", "note": "同意"},
                   supervisor)
    assert decided.status_code == 303 and "done=overtime_approve" in decided.headers["Location"]
    [visit] = ticket(job.number).overtime
    assert (visit.state, visit.decided_by, visit.decision_note) == (OvertimeState.APPROVED, "supervisor", "同意")
    assert "主管已批准" in html(get(client, f"/staff/jobs/{job.number}", wang))
    again = post(client, f"/staff/approvals/{job.number}/overtime/O1", {"decision": "decline"}, supervisor)
    assert again.status_code == 409


def test_a_visit_within_working_hours_is_answered_next_to_the_field(client, job, wang):
    answer = post(client, f"/staff/jobs/{job.number}/overtime?lang=en",
                  {"visit_starts": "2026-11-30T10:00", "visit_ends": "2026-11-30T12:00"}, wang)
    assert answer.status_code == 400 and "no approval is needed" in html(answer)
    broken = post(client, f"/staff/jobs/{job.number}/overtime", {"visit_starts": "tomorrow", "visit_ends": ""}, wang)
    assert broken.status_code == 400
    assert ticket(job.number).overtime == ()


def test_only_supervisors_decide_and_only_the_jobs_technician_asks(client, job, wang, staff_token):
    li = staff_token("tech-li", StaffRole.TECHNICIAN)
    visit = {"visit_starts": "2026-11-28T09:00", "visit_ends": "2026-11-28T15:00"}
    assert post(client, f"/staff/jobs/{job.number}/overtime", visit, li).status_code == 403
    assert post(client, f"/staff/jobs/{job.number}/overtime", visit, wang).status_code == 303
    assert post(client, f"/staff/approvals/{job.number}/overtime/O1", {"decision": "approve"}, wang).status_code == 403
    assert ticket(job.number).overtime[0].state == OvertimeState.REQUESTED
