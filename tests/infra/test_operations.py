"""Running the stage: the on-call dashboard, the abuse limits in front of the API (throttling, WAF), the
sweep's reserved concurrency, and the functions the smoke test invokes by name."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from ops.smoke import function_logical_id
from tests.infra.conftest import INFRA_DIR, Synthesized
from tests.infra.conftest import STAGES as STAGE_NAMES

sys.path.append(str(INFRA_DIR))  # infra/stages.py, the limits the stack was built with
from stages import STAGES  # noqa: E402


@pytest.fixture(params=STAGE_NAMES)
def stage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def template(stage: str, synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates[stage]


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_the_dashboard_shows_intake_sweep_lag_messages_and_the_report_build(template):
    [dashboard] = of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in ("Intake", "SLA sweep lag", "Messages sent and failed", "Monthly report build", "SMS by audience"):
        assert title in body
    for metric in ('\\"Count\\"', "OldestOverdueTicketNotEscalatedSeconds", "MessagesSent", "MessagesFailed",
                   "MonthlyReportEmailsQueued", "ReportPart", "SmsSent", "SmsFailed", "SMSMonthToDateSpentUSD"):
        assert metric in body, metric
    assert "/api/requests" in body


def test_the_api_stage_and_its_anonymous_writes_are_throttled_with_the_stages_limits(stage, template):
    settings = STAGES[stage]
    api = template["Resources"]["RestAPI"]["Properties"]
    by_path = {(m["ResourcePath"], m["HttpMethod"]): m for m in api["MethodSettings"]}
    everything = by_path[("/*", "*")]
    assert (everything["ThrottlingRateLimit"], everything["ThrottlingBurstLimit"]) == (
        settings.api_rate_limit, settings.api_burst_limit)
    for path in ("/~1requests", "/~1api~1requests", "/~1api~1uploads~1photos"):
        route = by_path[(path, "POST")]
        assert (route["ThrottlingRateLimit"], route["ThrottlingBurstLimit"]) == (
            settings.public_write_rate_limit, settings.public_write_burst_limit)
        assert route["ThrottlingRateLimit"] < everything["ThrottlingRateLimit"]


def test_a_web_acl_on_the_api_stage_limits_each_source_ip_and_runs_awss_common_rules(stage, template):
    [acl_id] = of_type(template, "AWS::WAFv2::WebACL")
    acl = template["Resources"][acl_id]["Properties"]
    assert acl["Scope"] == "REGIONAL" and "Allow" in acl["DefaultAction"]
    [rate] = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate["Statement"]["RateBasedStatement"] == {
        "Limit": STAGES[stage].waf_requests_per_ip_per_5_minutes, "AggregateKeyType": "IP", "EvaluationWindowSec": 300,
    }
    assert "Block" in rate["Action"]
    managed = {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"]
               if "ManagedRuleGroupStatement" in r["Statement"]}
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed

    [association] = of_type(template, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    arn = json.dumps(association["Properties"]["ResourceArn"])
    assert '{"Ref": "RestAPI"}' in arn and f"/stages/{stage}" in arn


def test_the_sla_sweep_keeps_its_reserved_concurrency_where_the_stage_reserves_it(stage, template):
    sweep = template["Resources"]["SlaSweep"]["Properties"]
    assert sweep.get("ReservedConcurrentExecutions") == STAGES[stage].sweep_reserved_concurrency
    assert STAGES["prod"].sweep_reserved_concurrency


def test_the_jobs_the_smoke_test_invokes_are_functions_of_the_stack(template):
    functions = of_type(template, "AWS::Serverless::Function")
    for job in ("sla_sweep", "deliver_notifications", "monthly_report"):
        assert function_logical_id(job) in functions


def test_customer_and_staff_sms_are_alarmed_on_apart_and_the_accounts_spend_before_its_limit(stage, template):
    settings = STAGES[stage]
    # CDK suffixes a construct's id with a hash to make the logical id.
    alarms = {logical_id[:-8]: alarm for logical_id, alarm in of_type(template, "AWS::CloudWatch::Alarm").items()}

    def sms_alarm(name: str) -> tuple[str, str, float, int]:
        props = alarms[name]["Properties"]
        dimensions = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        assert dimensions["service"] == "service-desk" and props["Namespace"] == "ServiceDesk"
        return props["MetricName"], dimensions["audience"], props["Threshold"], props["Period"]

    assert sms_alarm("CustomerSmsVolumeAlarm") == ("SmsSent", "customer", settings.customer_sms_per_hour_alarm, 3600)
    assert sms_alarm("StaffSmsVolumeAlarm") == ("SmsSent", "staff", settings.staff_sms_per_hour_alarm, 3600)
    assert sms_alarm("StaffSmsFailedAlarm") == ("SmsFailed", "staff", 1, 300)
    spend = alarms["SmsSpendAlarm"]["Properties"]
    assert (spend["Namespace"], spend["MetricName"]) == ("AWS/SNS", "SMSMonthToDateSpentUSD")
    assert 0 < spend["Threshold"] < settings.sms_monthly_spend_limit_usd
    for name in ("CustomerSmsVolumeAlarm", "StaffSmsVolumeAlarm", "StaffSmsFailedAlarm", "SmsSpendAlarm"):
        assert alarms[name]["Properties"]["AlarmActions"], f"{name} tells the on-call"
