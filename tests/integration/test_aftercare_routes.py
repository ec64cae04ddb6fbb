"""After-care pages and storage under moto with real Cognito tokens: the survey link from the approval's
outbox, callbacks, maintenance, complaints — who may see and do what, and bad input answered 4xx next to
the field. The clock is the local clock file, moved forward like ``/local/clock`` does."""

import json
import re
from datetime import date, timedelta
from unittest import mock
from urllib.parse import urlencode

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters.dynamodb_aftercare import DynamoAftercare
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.memory import MemoryTickets
from chalicelib.adapters.memory_aftercare import MemoryAftercare
from chalicelib.domain.aftercare import Callback, CallbackReason, CallbackTask, MaintenanceSchedule, Visit
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Action
from chalicelib.i18n import t
from chalicelib.services.moves import TicketMoves
from chalicelib.services.ports import StaleTicket
from chalicelib.settings import get_settings
from tests.integration.test_supervisor_pages import IN_A_MONTH, Tokens, get, new_ticket, post

S = StaffRole
IN_TWO_MONTHS = IN_A_MONTH + timedelta(days=30)


@pytest.fixture
def tokens(staff_token, clock_file):
    return Tokens(staff_token)


def approved_job(client, tokens):
    number = new_ticket(client)["number"]
    desk = wiring.services().desk
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE):
        desk.move(number, action, actor=SystemActor("sup"), summary=action.value)
    response = post(client, f"/staff/approvals/{number}/approve", tokens["supervisor"])
    assert response.status_code == 303, response.body
    return number


def outbox_texts(number):
    items = boto3.client("dynamodb").query(
        TableName=get_settings().table_name, KeyConditionExpression="pk = :pk AND begins_with(sk, :o)",
        ExpressionAttributeValues={":pk": {"S": f"TICKET#{number}"}, ":o": {"S": "OUTBOX#"}})["Items"]
    return [json.loads(json.dumps(boto3.dynamodb.types.TypeDeserializer().deserialize(i["data"]), default=str))
            for i in items]


def survey_path(number):
    [sms] = [m for m in outbox_texts(number) if m["purpose"] == "survey" and m["channel"] == "sms"]
    return "/s/" + re.search(r"/s/([\w.\-]+)", sms["text"]).group(1)


# -- the survey -----------------------------------------------------------------------------------


def test_the_customer_answers_the_survey_from_the_approval_message_once(client, tokens):
    number = approved_job(client, tokens)
    path = survey_path(number)
    page = client.http.get(path)
    assert page.status_code == 200 and "总体满意度" in page.body.decode()
    assert "Overall" in client.http.get(path + "?lang=en").body.decode()

    bad = client.http.post(path, body=urlencode({"overall": "9", "timeliness": "4", "comment": "准时"}),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 400
    assert 'id="overall-error"' in bad.body.decode() and "准时" in bad.body.decode()

    form = {"overall": "5", "timeliness": "4", "attitude": "5", "quality": "4", "comment": "很好"}
    done = client.http.post(path, body=urlencode(form), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 303
    assert wiring.services().desk._tickets.get(number).survey.overall == 5
    again = client.http.post(path, body=urlencode(form), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert again.status_code == 409 and 'id="survey-answered"' in again.body.decode()


def test_an_expired_or_forged_survey_link_is_refused(client, tokens, clock_file):
    path = survey_path(approved_job(client, tokens))
    assert client.http.get(path[:-3] + "abc").status_code == 404
    clock_file.set_offset(timedelta(days=31))
    expired = client.http.get(path)
    assert expired.status_code == 410 and 'id="survey-expired"' in expired.body.decode()


# -- callbacks ------------------------------------------------------------------------------------


def test_the_desk_records_a_callback_due_after_the_repair(client, tokens, clock_file):
    number = approved_job(client, tokens)
    assert number not in get(client, "/staff/callbacks", tokens["desk"]).body.decode()
    clock_file.set_offset(timedelta(days=5, hours=12))
    page = get(client, "/staff/callbacks", tokens["desk"]).body.decode()
    task = re.search(r'data-task="([^"]+)" data-number="' + number, page).group(1)

    missing = post(client, "/staff/callbacks", tokens["desk"], {"task": task, "reached": "yes", "notes": "回访"})
    assert missing.status_code == 400 and "回访" in missing.body.decode()

    done = post(client, "/staff/callbacks", tokens["desk"],
                {"task": task, "reached": "yes", "satisfied": "no", "problem": "complaint", "notes": "仍有异响"})
    assert done.status_code == 303 and "follow_up=SD-" in done.headers["Location"]
    follow_up = re.search(r"follow_up=(SD-[\d-]+)", done.headers["Location"]).group(1)
    assert follow_up in get(client, "/staff/complaints", tokens["desk"]).body.decode()
    assert number not in get(client, "/staff/callbacks", tokens["desk"]).body.decode()
    again = post(client, "/staff/callbacks", tokens["desk"], {"task": task, "reached": "no"})
    assert again.status_code == 404


def test_a_callback_refused_without_a_field_to_blame_says_why_on_the_page(client, tokens, clock_file):
    number = approved_job(client, tokens)
    clock_file.set_offset(timedelta(days=5, hours=12))
    page = get(client, "/staff/callbacks?lang=en", tokens["desk"]).body.decode()
    task = re.search(r'data-task="([^"]+)" data-number="' + number, page).group(1)

    # Others kept changing the job while its callback was written down.
    with mock.patch.object(TicketMoves, "move", side_effect=StaleTicket(number)):
        refused = post(client, "/staff/callbacks?lang=en", tokens["desk"], {"task": task, "reached": "no"})

    assert refused.status_code == 409
    assert t("en", "error.api.stale") in refused.body.decode()


@pytest.mark.parametrize("path", ["/staff/callbacks", "/staff/maintenance"])
@pytest.mark.parametrize("who, status", [("desk", 200), ("supervisor", 200), ("admin", 200), ("wang", 403),
                                          ("quality", 403), ("general_manager", 403)])
def test_only_the_office_sees_callbacks_and_maintenance(client, tokens, path, who, status):
    assert get(client, path, tokens[who]).status_code == status
    if status == 403:
        assert post(client, path, tokens[who], {}).status_code == 403
    assert get(client, path).status_code == 303  # not signed in: to the sign-in page


def test_a_schedule_for_an_unknown_product_is_a_400_next_to_the_field(client, tokens):
    response = post(client, "/staff/maintenance", tokens["desk"], {"serial_number": "NOPE-1", "every_months": "6",
                                                                   "start": str(IN_A_MONTH)})
    assert response.status_code == 400 and 'id="serial_number-error"' in response.body.decode()
    assert "NOPE-1" in response.body.decode()


def test_a_schedule_of_dates_only_is_saved_as_the_browser_sends_it_with_the_other_fields_blank(client, tokens):
    archive = wiring.services().archive
    archive.save_customer(archive.parse_customer({"customer_id": "C-8", "name": "常州电力", "phones": "13900139001",
                                                  "province": "CN-JS"}), actor=SystemActor("desk"))
    archive.save_product(archive.parse_product({"serial_number": "SN-78", "model": "KYN28", "warranty_months": 12}),
                         customer_id="C-8", actor=SystemActor("desk"))
    visit = wiring.services().aftercare.today() + timedelta(days=10)
    form = {"serial_number": "SN-78", "start": "", "every_months": "", "dates": visit.isoformat()}
    assert post(client, "/staff/maintenance", tokens["desk"], form).status_code == 303
    zero = post(client, "/staff/maintenance?lang=en", tokens["desk"], {**form, "every_months": "0"})
    assert zero.status_code == 400 and 'id="every_months-error"' in zero.body.decode()
    assert visit.isoformat() in zero.body.decode(), "the input is kept"


def test_the_daily_job_reminds_a_week_before_a_visit(client, tokens, clock_file):
    from app import app

    archive = wiring.services().archive
    archive.save_customer(archive.parse_customer({"customer_id": "C-9", "name": "无锡电力", "phones": "13900139000",
                                                  "province": "CN-JS"}), actor=SystemActor("desk"))
    archive.save_product(archive.parse_product({"serial_number": "SN-77", "model": "KYN28", "warranty_months": 12}),
                         customer_id="C-9", actor=SystemActor("desk"))
    visit = wiring.services().aftercare.today() + timedelta(days=7)
    saved = post(client, "/staff/maintenance", tokens["desk"], {"serial_number": "sn-77", "dates": visit.isoformat()})
    assert saved.status_code == 303
    assert 'data-serial="SN-77"' in get(client, "/staff/maintenance", tokens["desk"]).body.decode()

    from chalice.test import Client

    with Client(app) as lambda_client:
        event = lambda_client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event",
                                                       detail={}, resources=[])
        first = lambda_client.lambda_.invoke("maintenance_reminders", event)
        second = lambda_client.lambda_.invoke("maintenance_reminders", event)
    assert first.payload == {"reminded": 1} and second.payload == {"reminded": 0}
    assert [m["channel"] for m in outbox_texts("PRODUCT-SN-77")] == ["sms"]


# -- complaints -----------------------------------------------------------------------------------

COMPLAINT = {"customer_name": "常州机电", "phone": "13800138000", "province": "CN-JS", "address": "武进区 1 号",
             "product_model": "KYN28-12", "description": "批次不良", "order_number": "PO-7", "part_number": "P-1",
             "ship_date": "2026-10-01", "quantity": "50", "defective_quantity": "5", "customer_request": "换货",
             "severity": "severe"}


def new_complaint(client, tokens):
    response = post(client, "/staff/complaints", tokens["desk"], COMPLAINT)
    assert response.status_code == 303, response.body
    return re.search(r"/staff/complaints/(SD-[\d-]+)", response.headers["Location"]).group(1)


def test_a_severe_complaint_runs_its_flow_through_the_right_people(client, tokens):
    number = new_complaint(client, tokens)
    url = f"/staff/complaints/{number}"
    assert post(client, f"{url}/reply", tokens["desk"], {"reply_by": f"{IN_A_MONTH}T10:00"}).status_code == 303
    assert post(client, f"{url}/analyse", tokens["desk"], {"cause": "quality", "department": "x"}).status_code == 403
    assert post(client, f"{url}/analyse", tokens["quality"], {"cause": "quality", "department": "生产部"}).status_code == 303
    assert post(client, f"{url}/propose", tokens["desk"], {"text": "换货", "compensation": "800"}).status_code == 303
    assert post(client, f"{url}/approve", tokens["general_manager"]).status_code == 403  # the supervisor first
    assert post(client, f"{url}/approve", tokens["supervisor"]).status_code == 303
    assert post(client, f"{url}/approve", tokens["supervisor"]).status_code == 403  # now it is the GM's turn
    assert post(client, f"{url}/approve", tokens["general_manager"]).status_code == 303
    assert post(client, f"{url}/agree", tokens["desk"]).status_code == 303
    assert post(client, f"{url}/capa", tokens["desk"], {"kind": "corrective"}).status_code == 403
    capa = {"kind": "corrective", "description": "加强来料检验", "owner": "li", "due": str(IN_TWO_MONTHS)}
    assert post(client, f"{url}/capa", tokens["quality"], capa).status_code == 303
    page = get(client, url, tokens["general_manager"]).body.decode()
    assert 'data-state="agreed"' in page and 'data-status="open"' in page and 'data-milestone="resolved"' in page
    closing = post(client, f"{url}/close", tokens["desk"])
    assert closing.status_code == 409 and "未验证" in closing.body.decode()


def test_the_complaint_pages_deadlines_are_named_in_the_pages_language(client, tokens):
    number = new_complaint(client, tokens)
    url = f"/staff/complaints/{number}"
    assert post(client, f"{url}/reply", tokens["desk"], {"reply_by": f"{IN_A_MONTH}T10:00"}).status_code == 303

    def deadlines(page):
        found = re.search(r'<ul id="deadlines">(.*?)</ul>', page, re.DOTALL).group(1)
        return re.findall(r'data-milestone="(\w+)" data-state="(\w+)">(.*?)</li>', found)

    due = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"  # in the service's time zone, as everywhere
    chinese = deadlines(get(client, url, tokens["desk"]).body.decode())
    assert [(m, s) for m, s, _ in chinese] == [("contacted", "met"), ("resolved", "pending")]
    assert re.fullmatch(f"联系报修人 · {due} · 按时完成", chinese[0][2]), chinese
    assert re.fullmatch(f"修复 · {due} · 进行中", chinese[1][2]), chinese
    english = deadlines(get(client, f"{url}?lang=en", tokens["desk"]).body.decode())
    assert re.fullmatch(f"contact the reporter · {due} · met", english[0][2]), english
    assert re.fullmatch(f"resolved · {due} · running", english[1][2]), english


@pytest.mark.parametrize("who, status", [("desk", 200), ("supervisor", 200), ("quality", 200),
                                          ("general_manager", 200), ("admin", 200), ("wang", 403),
                                          ("chief_engineer", 403)])
def test_who_may_see_complaints(client, tokens, who, status):
    assert get(client, "/staff/complaints", tokens[who]).status_code == status


def test_a_complaint_with_bad_fields_is_a_400_with_the_input_kept(client, tokens):
    response = post(client, "/staff/complaints", tokens["desk"], {**COMPLAINT, "defective_quantity": "60",
                                                                  "ship_date": "not-a-date"})
    body = response.body.decode()
    assert response.status_code == 400 and 'id="ship_date-error"' in body and "常州机电" in body
    too_many = post(client, "/staff/complaints", tokens["desk"], {**COMPLAINT, "defective_quantity": "60"})
    assert too_many.status_code == 400 and 'id="defective_quantity-error"' in too_many.body.decode()
    assert post(client, "/staff/complaints", tokens["quality"], COMPLAINT).status_code == 403


def test_a_bad_reply_time_is_a_400_next_to_the_field(client, tokens):
    number = new_complaint(client, tokens)
    response = post(client, f"/staff/complaints/{number}/reply", tokens["desk"], {"reply_by": "tomorrow"})
    assert response.status_code == 400 and 'id="reply-reply_by-error"' in response.body.decode()
    assert get(client, "/staff/complaints/SD-2000-999999", tokens["desk"]).status_code == 404


# -- one contract for both stores -------------------------------------------------------------------


@pytest.fixture(params=["memory", "dynamodb"])
def store(request):
    if request.param == "memory":
        return MemoryAftercare(MemoryTickets())
    aws = request.getfixturevalue("aws")
    assert aws
    return DynamoAftercare(get_settings().table_name, DynamoTickets(get_settings().table_name))


def task(day: date, ref: str) -> CallbackTask:
    return CallbackTask(reason=CallbackReason.REPAIR, due_from=day, due_by=day + timedelta(days=2),
                        customer_name="x", phone="+8613800138000", ticket_number=ref)


def test_store_callbacks_are_handed_out_once_and_listed_by_day(store):
    early, late = task(date(2026, 12, 1), "SD-1"), task(date(2026, 12, 5), "SD-2")
    assert store.add_callback(early) and store.add_callback(late) and not store.add_callback(early)
    assert store.open_callbacks(date(2026, 12, 4)) == [early]
    assert store.callback(late.id) == late
    from datetime import UTC, datetime

    at = datetime(2026, 12, 2, tzinfo=UTC)
    assert store.close_callback(early, Callback(outcome="satisfied"), at)
    assert not store.close_callback(early, Callback(outcome="satisfied"), at)
    assert not store.add_callback(early)  # done tasks never come back
    assert [r.outcome for r in store.callbacks_of_month("2026-12")] == ["satisfied"]


def test_store_visits_are_listed_by_day_and_reminded_once(store):
    from datetime import UTC, datetime

    days = [date(2026, 12, 30), date(2027, 1, 2), date(2027, 3, 1)]
    schedule = MaintenanceSchedule(serial_number="SN-1", start=days[0], dates=tuple(days))
    store.put_schedule(schedule, days, keep_from=date(2026, 12, 1))
    assert [v.on for v in store.visits(date(2026, 12, 29), date(2027, 1, 31))] == days[:2]
    visit = Visit(serial_number="SN-1", on=days[0])
    assert store.claim_reminder(visit, datetime(2026, 12, 23, tzinfo=UTC), [])
    assert not store.claim_reminder(visit, datetime(2026, 12, 23, tzinfo=UTC), [])
    store.put_schedule(schedule.model_copy(update={"dates": (days[0],)}), [days[0]], keep_from=date(2026, 12, 1))
    [kept] = store.visits(date(2026, 12, 1), date(2027, 12, 31))
    assert kept.on == days[0] and kept.reminded_at is not None
    assert store.schedule("SN-1").dates == (days[0],)
