"""Pages name staff as people know them (王工), read from their accounts' ``name``; tickets keep logins."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from chalicelib.adapters.cognito import CognitoDirectory, add_staff
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Priority
from ops import staff as staff_cli
from tests.fakes import valid_report
from tests.integration.conftest import PASSWORD

S = StaffRole
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_staff_accounts_name_is_read_from_the_directory_and_an_account_without_one_has_none(aws):
    pool = aws["user_pool_id"]
    assert staff_cli.main(["add", "--pool", pool, "--username", "tech-zhao", "--role", "technician",
                           "--email", "zhao@example.com", "--name", "赵工", "--password", PASSWORD]) == 0
    add_staff(pool, "tech-qian", [S.TECHNICIAN], password=PASSWORD)
    add_staff(pool, "supervisor", [S.SUPERVISOR], password=PASSWORD, name="张主管")

    assert CognitoDirectory(pool).display_names() == {"tech-zhao": "赵工", "supervisor": "张主管"}


@pytest.fixture
def people(aws, staff_token):
    pool = aws["user_pool_id"]
    add_staff(pool, "supervisor", [S.SUPERVISOR], password=PASSWORD, name="张主管")
    add_staff(pool, "tech-wang", [S.TECHNICIAN], password=PASSWORD, name="王工")
    add_staff(pool, "tech-li", [S.TECHNICIAN], password=PASSWORD)  # no name: shown by login
    return {"supervisor": staff_token("supervisor", S.SUPERVISOR), "wang": staff_token("tech-wang", S.TECHNICIAN)}


def page(client, path, token):
    response = client.http.get(path, headers={"Cookie": f"sd_staff={token}"})
    assert response.status_code == 200, response.body
    return response.body.decode()


def test_pages_show_staff_by_name_and_fall_back_to_the_login(client, people):
    receipt = wiring.services().intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    desk = wiring.services().desk
    desk.classify(receipt.number, actor=SystemActor("supervisor"), priority=Priority.URGENT)
    desk.dispatch(receipt.number, actor=SystemActor("supervisor"), technicians=("tech-wang", "tech-li"))
    number = receipt.number

    ticket_page = page(client, f"/staff/tickets/{number}", people["supervisor"])
    assert '<dd id="assignees">王工, tech-li</dd>' in ticket_page
    assert "<span>张主管: 派工：服务人员：王工、tech-li</span>" in ticket_page  # the timeline: actor and assignees
    # The dispatch form names people; what it sends stays the login.
    assert 'value="tech-wang" id="tech-2" checked> 王工</label>' in ticket_page

    queue = page(client, "/staff/queue", people["supervisor"])
    assert "<td>王工, tech-li</td>" in queue and '<option value="tech-wang">王工</option>' in queue

    assert 'id="who">当前用户：王工' in page(client, "/staff/jobs", people["wang"])

    wang = {"Cookie": f"sd_staff={people['wang']}", **FORM}
    assert client.http.post(f"/staff/jobs/{number}/check-in", body=urlencode({"lat": "31.3", "lon": "120.6"}),
                            headers=wang).status_code == 303
    assert client.http.post(f"/staff/jobs/{number}/refusal", body=urlencode({"reason": "客户要求再观察三天"}),
                            headers=wang).status_code == 303
    approvals = page(client, "/staff/approvals", people["supervisor"])
    refusal = approvals.split('id="refusals"')[1]
    assert "王工" in refusal.split('class="meta"')[1] and "tech-wang" not in refusal

    # What is stored stays the login.
    assert wiring.services().queue.get(number).assignees == ("tech-wang", "tech-li")
