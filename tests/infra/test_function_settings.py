"""What the app needs from the stack on AWS: every setting it refuses to run without (chalicelib/settings.py),
and an API stage that doubles none of its paths."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.settings import REQUIRED_ON_AWS, Settings
from tests.infra.conftest import STAGES, Synthesized


@pytest.fixture(params=STAGES)
def template(request: pytest.FixtureRequest, synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates[request.param]


def function_environments(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]["Environment"]["Variables"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_each_function_is_given_every_setting_required_on_aws(template):
    for function, env in function_environments(template).items():
        missing = sorted(set(REQUIRED_ON_AWS) - set(env))
        assert not missing, f"{function} lacks {missing}"


def test_no_required_setting_is_left_at_its_local_default(template):
    for function, env in function_environments(template).items():
        for name in REQUIRED_ON_AWS:
            local_default = Settings.model_fields[name.lower()].default
            assert env[name] not in ("", local_default), f"{function}: {name} is {env[name]!r}"
        assert env["LOCAL_MODE"] == "false"


def test_the_monthly_report_goes_to_the_recipients_given_at_deploy(template):
    parameter = template["Parameters"]["ReportRecipients"]

    for env in function_environments(template).values():
        assert env["REPORT_RECIPIENTS"] == {"Ref": "ReportRecipients"}
    assert "AllowedPattern" in parameter


def test_the_api_stage_doubles_no_path_of_the_app(template):
    from app import app

    [api] = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    first_segments = {path.split("/")[1] for path in app.routes}

    assert api["StageName"] not in first_segments, f"the public API would be /{api['StageName']}/api/..."


def test_each_function_may_read_the_secrets_its_environment_names(template):
    policies = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    for function, env in function_environments(template).items():
        role = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
        [policy] = [p for p in policies if {"Ref": role} in p["Roles"]]
        readable = [
            resource
            for statement in policy["PolicyDocument"]["Statement"]
            if "secretsmanager:GetSecretValue" in statement["Action"]
            for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
        ]
        assert env["LINK_SIGNING_SECRET_NAME"] in readable, function


@pytest.mark.parametrize("sid, prefix", [("ReadTeamChatRobots", "service-desk/chat/"),
                                         ("ReadWebhookSecrets", "service-desk/webhook/")])
def test_each_function_may_read_operators_secrets_only_by_their_prefix(template, sid, prefix):
    """Team chats' robots and webhook receivers' signing secrets are made by an operator: a roster or a
    subscription can point the functions at no secret outside their prefix."""
    policies = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    for function in function_environments(template):
        role = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
        [policy] = [p for p in policies if {"Ref": role} in p["Roles"]]
        [statement] = [s for s in policy["PolicyDocument"]["Statement"] if s.get("Sid") == sid]
        assert statement["Action"] == "secretsmanager:GetSecretValue"
        assert str(statement["Resource"]).count(f":secret:{prefix}*") == 1, function


def test_stages_that_send_sms_through_sns_name_no_other_provider(template):
    for env in function_environments(template).values():
        assert env.get("SMS_PROVIDER", "sns") == "sns"
        assert not [name for name in env if name.startswith(("ALIYUN_", "TENCENT_"))]
