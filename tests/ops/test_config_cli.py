"""Operators change plans and the roster without a deploy; bad files are refused with the reason."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from moto import mock_aws

from chalicelib.adapters.dynamodb_config import DynamoConfig
from chalicelib.adapters.provision import ensure_resources
from chalicelib.domain.holidays import years_to_cover
from chalicelib.domain.plans import PlanRegistry
from chalicelib.settings import get_settings
from ops.config import main


def test_a_plan_put_by_an_operator_is_used_by_the_registry(tmp_path, capsys):
    plan = {
        "name": "complaint-3d",
        "title": "Complaints: reply within 3 days",
        "calendar": {"kind": "business_hours"},
        "unclassified": {"milestones": {"contacted": {"everywhere": {"within": "3d"}}}},
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    with mock_aws():
        ensure_resources(get_settings())
        assert main(["plans", "put", str(path)]) == 0
        registry = PlanRegistry(DynamoConfig("service-desk").plans())
        assert registry.get("complaint-3d").title == "Complaints: reply within 3 days"
        assert "standard" in registry


def test_an_invalid_plan_is_refused_and_nothing_is_stored(tmp_path, capsys):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"name": "broken", "calendar": {"kind": "sometimes"}}))
    with mock_aws():
        ensure_resources(get_settings())
        assert main(["plans", "put", str(path)]) == 2
        assert "not a valid plan" in capsys.readouterr().err
        assert DynamoConfig("service-desk").plans() == []


def test_the_demo_roster_can_be_stored_and_listed(capsys):
    with mock_aws():
        ensure_resources(get_settings())
        assert main(["rosters", "demo"]) == 0
        assert main(["rosters", "list"]) == 0
        assert "张主管" in capsys.readouterr().out


def test_an_operator_lists_the_stored_holiday_schedules_and_what_coming_years_rest_on(tmp_path, capsys):
    coming = years_to_cover(datetime.now(ZoneInfo("Asia/Shanghai")).date())
    with mock_aws():
        ensure_resources(get_settings())
        for year in coming:
            _store_calendar(tmp_path, year, official=True)
        assert main(["calendars", "put", "ops/calendars/CN-2026.json"]) == 0  # the worked example
        assert main(["calendars", "list"]) == 0
        out = capsys.readouterr().out
        assert "CN 2026: official, 33 days off, 6 make-up working days" in out
        assert f"{coming[0]}: working days rest on official data" in out

        _store_calendar(tmp_path, coming[-1], official=False)
        # Exit 1 while a year deadlines may reach is not official, so a runbook or cron job can check it.
        assert main(["calendars", "list"]) == 1
        assert f"{coming[-1]}: working days rest on provisional data" in capsys.readouterr().out


def _store_calendar(tmp_path, year, *, official):
    path = tmp_path / f"{year}.json"
    path.write_text(json.dumps({"year": year, "official": official, "source": "test",
                                "holidays": [{"date": f"{year}-01-01", "name": "元旦"}]}))
    assert main(["calendars", "put", str(path)]) == 0


def test_a_roster_naming_a_webhook_url_in_clear_text_is_refused_and_one_naming_its_secret_is_stored(tmp_path, capsys):
    chat = {"name": "主管群", "vendor": "dingtalk", "secret": "service-desk/chat/supervisors"}
    roster = {"scope": "region:CN-GD", "levels": {}, "chats": {"supervisor": [chat]}}
    leaked = {**roster, "chats": {"supervisor": [{**chat, "secret": "https://oapi.dingtalk.com/robot/send?access_token=x"}]}}
    note = {**roster, "levels": {"supervisor": [{"name": "https://oapi.dingtalk.com/robot/send?access_token=x"}]}}
    with mock_aws():
        ensure_resources(get_settings())
        for bad in (leaked, note):
            path = tmp_path / "bad.json"
            path.write_text(json.dumps(bad))
            assert main(["rosters", "put", str(path)]) == 2
            assert "Secrets Manager" in capsys.readouterr().err
        assert DynamoConfig("service-desk").rosters() == []
        path = tmp_path / "roster.json"
        path.write_text(json.dumps(roster, ensure_ascii=False))
        assert main(["rosters", "put", str(path)]) == 0
        [stored] = DynamoConfig("service-desk").rosters()
        assert stored.chats["supervisor"][0].secret == "service-desk/chat/supervisors"


def test_an_operator_is_warned_of_whoever_the_roster_tells_by_sms_only(tmp_path, capsys):
    """Escalations go by email and team chat as well as SMS, so they still arrive while SMS are refused;
    someone with a phone and nothing else, on a level without a team chat, would hear nothing."""
    chat = {"name": "主管群", "vendor": "dingtalk", "secret": "service-desk/chat/supervisors"}
    roster = {"scope": "default", "chats": {"supervisor": [chat]}, "levels": {
        "supervisor": [{"name": "张主管", "phone": "+8613900000001"}],
        "chief_engineer": [{"name": "李总工", "phone": "+8613900000003"},
                           {"name": "王总工", "phone": "+8613900000004", "email": "wang@example.com"}],
    }}
    path = tmp_path / "roster.json"
    path.write_text(json.dumps(roster, ensure_ascii=False))
    with mock_aws():
        ensure_resources(get_settings())
        assert main(["rosters", "put", str(path)]) == 0, "stored all the same"
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "李总工 (chief_engineer) is told by SMS only" in warnings[0]


def test_the_operator_puts_someone_on_call_for_a_level_and_takes_them_off_keeping_the_roster(capsys):
    from chalicelib.domain.plans import Role

    with mock_aws():
        ensure_resources(get_settings())
        assert main(["rosters", "demo"]) == 0
        assert main(["on-call", "set", "--level", "chief_engineer", "--name", "孙工", "--phone", "+8613900000031"]) == 0
        [roster] = DynamoConfig("service-desk").rosters()
        assert [p.name for p in roster.on_call[Role.CHIEF_ENGINEER]] == ["孙工"]
        assert roster.levels[Role.SUPERVISOR][0].name == "张主管", "the roster itself is kept"
        assert main(["on-call", "clear", "--level", "chief_engineer"]) == 0
        assert Role.CHIEF_ENGINEER not in DynamoConfig("service-desk").rosters()[0].on_call
        assert main(["on-call", "list"]) == 0
        assert "赵值班" in capsys.readouterr().out
