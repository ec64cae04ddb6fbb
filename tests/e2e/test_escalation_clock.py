"""No promised deadline slips silently: on the running local stack, with its clock moved forward, an
untouched critical ticket climbs all three levels on time and a ticket dispatched in time does not."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import timedelta

import pytest

from chalicelib.adapters.clock import OffsetClock
from chalicelib.adapters.local_sent_messages import sent_messages
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Priority
from tests.e2e.stack import LocalStack
from tests.fakes import valid_report

pytestmark = pytest.mark.e2e


@pytest.fixture
def local_stack(start_private_stack) -> LocalStack:
    """A stack of its own: the ladder's timing must not depend on what other tests left behind (their
    archived customers' plans, a clock they moved)."""
    return start_private_stack()


def open_ticket(stack: LocalStack, customer: str) -> str:
    request = urllib.request.Request(
        stack.app_url + "/api/requests",
        data=json.dumps(valid_report(customer_name=customer)).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["number"]


def sent(stack: LocalStack) -> list[tuple[str, str, str]]:
    messages = sent_messages(stack.aws_url)[::-1]
    emails = [("email", m.to, m.subject) for m in messages if m.kind == "email" and m.subject]
    texts = [("sms", m.to, m.body) for m in messages if m.kind == "sms"]
    return emails + texts


def wait_for(stack: LocalStack, predicate, what: str, seconds: float = 120):
    """The message, once the job that sends it has run; ``seconds`` is a safety net, not a schedule."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [m for m in sent(stack) if predicate(m)]
        if found:
            return found
        time.sleep(0.5)
    subjects = "\n".join(f"{kind} {to}: {text[:80]}" for kind, to, text in sent(stack))
    raise AssertionError(f"no message {what} within {seconds} s; sent:\n{subjects}\n{stack.log()[-3000:]}")


def dispatch_escalations(stack: LocalStack, number: str) -> list[tuple[str, str, str]]:
    return [m for m in sent(stack) if m[0] == "email" and f"】{number} 派工" in m[2]]


def test_critical_ticket_climbs_the_ladder_and_a_dispatched_one_does_not(local_stack: LocalStack, desk) -> None:
    clock = OffsetClock(str(local_stack.state_dir / "clock.json"))
    untouched = open_ticket(local_stack, "无人处理公司")
    handled = open_ticket(local_stack, "准时响应公司")
    desk.classify(untouched, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    desk.classify(handled, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)

    # At once: the chief engineer and the general manager hear of both critical jobs (000 §4.4.2.1).
    wait_for(local_stack, lambda m: m[1] == "gm@service-desk.local" and untouched in m[2] and "特急" in m[2],
             "telling the general manager of the critical job")

    def advance(delta: timedelta) -> None:
        """Time passes, then the sweep and the delivery run at once, as the scheduler would run them."""
        clock.set_offset(clock.offset() + delta)
        local_stack.run_now("sla_sweep")
        local_stack.run_now("deliver_notifications")

    advance(timedelta(hours=1))
    desk.dispatch(handled, actor=SystemActor("supervisor"), technicians=("tech-1",))

    advance(timedelta(minutes=31))  # 1 h 31 m: 75 % of the 2 h dispatch target
    wait_for(local_stack, lambda m: m[1] == "supervisor@service-desk.local" and untouched in m[2]
             and "即将超时" in m[2] and "派工" in m[2], "warning the supervisor")

    # The supervisor owns the dispatch: missing it goes to the level above him.
    advance(timedelta(minutes=30))  # 2 h 01 m: missed -> level 2
    wait_for(local_stack, lambda m: m[1] == "chief.engineer@service-desk.local" and untouched in m[2]
             and "2级 已超时" in m[2] and "派工" in m[2], "escalating to level 2")

    advance(timedelta(hours=1))  # 3 h 01 m -> level 3
    wait_for(local_stack, lambda m: m[1] == "gm@service-desk.local" and untouched in m[2]
             and "3级 已超时" in m[2] and "派工" in m[2], "escalating to level 3")
    wait_for(local_stack, lambda m: m[0] == "sms" and m[1] == "+8613900000003" and untouched in m[2],
             "the SMS to the general manager")

    # Each level heard of the breach once, and the ticket dispatched in time never escalated.
    breach_mails = [m for m in dispatch_escalations(local_stack, untouched) if "已超时" in m[2]]
    holders = {"chief.engineer@service-desk.local", "gm@service-desk.local"}  # and, at night, whoever is on call
    assert sorted(m[1] for m in breach_mails if m[1] in holders) == sorted(holders)
    assert "supervisor@service-desk.local" not in {m[1] for m in breach_mails}
    assert dispatch_escalations(local_stack, handled) == []
