"""Why a deadline is where it is, in Chinese and English: every ``ReasonCode`` has words in both
languages, and the values the SLA clock really gives each code make a sentence in each.

Times are Shanghai wall-clock times; 10 March 2026 is a Tuesday.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from chalicelib.domain.plans import BASIC_PLAN, PREMIUM_PLAN, Milestone
from chalicelib.domain.sla import Deadline, FactKind, Reason, ReasonCode, Schedule
from chalicelib.i18n import CATALOG, LANGUAGES, deadlines
from chalicelib.web.supervisor_forms import PAUSE_REASONS
from tests.unit.domain.test_sla import B, C, at, clock, deadline, fact, paused

ZONE = "Asia/Shanghai"
# What may stay Latin in a Chinese explanation: plan names (identifiers, shown as such on the page),
# priority letters and notes typed by people.
LATIN_ALLOWED = {"standard", "premium", "basic", "A", "B", "C"}


def schedules() -> list[Schedule]:
    """Real schedules between them giving every reason code (``test_every_code_occurs`` checks)."""
    on_site = fact(at(10, 10), FactKind.ON_SITE)
    return [
        # Critical, in-province: dispatch 2 h, 6 h at the latest; a pause over, one still open; re-classified.
        clock(
            now=at(10, 6),
            timeline=[
                fact(at(10, 2, 40), FactKind.RECLASSIFIED, field="priority", before="B", after="A"),
                fact(at(10, 2, 45), FactKind.RECLASSIFIED, field="in_province", before="False", after="True"),
                *paused(at(10, 3), at(10, 4), reason="customer_unreachable", note="电话关机"),
                *paused(at(10, 5), None, reason="site_not_ready", note=""),
            ],
        ),
        # Urgent, out of province: contact late, arrival report met, progress reports (one late), resolved.
        clock(
            now=at(12, 9),
            priority=B,
            in_province=False,
            timeline=[
                fact(at(10, 4), FactKind.CONTACTED),
                fact(at(10, 4), FactKind.DISPATCHED),
                on_site,
                fact(at(10, 10, 30), FactKind.ARRIVAL_REPORTED),
                fact(at(11, 15), FactKind.PROGRESS_REPORTED),
                fact(at(12, 8), FactKind.RESOLVED),
            ],
        ),
        # General on business hours: dispatch on the agreed date (none yet, then one), first classification.
        clock(
            now=at(10, 9), priority=C, timeline=[fact(at(10, 3), FactKind.RECLASSIFIED, field="priority", after="C")]
        ),
        clock(
            now=at(10, 9),
            priority=C,
            agreed=at(13, 9),
            timeline=[fact(at(10, 3), FactKind.RECLASSIFIED, field="agreed_date", after=at(13, 9).isoformat())],
        ),
        # Basic plan, closed with the contact never made: missed when the ticket closed.
        clock(now=at(13, 9), priority=None, plan=BASIC_PLAN, timeline=[fact(at(12, 9), FactKind.CLOSED)]),
        # Premium: the fault fixed before a loaner was due, so none is owed; not started before repair.
        clock(
            now=at(11, 9),
            priority=None,
            plan=PREMIUM_PLAN,
            timeline=[fact(at(10, 4), FactKind.REPAIR_STARTED), fact(at(10, 18), FactKind.RESOLVED)],
        ),
        clock(now=at(10, 3), priority=None, plan=PREMIUM_PLAN),
        # Reported on New Year's Eve 2026: the contact deadline counts working days of 2027, whose
        # official holiday schedule is not in the library.
        clock(now=at(31, 17, month=12), created=at(31, 16, 45, month=12), priority=C),
    ]


def every_reason() -> list[tuple[Schedule, Deadline, Reason]]:
    return [(s, d, r) for s in schedules() for d in s.deadlines for r in d.reasons]


def why(lang: str, schedule: Schedule, milestone: Milestone) -> list[str]:
    return deadlines.explain(lang, deadline(schedule, milestone), timezone=ZONE, now=schedule.computed_at)


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z/_-]*", text)) - LATIN_ALLOWED


def test_every_reason_code_has_words_in_both_languages():
    for lang in LANGUAGES:
        missing = [code for code in ReasonCode if f"sla.reason.{code.value}" not in CATALOG[lang]]
        assert not missing, f"{lang}: {missing}"


def test_every_code_occurs_in_the_schedules_below():
    codes = {reason.code for _, _, reason in every_reason()}
    assert codes == set(ReasonCode)
    waived = [r for _, _, r in every_reason() if r.code == ReasonCode.WAIVED]
    assert {r.values["repeating"] for r in waived} == {True, False}, "both kinds of waiver"
    missed = [r for _, _, r in every_reason() if r.code == ReasonCode.MISSED]
    assert {r.values["ended_at"] is None for r in missed} == {True, False}, "missed while open and when ended"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_reason_the_clock_gives_reads_as_a_sentence_in_each_language(lang):
    for schedule, found, reason in every_reason():
        text = deadlines.reason_text(lang, reason, timezone=ZONE, now=schedule.computed_at)
        assert text and "{" not in text and "None" not in text, (reason.code, text)
        if lang == "zh-CN":
            assert not latin_words(text), (found.milestone, reason.code, text)


def test_chinese_explanations_read_as_the_service_desk_says_them():
    critical, urgent, general, agreed, closed, premium, fresh, new_year = schedules()
    assert why("zh-CN", new_year, Milestone.CONTACTED)[1] == "2027年的工作日仅按法定节假日及补假计算，调休安排尚未录入"
    assert why("en", new_year, Milestone.CONTACTED)[1] == (
        "working days of 2027: statutory holidays and days in lieu only, make-up working days not entered yet"
    )
    reclassified = [
        "02:40 重新定级：B 紧急 → A 特急；各截止时间自受理时起重新计算，暂停时间仍予顺延",
        "02:45 变更省内/省外：省外 → 省内；各截止时间自受理时起重新计算，暂停时间仍予顺延",
    ]
    assert why("zh-CN", critical, Milestone.CONTACTED) == [
        "联系报修人截止时间 04:30：自报修受理 02:30 起计 1 小时（standard 方案，A 特急，7×24 小时）",
        "因暂停顺延 1 小时：03:00–04:00 暂停计时（联系不上客户：电话关机）",
        *reclassified,
        "已逾期：联系报修人已超时 1 小时 30 分钟",
    ]
    assert why("zh-CN", critical, Milestone.DISPATCHED) == [
        "派工截止时间 06:30：自报修受理 02:30 起计 2 小时（standard 方案，A 特急，省内，7×24 小时）",
        "最迟 10:30：自报修受理 02:30 起计 6 小时",
        "因暂停顺延 1 小时：03:00–04:00 暂停计时（联系不上客户：电话关机）",
        "自 05:00 起暂停计时（现场不具备条件）",
        *reclassified,
        "计时剩余 30 分钟",
    ]
    assert why("zh-CN", critical, Milestone.ARRIVAL_REPORTED)[0] == "到场汇报：到达现场后开始计时"

    assert why("zh-CN", urgent, Milestone.ARRIVAL_REPORTED) == [
        "到场汇报截止时间 03-10 11:00：自到达现场 03-10 10:00 起计 1 小时（standard 方案，B 紧急，7×24 小时）",
        "已按时完成：03-10 10:30",
    ]
    assert why("zh-CN", urgent, Milestone.PROGRESS_REPORTED) == [
        "每日进度汇报截止时间 15:00：自上次每日进度汇报 03-11 15:00 起计 24 小时（standard 方案，B 紧急，7×24 小时）",
        "每日进度汇报（截止 03-11 10:00）逾期 5 小时完成",
        "该项已结束：08:00 修复",
    ]
    assert why("zh-CN", urgent, Milestone.ACCEPTANCE_FILED) == [
        "验收单归档截止时间 03-18 17:30：自修复 08:00 起计 5 个工作日（standard 方案，B 紧急，工作日 08:30–17:30）",
        "剩余工作时间 44 小时 30 分钟",
    ]

    assert why("zh-CN", general, Milestone.DISPATCHED) == [
        "派工以与客户的约定时间为截止时间，尚未约定",
        "03:00 定级为 C 一般",
        "尚无截止时间",
    ]
    assert why("zh-CN", agreed, Milestone.DISPATCHED) == [
        "派工截止时间 03-13 09:00：与客户的约定时间（standard 方案，C 一般，工作日 08:30–17:30）",
        "03:00 变更约定时间：– → 03-13 09:00；各截止时间自受理时起重新计算，暂停时间仍予顺延",
        "剩余工作时间 27 小时",
    ]

    assert why("zh-CN", closed, Milestone.CONTACTED)[-1] == (
        "已逾期：03-12 09:00 服务单关闭时，联系报修人已超时 1 天 15 小时 30 分钟"
    )
    assert why("zh-CN", closed, Milestone.ON_SITE)[-1] == "不再需要：03-12 09:00 服务单关闭"
    assert why("zh-CN", premium, Milestone.RESOLVED)[-1] == "已按时完成：03-10 18:00"
    assert why("zh-CN", premium, Milestone.LOANER_PROVIDED) == [
        "提供备用机截止时间 03-12 12:00：自开始维修 03-10 04:00 起计 8 小时 + 48 小时（premium 方案，未分级，7×24 小时）",
        "不再需要：03-10 18:00 修复",
    ]
    assert why("zh-CN", fresh, Milestone.LOANER_PROVIDED) == ["提供备用机：开始维修后开始计时"]


def test_met_late_says_by_how_much():
    urgent = schedules()[1]
    assert why("zh-CN", urgent, Milestone.CONTACTED)[-1] == "逾期完成：03-10 04:00 完成，超时 30 分钟"
    assert why("en", urgent, Milestone.CONTACTED)[-1] == "met at 03-10 04:00, 30 m late"


def test_english_pages_get_the_same_explanations_in_english():
    critical = schedules()[0]
    assert why("en", critical, Milestone.DISPATCHED) == [
        "dispatch due 06:30 = created 02:30 + 2 h (standard plan, A critical, in-province, 24/7)",
        "at the latest 10:30 (created 02:30 + 6 h)",
        "moved +1 h: paused 03:00–04:00 (customer unreachable: 电话关机)",
        "clock stopped since 05:00 (site not ready)",
        "re-classified B urgent→A critical at 02:40; deadlines recomputed from creation, paused time kept",
        "province changed out-of-province→in-province at 02:45; deadlines recomputed from creation, paused time kept",
        "30 m left on the clock",
    ]


def test_times_are_the_service_zones_and_only_today_goes_without_a_date():
    critical = schedules()[0]
    # The same schedule read from Tokyo's desk: an hour later on the clock.
    contact = deadlines.explain(
        "zh-CN", deadline(critical, Milestone.CONTACTED), timezone="Asia/Tokyo", now=critical.computed_at
    )
    assert contact[0].startswith("联系报修人截止时间 05:30：自报修受理 03:30 起计 1 小时")
    next_year = deadlines.explain(
        "en", deadline(critical, Milestone.CONTACTED), timezone=ZONE, now=critical.computed_at + timedelta(days=366)
    )
    assert next_year[0].startswith("contact the reporter due 2026-03-10 04:30 = created 2026-03-10 02:30")


def test_pause_reasons_from_the_supervisors_form_are_named_in_the_pages_language():
    assert deadlines.PAUSE_REASONS == PAUSE_REASONS
    stopped = clock(now=at(10, 4), timeline=paused(at(10, 3), None, reason="other", note="现场停电"))
    assert why("zh-CN", stopped, Milestone.CONTACTED)[1] == "自 03:00 起暂停计时（现场停电）"
    asked = clock(now=at(10, 4), timeline=paused(at(10, 3), None, reason="customer_request", note=""))
    assert why("zh-CN", asked, Milestone.CONTACTED)[1] == "自 03:00 起暂停计时（客户要求延后）"
    assert why("en", asked, Milestone.CONTACTED)[1] == "clock stopped since 03:00 (customer asked to wait)"
    typed = clock(now=at(10, 4), timeline=paused(at(10, 3), None, note="等客户回电"))
    assert why("zh-CN", typed, Milestone.CONTACTED)[1] == "自 03:00 起暂停计时（等客户回电）"


def test_targets_read_in_the_pages_language():
    critical, agreed, basic = schedules()[0], schedules()[3], schedules()[4]
    target = {
        lang: [deadlines.target_text(lang, d) for d in (*critical.deadlines, *agreed.deadlines, *basic.deadlines)]
        for lang in LANGUAGES
    }
    assert "2 小时（最迟 6 小时）" in target["zh-CN"] and "2 h (6 h at the latest)" in target["en"]
    assert "与客户的约定时间" in target["zh-CN"] and "date agreed with the customer" in target["en"]
    assert "1 个工作日" in target["zh-CN"] and "1 working day" in target["en"]
    assert "5 个工作日" in target["zh-CN"] and "5 working days" in target["en"]
    assert not any(latin_words(text) for text in target["zh-CN"])
    assert deadlines.target_text("en", deadline(critical, Milestone.DISPATCHED)) == "2 h (6 h at the latest)"


def test_durations_in_each_language():
    assert deadlines.duration("zh-CN", timedelta(hours=52, minutes=5)) == "2 天 4 小时 5 分钟"
    assert deadlines.duration("en", timedelta(hours=3, minutes=10)) == "3 h 10 m"
    assert deadlines.duration("zh-CN", 59) == "0 分钟"
    assert deadlines.span("zh-CN", "1d4h", "business_hours") == "1 个工作日 4 小时"
    assert deadlines.span("en", "2d", "24/7") == "2 d"


def test_every_milestone_and_whatever_starts_or_ends_a_clock_has_a_name_in_both_languages():
    events = [m.value for m in Milestone] + ["created", "repair_started", "closed", "cancelled"]
    for lang in LANGUAGES:
        assert all(f"milestone.{m.value}" in CATALOG[lang] for m in Milestone)
        assert all(f"sla.event.{event}" in CATALOG[lang] for event in events)
