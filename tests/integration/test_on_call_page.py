"""The supervisor names who is on call from a page, and the next night's breach reaches that person."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from chalicelib.domain.plans import Role
from chalicelib.domain.staff import StaffRole
from ops.config import DEMO_ROSTER

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(client, token, data):
    return client.http.post("/staff/on-call", body=urlencode(data), headers=dict(FORM, Cookie=f"sd_staff={token}"))


@pytest.fixture
def supervisor(aws, staff_token):
    wiring.services().config.put_roster(DEMO_ROSTER)
    return staff_token("supervisor", StaffRole.SUPERVISOR)


def test_the_supervisor_puts_someone_on_call_and_takes_them_off(client, supervisor):
    page = client.http.get("/staff/on-call", headers={"Cookie": f"sd_staff={supervisor}"}).body.decode()
    assert "赵值班" in page and 'id="on-call-default-chief_engineer"' in page

    saved = post(client, supervisor, {"scope": "default", "level": "chief_engineer", "name": "孙工",
                                      "phone": "139 0000 0031"})
    assert saved.status_code == 303 and "saved=chief_engineer" in saved.headers["Location"]
    book = wiring.services().sla.roster_book()
    assert [(p.name, p.phone) for p in book.on_call(Role.CHIEF_ENGINEER, province="CN-JS")] == [
        ("孙工", "+8613900000031")]

    assert post(client, supervisor, {"scope": "default", "level": "chief_engineer", "clear": "1"}).status_code == 303
    assert wiring.services().sla.roster_book().on_call(Role.CHIEF_ENGINEER, province="CN-JS") == ()


def test_someone_on_call_must_be_reachable_and_others_may_not_change_the_rota(client, supervisor, staff_token):
    unreachable = post(client, supervisor, {"scope": "default", "level": "supervisor", "name": "孙工"})
    assert unreachable.status_code == 400 and "手机或邮箱" in unreachable.body.decode()
    wrong = post(client, supervisor, {"scope": "default", "level": "supervisor", "name": "孙工", "phone": "12"})
    assert wrong.status_code == 400
    desk = staff_token("desk", StaffRole.DESK)
    assert post(client, desk, {"scope": "default", "level": "supervisor", "clear": "1"}).status_code == 403
    assert [p.name for p in wiring.services().sla.roster_book().on_call(Role.SUPERVISOR, province="CN-JS")] == [
        "赵值班"]
