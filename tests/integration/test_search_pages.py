"""The search page under moto: the office finds any ticket, a technician only their own jobs; bad input
gets a 400 that says what is wrong."""

import json
import re
from urllib.parse import urlencode

from chalicelib import wiring
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Action, Priority
from tests.fakes import valid_report
from tests.integration.test_ticket_search import move, store


def get(client, path, token=None):
    return client.http.get(path, headers={"Cookie": f"sd_staff={token}"} if token else {})


def search(client, token, **params):
    return get(client, "/staff/search?" + urlencode({"lang": "en", **params}), token)


def filed(aws):
    tickets = DynamoTickets("service-desk")
    mine = store(tickets, 1)
    store(tickets, 2, minutes=1)
    move(tickets, move(tickets, mine, Action.CLASSIFY), Action.DISPATCH, assignees=("tech-wang",))
    return tickets


def test_the_office_finds_tickets_by_a_phone_typed_with_spaces(client, aws, staff_token):
    filed(aws)
    desk = staff_token("desk", StaffRole.DESK)
    assert "/staff/search" in get(client, "/staff", desk).body.decode()
    page = search(client, desk, q="138 0013 8000")
    assert page.status_code == 200
    body = page.body.decode()
    assert 'data-number="SD-2026-000001"' in body and 'data-number="SD-2026-000002"' in body


def test_a_technician_finds_only_their_own_jobs(client, aws, staff_token):
    filed(aws)
    wang = staff_token("tech-wang", StaffRole.TECHNICIAN)
    assert "/staff/search" in get(client, "/staff", wang).body.decode()
    body = search(client, wang, q="浦东", assignee="someone-else").body.decode()
    assert 'data-number="SD-2026-000001"' in body and 'data-number="SD-2026-000002"' not in body


def test_bad_input_gets_a_clear_400(client, aws, staff_token):
    filed(aws)
    desk = staff_token("desk", StaffRole.DESK)
    too_long = search(client, desk, q="浦" * 65)
    assert too_long.status_code == 400 and "at most 64" in too_long.body.decode()
    too_short = search(client, desk, q="浦")
    assert too_short.status_code == 400 and "at least 2" in too_short.body.decode()
    forged = search(client, desk, q="浦东", cursor="eyJhbGciOiJIUzI1NiJ9.e30.forged")
    assert forged.status_code == 400 and "invalid or has expired" in forged.body.decode()
    assert search(client, desk, status="nonsense").status_code == 400


def test_signed_out_people_are_not_let_in(client, aws):
    assert search(client, None, q="浦东").status_code in (302, 303, 401)


def test_a_ticket_found_reads_as_it_does_in_the_queue(client, aws, staff_token):
    number = client.http.post(
        "/api/requests", body=json.dumps(valid_report()), headers={"Content-Type": "application/json"}
    ).json_body["number"]
    wiring.services().desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.URGENT)
    supervisor = staff_token("supervisor", StaffRole.SUPERVISOR)
    queue = get(client, "/staff/queue?lang=en", supervisor).body.decode()
    found = search(client, supervisor, q=number).body.decode()

    def row(page):
        [tr] = re.findall(rf'<tr data-number="{number}".*?</tr>', page, re.S)
        return tr

    assert row(found) == row(queue)
    assert 'data-sla="on_time"' in row(found)
    assert re.search(r"<td>[a-z ]+ · \d{4}-\d\d-\d\d \d\d:\d\d</td>", row(found))  # the next deadline
