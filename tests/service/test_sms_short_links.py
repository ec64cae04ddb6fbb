"""Every SMS carries a short link (``/l/<id>``, the id kept server-side) instead of a signed token, so a
notice fits one 70-character message where its words allow; each starts with the desk's sign name; a
short link leads to the long one until the long one's token expires, and then to nothing."""

from datetime import date, timedelta

import pytest

from chalicelib.adapters.memory import RecordingNotifier
from chalicelib.adapters.memory_short_links import MemoryShortLinks
from chalicelib.adapters.signed_links import JwtLinkSigner
from chalicelib.domain.billing import BillingReason
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.short_links import ID_LENGTH
from chalicelib.domain.sms import fullest_in_one_message, gsm_segments, segments
from chalicelib.domain.ticket import Action, Billing, Priority
from chalicelib.i18n import t
from chalicelib.services.short_links import ShortLinks, ShortLinkSms, sms_text
from tests.fakes import fake_world, valid_report
from tests.service.test_billing import LINES

BASE = "https://desk.example.com"
SIGNER = JwtLinkSigner("test-secret-that-is-long-enough-for-hs256")  # the fake world's
SIGN_NAMES = {"zh-CN": "【售后服务】", "en": "[Service desk] "}

# The most messages each Chinese SMS may take (mainland carriers: 70 characters to one). Staff SMS are in
# Chinese whatever the customer's language. With the desk at a short address every one fits one: a
# dispatch, a leader's notice and a quote in a shorter wording than their email's.
MOST_SEGMENTS = {
    "customer_confirmation": 1,
    "survey": 1,
    "maintenance_reminder": 1,
    "escalation:breach": 1,
    "quote": 1,
    "dispatch_notice": 1,
    "escalation:notice": 1,
}


def every_sms(lang):
    """The SMS of one customer's tickets, start to end, each purpose at least once (maintenance aside)."""
    world = fake_world()
    services = world.services
    number = services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language=lang).number
    services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.CRITICAL)  # leaders are told at once
    world.clock.advance(timedelta(hours=3))  # the supervisor's contact deadline is missed
    services.sla.sweep()
    services.notifications.deliver_due()
    services.desk.record_contact(number, actor=SystemActor("sup"))
    services.desk.dispatch(number, actor=SystemActor("sup"), technicians=("tech-wang",))
    for action in (Action.CHECK_IN, Action.UPLOAD_ACCEPTANCE, Action.APPROVE):
        services.desk.move(number, action, actor=SystemActor("sup"), summary=action.value)
    services.aftercare.job_closed(number)
    paid = services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language=lang).number
    services.billing.decide_billing(paid, actor=SystemActor("sup"), billing_kind=Billing.PAID, reason=BillingReason.OUT_OF_WARRANTY)
    services.billing.draft_quote(paid, actor=SystemActor("sup"), lines=LINES, valid_until=date(2026, 12, 31))
    services.billing.send_quote(paid, actor=SystemActor("sup"))
    return world, [m for m in world.notifier.sent if m.channel == MessageChannel.SMS]


def sent_through_the_sms_channel(world, messages):
    phone, links = RecordingNotifier(), ShortLinks(MemoryShortLinks(), world.clock, BASE, SIGNER.expiry)
    channel = ShortLinkSms(phone, links)
    for message in messages:
        channel.send(message)
    return phone.sent, links


def purpose_of(message):
    return next(p for p in MOST_SEGMENTS if message.purpose.startswith(p))


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_each_sms_purpose_fits_its_number_of_messages_with_a_short_link_and_the_sign_name(lang):
    world, stored = every_sms(lang)
    sent, links = sent_through_the_sms_channel(world, stored)

    assert {purpose_of(m) for m in sent} == set(MOST_SEGMENTS) - {"maintenance_reminder"}
    for before, after in zip(stored, sent, strict=True):
        customer = not before.purpose.startswith(("escalation", "dispatch"))
        words = lang if customer else "zh-CN"
        assert after.text.startswith(SIGN_NAMES[words]), after.text
        [link] = [w for w in after.text.replace("：", " ").split() if w.startswith("http")][-1:]
        assert link.startswith(f"{BASE}/l/") and len(link) == len(f"{BASE}/l/") + ID_LENGTH
        # The short link leads where the long one did.
        assert before.text.replace(links.target(link.rsplit("/", 1)[1]), link) == after.text
        assert len(after.text) < len(before.text)
        if words == "en":
            # Latin letters: one message by the GSM alphabet, at most two where each counts as a 汉字.
            assert gsm_segments(after.text) == 1 and segments(after.text) <= 2, after.text
        else:
            assert segments(after.text) <= MOST_SEGMENTS[purpose_of(after)], after.text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_maintenance_reminder_carries_no_link_and_fits_one_message(lang):
    text = t(lang, "aftercare.msg.visit.sms", model="KYN28-12", serial="SN-2026-0042", day="2026-12-08")
    assert text.startswith(SIGN_NAMES[lang]) and "http" not in text
    assert segments(text) == 1 if lang == "zh-CN" else gsm_segments(text) == 1 and segments(text) <= 2


def test_a_short_link_expires_with_the_signed_token_it_stands_for():
    world = fake_world()
    token = SIGNER.sign({"survey": "SD-2026-000001"}, timedelta(days=7))
    store = MemoryShortLinks()
    links = ShortLinks(store, world.clock, BASE, SIGNER.expiry)
    short_id = links.shorten(f"/s/{token}").rsplit("/", 1)[1]
    assert links.target(short_id) == f"{BASE}/s/{token}"

    [kept] = store.links.values()
    assert kept.expires_at == SIGNER.expiry(token)
    world.clock.at = kept.expires_at
    assert links.target(short_id) is None


def test_a_link_without_an_expiry_of_its_own_lasts_over_a_year_and_others_sites_are_left_alone():
    world = fake_world()
    links = ShortLinks(MemoryShortLinks(), world.clock, BASE, SIGNER.expiry)
    text = links.shorten_all(f"see {BASE}/t/abc and https://elsewhere.example/x and {BASE}/l/AAAAAAAAAA")
    short = text.split()[1]
    assert "https://elsewhere.example/x" in text and f"{BASE}/l/AAAAAAAAAA" in text
    world.clock.advance(timedelta(days=366))
    assert links.target(short.rsplit("/", 1)[1]) == f"{BASE}/t/abc"


@pytest.mark.parametrize("short_id", ["", "AAAAAAAAAA", "short", "../../etc", "A" * 11])
def test_an_unknown_or_malformed_id_leads_nowhere(short_id):
    links = ShortLinks(MemoryShortLinks(), fake_world().clock, BASE, SIGNER.expiry)
    links.shorten("/t/abc")
    assert links.target(short_id) is None


def test_a_taken_id_is_drawn_again(monkeypatch):
    from chalicelib.services import short_links as module

    draws = iter(["AAAAAAAAAA", "AAAAAAAAAA", "BBBBBBBBBB"])
    monkeypatch.setattr(module, "new_short_id", lambda: next(draws))
    links = ShortLinks(MemoryShortLinks(), fake_world().clock, BASE, SIGNER.expiry)
    assert links.shorten("/t/one").endswith("/l/AAAAAAAAAA")
    assert links.shorten("/t/two").endswith("/l/BBBBBBBBBB")


def test_a_notice_keeps_as_many_of_its_words_as_one_message_holds_at_the_desks_address():
    values = {"priority": "A 特急", "number": "SD-2026-000001", "customer": "苏州精密机械有限公司",
              "province": "江苏省", "model": "KYN28-12", "link": "https://x/escalations/long-token"}
    texts = {key: t("zh-CN", key, **values)
             for key in ("msg.notice.sms", "msg.notice.short.sms", "msg.notice.shortest.sms")}
    chosen = {base: sms_text("zh-CN", "msg.notice", base, **values)
              for base in ("https://fw.cn", "https://desk.example.com", "https://service.example-company.com.cn")}
    assert chosen["https://fw.cn"] == texts["msg.notice.short.sms"]  # the model fits too
    assert chosen["https://desk.example.com"] == texts["msg.notice.shortest.sms"]
    # An address too long for any wording: the shortest, in two messages rather than three.
    assert chosen["https://service.example-company.com.cn"] == texts["msg.notice.shortest.sms"]


def test_the_fullest_wording_that_fits_is_chosen_as_the_link_will_be_sent():
    link = "https://desk.example.com/t/" + "x" * 200
    full, short = f"【售后服务】{'字' * 30}：{link}", f"【售后服务】{'字' * 5}：{link}"
    assert fullest_in_one_message([full, short], link_length=37) == short
    assert fullest_in_one_message([full, short], link_length=20) == full
    assert fullest_in_one_message([full, short], link_length=60) == short  # none fits: the shortest
