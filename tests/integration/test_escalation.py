"""The SLA sweep over DynamoDB (moto) and the escalation link page, through Chalice's test client."""

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

from chalicelib import wiring
from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.clock import SystemClock
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.notification import LEASE
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Priority
from tests.fakes import DEMO_ROSTER, valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def open_critical_ticket(client):
    wiring.services().config.put_roster(DEMO_ROSTER)
    receipt = client.http.post("/api/requests", body=json.dumps(valid_report()),
                               headers={"Content-Type": "application/json"}).json_body
    wiring.services().desk.classify(receipt["number"], actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    return receipt["number"]


def sweep_at(client, at):
    with mock.patch.object(SystemClock, "now", return_value=at):
        client.lambda_.invoke("sla_sweep", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))


def _moto_ses_messages():
    from moto.backends import get_backend

    return [
        {"destinations": m.destinations, "subject": m.subject, "body": m.body}
        for m in get_backend("ses")["123456789012"]["us-east-1"].sent_messages
    ]


def test_the_sweep_escalates_over_dynamodb_and_the_link_page_takes_the_breach(client):
    number = open_critical_ticket(client)
    now = datetime.now(UTC)
    sweep_at(client, now + timedelta(hours=2, minutes=1))
    emails = _moto_ses_messages()
    breach = [m for m in emails if "已超时" in m["subject"] and "派工" in m["subject"] and number in m["subject"]]
    # The supervisor owns the dispatch: its breach goes to the level above him (and, out of hours, a
    # critical job's also to whoever is on call for that level).
    chief = [m for m in breach if m["destinations"]["ToAddresses"] == ["chief.engineer@service-desk.local"]]
    assert len(chief) == 1 and {a for m in breach for a in m["destinations"]["ToAddresses"]} <= {
        "chief.engineer@service-desk.local", "duty.engineer@service-desk.local"}
    link = chief[0]["body"].split("https://desk.example.com")[1].split()[0]

    page = client.http.get(link).body.decode()
    assert number in page and 'id="schedule"' in page and "派工截止时间" in page and "dispatch due" not in page
    # The timeline too, from the events as DynamoDB gave them back.
    assert "时限监控: 时限预警/升级：派工超时：已升级到第 2 级（总工/技术部经理）" in page
    assert "supervisor: 分类定级：等级：A 特急" in page and "escalated to level" not in page
    english = client.http.get(f"{link}?lang=en").body.decode()
    assert "dispatch due" in english
    assert "deadline monitor: Deadline warning / escalation: dispatch missed: escalated to level 2" in english
    taken = client.http.post(f"{link}/acknowledge", body="", headers=FORM).body.decode()
    assert "已认领" in taken
    assert "已有人认领" in client.http.post(f"{link}/acknowledge", body="", headers=FORM).body.decode()

    sweep_at(client, now + timedelta(hours=5))
    later = [m for m in _moto_ses_messages() if "派工" in m["subject"] and "已超时" in m["subject"]]
    assert later == breach, "the acknowledged breach did not climb to level 3"


def test_a_leaders_notice_page_offers_the_take_button_and_records_who_took_it(client):
    number = open_critical_ticket(client)
    notice = [m for m in _moto_ses_messages()
              if number in m["subject"] and "gm@service-desk.local" in m["destinations"]["ToAddresses"]]
    link = notice[0]["body"].split("https://desk.example.com")[1].split()[0]
    page = client.http.get(link).body.decode()
    assert 'id="acknowledge"' in page and "认领此服务单" in page
    taken = client.http.post(f"{link}/acknowledge", body="", headers=FORM).body.decode()
    assert "已认领，王总经理" in taken and "第 3 级（总经理）认领了此服务单的通报" in taken
    assert 'id="acknowledge"' not in taken


def test_a_tampered_link_is_a_404(client):
    assert client.http.get("/escalations/not.a.jwt").status_code == 404


def outbox_purposes(number):
    items = aws_client("dynamodb").query(
        TableName="service-desk", KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
        ExpressionAttributeValues={":pk": {"S": f"TICKET#{number}"}, ":s": {"S": "OUTBOX#"}},
    )["Items"]
    return [(i["data"]["M"]["purpose"]["S"], i["data"]["M"]["recipient"]["S"]) for i in items]


def test_a_sweep_that_loses_the_race_to_another_sends_nothing(client):
    # moto in-process is not thread-safe, so the race is staged: the second sweep runs between the
    # first one's reads and its write, which DynamoDB's conditions must then refuse.
    number = open_critical_ticket(client)
    at = datetime.now(UTC) + timedelta(hours=4, minutes=1)
    services = wiring.services()
    record = DynamoTickets.record_escalation
    other_reports = []

    def overtaken(self, *args, **kwargs):
        with mock.patch.object(DynamoTickets, "record_escalation", record):
            other_reports.append(services.sla.sweep())
        return record(self, *args, **kwargs)

    with mock.patch.object(SystemClock, "now", return_value=at):
        with mock.patch.object(DynamoTickets, "record_escalation", overtaken):
            loser = services.sla.sweep()
        assert services.sla.sweep().steps_taken == 0, "a third sweep finds nothing left to do"

    # Refused, it read the ticket again as the other sweep left it and found nothing left to take.
    assert (loser.steps_taken, loser.conflicts) == (0, 0)
    assert other_reports[0].steps_taken > 0
    escalated = [p for p in outbox_purposes(number) if p[0].startswith("escalation:")]
    assert len(escalated) == len(set(escalated)), "nobody got the same step twice"
    holders = {"chief.engineer@service-desk.local", "+8613900000002", "gm@service-desk.local", "+8613900000003"}
    levels = sorted(p.rsplit(":", 1)[-1] for p, to in escalated
                    if p.startswith("escalation:breach:dispatched") and to in holders)
    assert levels == ["L2", "L2", "L3", "L3"], "each level above the owner once, by email and by SMS"


def test_a_sweep_that_dies_after_claiming_leaves_its_messages_for_the_outbox_schedule(client):
    number = open_critical_ticket(client)
    at = datetime.now(UTC) + timedelta(hours=2, minutes=1)
    services = wiring.services()
    with mock.patch.object(SystemClock, "now", return_value=at):
        with mock.patch.object(type(services.notifications), "deliver", side_effect=RuntimeError("crash")):
            services.sla.sweep()
        assert services.sla.sweep().steps_taken == 0, "claimed steps are not taken again"
        # The sweep's messages were written already claimed; while the dead sweep's lease runs, no one
        # else sends them (it might still be sending).
        assert not services.notifications.deliver_due()
    with mock.patch.object(SystemClock, "now", return_value=at + LEASE + timedelta(seconds=1)):
        delivered = services.notifications.deliver_due()
    assert any(m.purpose.startswith("escalation:breach:dispatched") for m in delivered)
    assert len(outbox_purposes(number)) == len(set(outbox_purposes(number)))
