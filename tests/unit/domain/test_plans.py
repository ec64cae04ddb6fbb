"""Service plans are data: the defaults say what SPEC.md says, and operators can add plans as JSON."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from chalicelib.domain.calendars import ALWAYS_OPEN, CHINA_BUSINESS_HOURS
from chalicelib.domain.plans import (
    BASIC_PLAN,
    DEFAULT_PLANS,
    PREMIUM_PLAN,
    STANDARD_PLAN,
    Milestone,
    PlanRegistry,
    Role,
    ServicePlan,
    Span,
    UnknownPlan,
    within,
)
from chalicelib.domain.ticket import Priority
from chalicelib.i18n.deadlines import span

COMPLAINT_PLAN = {
    "name": "complaint",
    "title": "Complaints (003 §3.1, §3.3)",
    "calendar": {"kind": "business_hours"},
    "priorities": {
        p: {"milestones": {"contacted": "1h", "resolved": {"everywhere": {"agreed_date": True, "within": "3d"}}}}
        for p in "ABC"
    },
}


def rule(plan: ServicePlan, priority: Priority | None, milestone: Milestone):
    terms = plan.terms_for(priority)
    assert terms is not None
    return terms.milestones[milestone]


def test_three_plans_ship_by_default():
    assert PlanRegistry().names() == ["basic", "premium", "standard"]


def test_standard_critical_dispatch_counts_in_province_and_arrival_counts_out_of_province():
    dispatched = rule(STANDARD_PLAN, Priority.CRITICAL, Milestone.DISPATCHED)
    assert dispatched.target_for(in_province=True) == (within("2h", latest="6h"), "in_province")
    assert dispatched.target_for(in_province=False) is None
    on_site = rule(STANDARD_PLAN, Priority.CRITICAL, Milestone.ON_SITE)
    assert on_site.target_for(in_province=False) == (within("12h"), "out_of_province")
    assert on_site.target_for(in_province=True) is None


def test_standard_urgent_and_critical_run_on_24_7_and_general_on_business_hours():
    contact = rule(STANDARD_PLAN, Priority.GENERAL, Milestone.CONTACTED)
    assert STANDARD_PLAN.calendar_for(Priority.CRITICAL, contact) == ALWAYS_OPEN
    assert STANDARD_PLAN.calendar_for(Priority.URGENT, contact) == ALWAYS_OPEN
    assert STANDARD_PLAN.calendar_for(Priority.GENERAL, contact) == CHINA_BUSINESS_HOURS
    assert STANDARD_PLAN.calendar_for(None, contact) == ALWAYS_OPEN


def test_escalation_notices_are_plan_data_naming_who_is_told():
    critical = rule(STANDARD_PLAN, Priority.CRITICAL, Milestone.ESCALATION_NOTICE)
    urgent = rule(STANDARD_PLAN, Priority.URGENT, Milestone.ESCALATION_NOTICE)
    assert critical.notify == (Role.CHIEF_ENGINEER, Role.GENERAL_MANAGER)
    assert urgent.notify == (Role.CHIEF_ENGINEER,) and urgent.everywhere == within("1h")
    general = STANDARD_PLAN.terms_for(Priority.GENERAL)
    assert general is not None and Milestone.ESCALATION_NOTICE not in general.milestones
    for plan in DEFAULT_PLANS:
        assert rule(plan, Priority.CRITICAL, Milestone.ESCALATION_NOTICE).notify == critical.notify


def test_premium_promises_the_same_for_every_priority_around_the_clock():
    for priority in (None, *Priority):
        terms = PREMIUM_PLAN.terms_for(priority)
        assert terms is not None
        assert terms.milestones[Milestone.ON_SITE].everywhere == within("2h")
        assert PREMIUM_PLAN.calendar_for(priority, terms.milestones[Milestone.RESOLVED]) == ALWAYS_OPEN


def test_basic_replies_within_one_working_day_on_business_hours():
    contact = rule(BASIC_PLAN, Priority.GENERAL, Milestone.CONTACTED)
    assert contact.everywhere == within("1d")
    assert BASIC_PLAN.calendar_for(Priority.GENERAL, contact) == CHINA_BUSINESS_HOURS
    assert rule(BASIC_PLAN, Priority.GENERAL, Milestone.ON_SITE).everywhere is not None


@pytest.mark.parametrize("plan", DEFAULT_PLANS, ids=lambda p: p.name)
def test_every_default_plan_round_trips_through_json(plan):
    assert ServicePlan.model_validate_json(plan.model_dump_json()) == plan
    assert ServicePlan.model_validate(plan.model_dump(mode="json")) == plan


def test_spans_are_written_the_way_people_say_them():
    assert Span.model_validate("2h30m").time == timedelta(hours=2, minutes=30)
    assert Span.model_validate("1d 4h") == Span(days=1, time=timedelta(hours=4))
    assert Span.model_validate("PT2H").time == timedelta(hours=2)
    assert Span(days=5, time=timedelta(0)).on(CHINA_BUSINESS_HOURS) == timedelta(hours=45)
    assert Span(days=5, time=timedelta(0)).on(ALWAYS_OPEN) == timedelta(days=5)
    assert Span.model_validate("90m").describe() == "1h30m"
    assert span("en", "90m", None) == "1 h 30 m"


def test_an_operator_plan_loads_from_plain_json_with_shorthands():
    plan = ServicePlan.model_validate(COMPLAINT_PLAN)
    resolved = rule(plan, Priority.URGENT, Milestone.RESOLVED)
    assert resolved.everywhere is not None and resolved.everywhere.agreed_date
    assert resolved.everywhere.within == Span.model_validate("3d")
    assert rule(plan, Priority.URGENT, Milestone.CONTACTED).everywhere == within("1h")


def test_the_registry_adds_operator_plans_and_lets_them_override_a_default():
    cheaper_standard = {"name": "standard", "priorities": {"C": {"milestones": {"contacted": "4h"}}}}
    registry = PlanRegistry([COMPLAINT_PLAN, cheaper_standard])
    assert registry.names() == ["basic", "complaint", "premium", "standard"]
    assert "complaint" in registry
    assert rule(registry.get("standard"), Priority.GENERAL, Milestone.CONTACTED).everywhere == within("4h")
    assert registry.get("premium") == PREMIUM_PLAN


def test_an_unknown_plan_is_a_named_error():
    with pytest.raises(UnknownPlan, match="gold"):
        PlanRegistry().get("gold")


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "Bad Name"},
        {"name": "x", "priorities": {"D": {}}},
        {"name": "x", "priorities": {"A": {"milestones": {"teleported": "1h"}}}},
        {"name": "x", "priorities": {"A": {"milestones": {"contacted": "soon"}}}},
        {"name": "x", "priorities": {"A": {"milestones": {"contacted": {}}}}},
        {"name": "x", "priorities": {"A": {"milestones": {"contacted": {"everywhere": {"latest": "2h"}}}}}},
        {"name": "x", "priorities": {"A": {"milestones": {"contacted": {"everywhere": "-PT1H"}}}}},
        {
            "name": "x",
            "priorities": {"A": {"milestones": {"progress_reported": {"everywhere": "agreed", "repeat": True}}}},
        },
        {"name": "x", "warn_share": 1.5},
        {"name": "x", "surprise": True},
    ],
)
def test_invalid_plans_are_rejected_before_they_reach_the_clock(bad):
    with pytest.raises(ValidationError):
        ServicePlan.model_validate(bad)
