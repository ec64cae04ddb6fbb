"""A ticket's events in Chinese and English: every ``Action`` has a label in both languages and a way to
say what its event recorded; an event without those facts falls back to its stored summary, so nothing
is lost; instants are in the service's time zone. (tests/service/test_timeline.py says every move's real
event.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from chalicelib.domain.ticket import Action, TicketEvent
from chalicelib.i18n import CATALOG, LANGUAGES, events

ZONE = "Asia/Shanghai"
AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CJK = re.compile(r"[\u4e00-\u9fff]")


def event(action: Action, summary: str = "", *, before=None, after=None, actor: str = "sup") -> TicketEvent:
    return TicketEvent(at=AT, actor=actor, action=action, summary=summary, before=before or {}, after=after or {})


def say(lang: str, e: TicketEvent, **kwargs) -> str:
    return events.describe(lang, e, timezone=ZONE, **kwargs).text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_action_has_a_label_in_both_languages(lang):
    for action in Action:
        key = f"timeline.action.{action.value}"
        assert key in CATALOG[lang], key
        label = events.action_label(lang, action)
        assert label and bool(CJK.search(label)) == (lang == "zh-CN"), (action, label)
    labels = [events.action_label(lang, a) for a in Action]
    assert len(set(labels)) == len(labels), "no two actions read alike"


def test_every_action_says_what_its_event_recorded_or_needs_no_more_than_its_label():
    writer = events._Writer  # noqa: SLF001 (one method per action is the module's shape)
    for action in Action:
        assert action in events.LABEL_ONLY or hasattr(writer, f"_{action.value}"), action


def test_a_classification_says_each_field_and_what_it_replaced_with_times_in_the_services_zone():
    e = event(Action.CLASSIFY, "classified priority=B, agreed_date=2026-03-12 06:30:00+00:00, in_province=False",
              before={"priority": "A", "agreed_date": None, "in_province": True, "status": "triaged"},
              after={"priority": "B", "agreed_date": "2026-03-12T06:30:00+00:00", "in_province": False,
                     "status": "triaged"})
    assert say("zh-CN", e) == "分类定级：等级：A 特急 → B 紧急；省内/省外：省内 → 省外；约定时间：2026-03-12 14:30"
    assert say("en", e) == (
        "Classified: priority: A critical → B urgent; province: in-province → out-of-province; "
        "agreed date: 2026-03-12 14:30")


@pytest.mark.parametrize("summary, zh, en", [
    ("clock paused: customer unreachable (电话关机)", "暂停计时：原因：联系不上客户；说明：电话关机",
     "Clock paused: reason: customer unreachable; note: 电话关机"),
    ("clock paused: site not ready", "暂停计时：原因：现场不具备条件", "Clock paused: reason: site not ready"),
    ("clock paused: other (现场停电)", "暂停计时：原因：现场停电", "Clock paused: reason: 现场停电"),
    ("clock paused: waiting for the crane", "暂停计时：原因：waiting for the crane",
     "Clock paused: reason: waiting for the crane"),
])
def test_a_pause_says_the_forms_reason_in_words_and_the_note_as_typed(summary, zh, en):
    e = event(Action.PAUSE, summary, after={"status": "waiting_on_customer", "paused_from": "dispatched"})
    assert (say("zh-CN", e), say("en", e)) == (zh, en)


def test_typed_text_is_shown_as_typed():
    contact = event(Action.RECORD_CONTACT, "reporter contacted: 约好明早 9 点 (call back)")
    assert say("zh-CN", contact) == "已联系报修人：联系情况：约好明早 9 点 (call back)"
    assert say("zh-CN", event(Action.RECORD_CONTACT, "reporter contacted")) == "已联系报修人"
    cancel = event(Action.CANCEL, "cancelled: duplicate of SD-2026-000001")
    assert say("zh-CN", cancel) == "取消服务单：原因：duplicate of SD-2026-000001"


def test_the_sweeps_steps_and_the_taken_breach_say_milestone_level_role_and_lateness():
    breach = event(Action.ESCALATE, "resolved missed, 2 h late: escalated to level 2 (chief_engineer)",
                   actor="sla-sweep", after={"step": "breach:resolved@20260310T000000Z:L2", "kind": "breach",
                                             "milestone": "resolved", "level": 2, "role": "chief_engineer",
                                             "late_by_seconds": 7200, "rule": "000 §4.4.2"})
    line = events.describe("zh-CN", breach, timezone=ZONE)
    assert (line.actor, line.text) == ("时限监控", "时限预警/升级：修复超时 2 小时：已升级到第 2 级（总工/技术部经理）")
    assert say("en", breach) == (
        "Deadline warning / escalation: resolved missed, 2 h late: escalated to level 2 (chief engineer)")
    taken = event(Action.ACKNOWLEDGE, "张主管 (supervisor, level 1) took the breach dispatched@20260310T020000Z",
                  actor="张主管", after={"breach": "dispatched@20260310T020000Z", "level": 1, "role": "supervisor"})
    assert say("zh-CN", taken) == "认领：第 1 级（售后服务主管）认领了“派工”的超时（截止 2026-03-10 10:00）"
    warned = event(Action.ACKNOWLEDGE, "张主管 (supervisor, level 1) took the warning dispatched@20260310T020000Z",
                   actor="张主管", after={"breach": "dispatched@20260310T020000Z", "kind": "warning", "level": 1,
                                        "role": "supervisor"})
    assert say("zh-CN", warned) == "认领：第 1 级（售后服务主管）认领了“派工”（截止 2026-03-10 10:00）"
    assert say("en", warned) == "Taken: level 1 (service supervisor) took the dispatch deadline (due 2026-03-10 10:00)"


def test_notifications_say_channel_recipient_purpose_and_errors_as_the_provider_gave_them():
    sent = event(Action.NOTIFY, "sms sent to +8613800138000 (escalation:breach:dispatched@20260310T020000Z:L1)",
                 actor="system", after={"message_id": "m1", "state": "sent"})
    assert say("zh-CN", sent) == "通知：短信已发送至 +8613800138000（时限通知：派工）"
    failed = event(Action.NOTIFY, "email to a@b.cn failed, will retry: Throttling: rate exceeded", actor="system",
                   after={"message_id": "m1", "state": "pending", "attempts": 1})
    assert say("zh-CN", failed) == "通知：邮件发送至 a@b.cn 失败，将重试：Throttling: rate exceeded"
    assert events.describe("zh-CN", failed, timezone=ZONE).actor == "系统"
    assert say("en", failed) == "Notification: email to a@b.cn failed, will retry: Throttling: rate exceeded"
    booking = event(Action.NOTIFY, "after_care to after-care failed for good: table gone", actor="system")
    assert say("zh-CN", booking) == "通知：售后跟进安排发送至 after-care 失败，不再重试：table gone"


@pytest.mark.parametrize("e", [
    event(Action.DISPATCH, "dispatched tech-wang"),  # an event from before the assignees were recorded
    event(Action.ESCALATE, "something new happened", after={"kind": "novel", "milestone": "resolved"}),
    event(Action.NOTIFY, "sms queued for later"),
    event(Action.REQUEST_PARTS, "parts requested: P-1 x2", after={"requisitions": "not a list"}),
])
def test_an_event_without_the_facts_its_action_records_falls_back_to_its_summary(e):
    assert say("zh-CN", e) == f"{events.action_label('zh-CN', e.action)}：{e.summary}"
    assert say("en", e) == f"{events.action_label('en', e.action)}: {e.summary}"


def test_the_customer_reads_the_tracking_pages_own_words_where_there_are_some():
    submitted = event(Action.SUBMIT, "request received via phone", after={"channel": "phone", "kind": "fault"})
    assert say("zh-CN", submitted, customer=True) == "报修已受理（电话）"
    assert say("zh-CN", submitted) == "报修受理：渠道：电话；服务类型：故障维修"
    assert say("en", submitted, customer=True) == "Request received (phone)"
    on_site = event(Action.CHECK_IN, "technician checked in on site", after={"status": "on_site",
                                                                               "location": {"lat": 31.3, "lon": 120.6}})
    assert say("zh-CN", on_site, customer=True) == "到达现场签到", "where the technician's phone was is the office's"
    assert say("zh-CN", on_site) == "到达现场签到：位置：31.30000, 120.60000"


def test_people_keep_their_names_and_the_systems_actors_have_words():
    assert events.actor_name("zh-CN", "tech-wang") == "tech-wang"
    assert [events.actor_name("zh-CN", a) for a in ("system", "sla-sweep", "customer")] == ["系统", "时限监控", "客户"]
    assert events.actor_name("en", "sla-sweep") == "deadline monitor"
