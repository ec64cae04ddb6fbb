"""Outgoing webhooks over the in-memory fakes: each event a subscription picked becomes one signed
delivery written with the event, retried with backoff while the receiver fails, and logged."""

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from chalicelib.domain.aftercare import SurveyInput
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action, Priority
from chalicelib.domain.webhooks import (
    MOST_SUBSCRIPTIONS,
    SIGNATURE_HEADER,
    AttemptOutcome,
    SubscriptionRequest,
    WebhookEvent,
    verify_signature,
)
from chalicelib.services.webhooks import (
    SubscriptionCache,
    TooManySubscriptions,
    UnknownSubscription,
    UnusableSecret,
    WebhookService,
)
from tests.fakes import fake_world, valid_report
from tests.service.test_aftercare import closed_job, survey_token

SECRET_NAME = "service-desk/webhook/erp"
SECRET = "s3cr3t-" * 6


def subscribed(*events: WebhookEvent, url="https://erp.example.com/hooks/desk"):
    world = fake_world()
    world.secrets[SECRET_NAME] = SECRET
    request = SubscriptionRequest(name="ERP", url=url, events=frozenset(events), secret_name=SECRET_NAME)
    subscription = world.webhook_service.register(request, actor=SystemActor("admin"))
    return world, subscription


def submit(world) -> str:
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    return receipt.number


def webhook_messages(world):
    return [m for m in world.tickets.messages.values() if m.channel == MessageChannel.WEBHOOK]


def bodies(world):
    return [json.loads(body) for _, body, _ in world.receiver.posts]


def test_an_opened_ticket_reaches_the_subscriber_signed_with_its_secret():
    world, _ = subscribed(WebhookEvent.TICKET_OPENED)
    number = submit(world)
    world.services.notifications.deliver_due()

    ((url, body, headers),) = world.receiver.posts
    assert url == "https://erp.example.com/hooks/desk"
    delivery = json.loads(body)
    assert (delivery["event"], delivery["ticket"]["number"], delivery["ticket"]["status"]) == (
        "ticket.opened",
        number,
        "new",
    )
    assert verify_signature(SECRET, headers[SIGNATURE_HEADER], body, now=int(headers[SIGNATURE_HEADER][2:12]))
    assert not verify_signature(
        "another-secret-" * 3, headers[SIGNATURE_HEADER], body, now=int(headers[SIGNATURE_HEADER][2:12])
    )


def test_a_signature_header_with_letters_beyond_ascii_is_simply_not_ours():
    assert not verify_signature(SECRET, "t=1700000000,v1=签名", b"{}", now=1700000000)


def test_a_delivery_carries_nothing_personal():
    world, _ = subscribed(WebhookEvent.TICKET_OPENED)
    submit(world)
    world.services.notifications.deliver_due()
    text = world.receiver.posts[0][1].decode()
    for personal in ("13800138000", "王工", "苏州精密机械有限公司", "星湖街"):
        assert personal not in text


def test_a_cancellation_is_sent_without_the_reason_staff_typed():
    world, _ = subscribed(WebhookEvent.TICKET_CANCELLED)
    number = submit(world)
    world.services.desk.cancel(number, actor=SystemActor("supervisor"), reason="客户王工 13800138000 说设备已自行修好")
    world.services.notifications.deliver_due()

    (cancelled,) = bodies(world)
    assert (cancelled["event"], cancelled["detail"]) == ("ticket.cancelled", {"status": "cancelled"})
    assert "13800138000" not in world.receiver.posts[0][1].decode()


def test_only_the_events_a_subscription_picked_are_sent():
    world, _ = subscribed(WebhookEvent.TICKET_DISPATCHED, WebhookEvent.TICKET_CANCELLED)
    number = submit(world)
    world.services.desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.URGENT)
    world.services.desk.dispatch(number, actor=SystemActor("supervisor"), technicians=("tech-wang",))
    world.services.notifications.deliver_due()

    assert [(b["event"], b["ticket"]["assignees"], b["detail"]) for b in bodies(world)] == [
        ("ticket.dispatched", ["tech-wang"], {"assignees": ["tech-wang"], "status": "dispatched"})
    ]


def test_a_missed_deadline_is_sent_as_a_breach_and_a_warning_is_not():
    world, _ = subscribed(WebhookEvent.DEADLINE_BREACHED)
    number = submit(world)
    world.services.desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    for _ in range(6):
        world.clock.advance(timedelta(minutes=30))
        world.services.sla.sweep()
    world.services.notifications.deliver_due()

    breaches = bodies(world)
    assert breaches, "a critical job left alone for three hours has missed a deadline"
    assert {b["event"] for b in breaches} == {"deadline.breached"}
    assert all(b["detail"]["milestone"] and b["detail"]["level"] >= 1 for b in breaches)


def test_a_closed_job_and_its_answered_survey_are_sent_with_the_scores_but_not_the_customers_words():
    world, _ = subscribed(WebhookEvent.TICKET_CLOSED, WebhookEvent.SURVEY_ANSWERED)
    number = closed_job(world)
    world.services.aftercare.job_closed(number)
    answer = SurveyInput(overall=5, timeliness=4, attitude=5, quality=3, comment="师傅很专业")
    world.services.aftercare.answer(survey_token(world, number), answer)
    world.services.notifications.deliver_due()

    closed, answered = bodies(world)
    assert (closed["event"], closed["ticket"]["status"]) == ("ticket.closed", "closed")
    assert answered["event"] == "survey.answered"
    assert {k: answered["detail"][k] for k in ("overall", "timeliness", "attitude", "quality")} == {
        "overall": 5,
        "timeliness": 4,
        "attitude": 5,
        "quality": 3,
    }
    assert "师傅很专业" not in world.receiver.posts[1][1].decode()


def test_a_failing_receiver_is_retried_with_backoff_until_it_takes_the_delivery():
    world, subscription = subscribed(WebhookEvent.TICKET_OPENED)
    world.receiver.script = [503, 500]
    submit(world)
    world.services.notifications.deliver_due()
    (message,) = webhook_messages(world)
    assert message.state == DeliveryState.PENDING and message.attempts == 1

    world.clock.advance(timedelta(minutes=1))
    world.services.notifications.deliver_due()
    world.clock.advance(timedelta(minutes=1))
    world.services.notifications.deliver_due()  # the second wait is two minutes: not yet
    world.clock.advance(timedelta(minutes=1))
    world.services.notifications.deliver_due()

    (message,) = webhook_messages(world)
    assert message.state == DeliveryState.SENT and message.attempts == 3
    ids = {json.loads(body)["id"] for _, body, _ in world.receiver.posts}
    assert len(ids) == 1, "a retry repeats the delivery's id, so the receiver can deduplicate"
    log = world.webhook_service.log(subscription.id)
    assert [(a.attempt, a.outcome, a.status_code) for a in log] == [
        (3, AttemptOutcome.DELIVERED, 200),
        (2, AttemptOutcome.WILL_RETRY, 500),
        (1, AttemptOutcome.WILL_RETRY, 503),
    ]


def test_a_receiver_that_refuses_the_delivery_fails_it_for_good_on_the_ticket():
    world, subscription = subscribed(WebhookEvent.TICKET_OPENED)
    world.receiver.script = [410]
    number = submit(world)
    world.services.notifications.deliver_due()

    (message,) = webhook_messages(world)
    assert message.state == DeliveryState.FAILED
    assert world.webhook_service.log(subscription.id)[0].outcome == AttemptOutcome.FAILED
    assert any((e.payload.channel, e.payload.outcome) == ("webhook", "failed")
               for e in world.tickets.events(number) if e.action == Action.NOTIFY)


def test_a_removed_subscription_hears_nothing_more_and_its_pending_deliveries_fail():
    world, subscription = subscribed(WebhookEvent.TICKET_OPENED)
    submit(world)
    world.webhook_service.remove(subscription.id, actor=SystemActor("admin"))
    submit(world)
    world.services.notifications.deliver_due()

    assert world.receiver.posts == []
    assert [m.state for m in webhook_messages(world)] == [DeliveryState.FAILED]
    with pytest.raises(UnknownSubscription):
        world.webhook_service.remove(subscription.id, actor=SystemActor("admin"))


def test_a_secret_that_cannot_sign_is_refused_when_subscribing():
    world = fake_world()
    world.secrets["service-desk/webhook/short"] = "too-short"
    for name in ("service-desk/webhook/short", "service-desk/webhook/missing"):
        with pytest.raises(UnusableSecret):
            world.webhook_service.register(
                SubscriptionRequest(
                    name="ERP",
                    url="https://erp.example.com/h",
                    events=frozenset({WebhookEvent.TICKET_OPENED}),
                    secret_name=name,
                ),
                actor=SystemActor("admin"),
            )
    assert world.webhooks.stored == {}


@pytest.mark.parametrize(
    "field, value",
    [
        ("url", "http://erp.example.com/h"),
        ("url", "https://user:pw@erp.example.com/h"),
        # Not the internet: the metadata service, the function's own machine, the private networks.
        ("url", "https://169.254.169.254/latest/meta-data"),
        ("url", "https://127.0.0.1:9001/2018-06-01/runtime/invocation/next"),
        ("url", "https://10.0.0.8/h"),
        ("url", "https://[::1]/h"),
        ("url", "https://[fd00::1]/h"),
        ("url", "http://192.168.1.20/h"),
        ("url", "https://localhost/h"),
        ("secret_name", "service-desk/chat/desk"),
        ("events", []),
        ("events", ["ticket.deleted"]),
    ],
)
def test_a_subscription_must_name_an_https_url_our_events_and_a_webhook_secret(field, value):
    fields = {
        "name": "ERP",
        "url": "https://erp.example.com/h",
        "events": ["ticket.opened"],
        "secret_name": SECRET_NAME,
        field: value,
    }
    with pytest.raises(ValidationError):
        SubscriptionRequest.model_validate(fields)


def test_without_subscriptions_a_ticket_writes_no_deliveries():
    world = fake_world()
    number = submit(world)
    world.services.desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.URGENT)
    assert webhook_messages(world) == []


def test_subscriptions_are_read_once_a_minute_and_a_failed_read_keeps_the_ones_read_before():
    world, subscription = subscribed(WebhookEvent.TICKET_OPENED)
    world.webhooks.reads = 0  # subscribing read them too
    seconds = [0.0]
    cache = SubscriptionCache(world.webhooks, seconds=60, monotonic=lambda: seconds[0])
    assert cache.current() == [subscription] and world.webhooks.reads == 1
    seconds[0] = 30.0
    assert cache.current() == [subscription] and world.webhooks.reads == 1

    def unavailable():
        raise RuntimeError("throttled")

    world.webhooks.subscriptions = unavailable
    seconds[0] = 61.0
    assert cache.current() == [subscription]
    with pytest.raises(RuntimeError):
        SubscriptionCache(world.webhooks, seconds=60).current()


def test_no_more_subscriptions_than_a_ticket_write_can_carry_deliveries_for():
    world, first = subscribed(WebhookEvent.TICKET_OPENED)
    request = SubscriptionRequest(name="ERP", url="https://erp.example.com/hooks/desk",
                                  events=frozenset({WebhookEvent.TICKET_OPENED}), secret_name=SECRET_NAME)
    for _ in range(MOST_SUBSCRIPTIONS - 1):
        world.webhook_service.register(request, actor=SystemActor("admin"))
    with pytest.raises(TooManySubscriptions):
        world.webhook_service.register(request, actor=SystemActor("admin"))
    world.webhook_service.remove(first.id, actor=SystemActor("admin"))
    world.webhook_service.register(request, actor=SystemActor("admin"))  # one removed makes room for one


def test_a_subscription_made_or_removed_in_this_function_is_heard_by_its_next_ticket_write():
    world = fake_world()
    world.secrets[SECRET_NAME] = SECRET
    cache = SubscriptionCache(world.webhooks, seconds=60, monotonic=lambda: 0.0)
    service = WebhookService(world.webhooks, world.secrets.__getitem__, world.clock, cache.clear)
    assert cache.current() == []
    request = SubscriptionRequest(name="ERP", url="https://erp.example.com/hooks/desk",
                                  events=frozenset({WebhookEvent.TICKET_OPENED}), secret_name=SECRET_NAME)
    subscription = service.register(request, actor=SystemActor("admin"))
    assert cache.current() == [subscription]
    service.remove(subscription.id, actor=SystemActor("admin"))
    assert cache.current() == []
