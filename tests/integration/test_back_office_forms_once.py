"""The back office's forms are answered once too: a billing decision, a parts request, a loaner, a new
complaint, a new customer in the archive and a callback, sent twice with the key their page gave them,
record once and answer the same redirect both times."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib import wiring
from chalicelib.adapters.dynamodb_aftercare import DynamoAftercare
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.aftercare import CallbackReason, CallbackTask
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Action
from chalicelib.settings import get_settings
from tests.integration.test_staff_forms_once import actions, form_key, new_ticket, page, post


def sent_twice(client, token, path, fields, key):
    first = post(client, path, token, {**fields, "idempotency_key": key})
    again = post(client, path, token, {**fields, "idempotency_key": key})
    assert first.status_code == again.status_code == 303, again.body
    assert first.headers["Location"] == again.headers["Location"]
    return first.headers["Location"]


@pytest.fixture
def supervisor(staff_token):
    return staff_token("supervisor", StaffRole.SUPERVISOR)


@pytest.fixture
def desk(staff_token):
    return staff_token("desk", StaffRole.DESK)


def test_a_billing_decision_parts_request_and_loaner_sent_twice_are_each_recorded_once(client, aws, supervisor):
    number = new_ticket().number
    wiring.services().desk.classify(number, actor=SystemActor("supervisor"), plan="premium")
    base = f"/staff/tickets/{number}"

    key = form_key(page(client, f"{base}/quote", supervisor), f"{base}/billing")
    sent_twice(client, supervisor, f"{base}/billing", {"billing": "paid", "reason": "misuse"}, key)
    assert len(actions(number, Action.DECIDE_BILLING)) == 1

    key = form_key(page(client, f"{base}/parts", supervisor), "parts-form")
    sent_twice(client, supervisor, f"{base}/parts", {"part_number_1": "VS1-12", "name_1": "真空断路器",
                                                     "quantity_1": "1"}, key)
    assert len(actions(number, Action.REQUEST_PARTS)) == 1

    key = form_key(page(client, f"{base}/loaner", supervisor), "loaner-form")
    sent_twice(client, supervisor, f"{base}/loaner", {"model": "KYN28-12", "serial_number": "L-01",
                                                      "issued_to": "王工", "issued_on": date.today().isoformat()}, key)
    assert len(actions(number, Action.ISSUE_LOANER)) == 1


def test_a_new_complaint_sent_twice_opens_one_ticket(client, aws, desk):
    key = form_key(page(client, "/staff/complaints", desk), "complaint-form")
    complaint = {"customer_name": "重复提交机电", "phone": "13800138000", "province": "CN-JS", "address": "武进区 1 号",
                 "product_model": "KYN28-12", "description": "批次不良", "order_number": "PO-7", "part_number": "P-1",
                 "ship_date": "2026-10-01", "quantity": "50", "defective_quantity": "5", "customer_request": "换货",
                 "severity": "severe"}
    location = sent_twice(client, desk, "/staff/complaints", complaint, key)
    number = re.search(r"/staff/complaints/(SD-[\d-]+)", location).group(1)
    assert page(client, "/staff/complaints", desk).count("重复提交机电") == 1, number


def test_a_new_customer_sent_twice_is_archived_once_not_refused_as_a_duplicate(client, aws, desk):
    key = form_key(page(client, "/staff/archive/customers/new", desk), "customer-form")
    customer = {"customer_id": "C-TWICE", "name": "无锡电机厂", "phones": "13700137000", "province": "CN-JS",
                "plan": "basic", "key_customer": "yes"}
    location = sent_twice(client, desk, "/staff/archive/customers", customer, key)
    assert location.endswith("/staff/archive/customers/C-TWICE?saved=1")


def test_a_callback_recorded_twice_is_one_callback(client, aws, desk):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    number = new_ticket().number
    for action in (Action.CLASSIFY, Action.DISPATCH, Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE, Action.APPROVE):
        wiring.services().desk.move(number, action, actor=SystemActor("sup"), summary=action.value)  # a job done and approved
    store = DynamoAftercare(get_settings().table_name, DynamoTickets(get_settings().table_name))
    task = CallbackTask(reason=CallbackReason.REPAIR, due_from=today - timedelta(days=1), due_by=today + timedelta(days=1),
                        customer_name="回访客户", phone="+8613800138000", ticket_number=number)
    assert store.add_callback(task)
    html = page(client, "/staff/callbacks", desk)
    section = html[html.index(f'data-task="{task.id}"'):]
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', section).group(1)
    sent_twice(client, desk, "/staff/callbacks", {"task": task.id, "reached": "yes", "satisfied": "yes",
                                                   "notes": "运行正常"}, key)
    assert len(store.callbacks_of_month(today.strftime("%Y-%m"))) == 1
