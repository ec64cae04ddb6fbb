"""Operators change plans and the roster without a deploy; bad files are refused with the reason."""

import json

from moto import mock_aws

from chalicelib.adapters.dynamodb_config import DynamoConfig
from chalicelib.adapters.provision import ensure_resources
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
