"""What a careful operator checks in the synthesized templates, for every stage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters import schema
from tests.infra.conftest import STAGES, Synthesized

# IAM statements that may name "*" as resource, because the service offers nothing narrower.
STAR_RESOURCE_STATEMENTS = {
    "Tracing",  # xray:PutTraceSegments / PutTelemetryRecords have no resource-level permissions
    "SmsToPhoneNumbers",  # sns:Publish to a phone number has no ARN
}
# The CDK provider that sets the account's SMS preferences (SetSMSAttributes has no resource ARN).
STAR_RESOURCE_ACTIONS = {"sns:SetSMSAttributes"}


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def only(template: dict[str, Any], resource_type: str, where=lambda props: True) -> dict[str, Any]:
    found = [r["Properties"] for r in resources(template, resource_type).values() if where(r.get("Properties", {}))]
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return found[0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def identity_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of an IAM policy attached to a principal of this stack."""
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [props["PolicyDocument"]]
        elif resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
        else:
            continue
        for document in documents:
            for statement in document["Statement"]:
                yield logical_id, statement


def resource_policy_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in template["Resources"].items():
        document = resource.get("Properties", {}).get("PolicyDocument")
        if resource["Type"].endswith(("::BucketPolicy", "::QueuePolicy", "::TopicPolicy")) and document:
            for statement in document["Statement"]:
                yield logical_id, statement
        if resource["Type"] == "AWS::KMS::Key":
            for statement in resource["Properties"]["KeyPolicy"]["Statement"]:
                yield logical_id, statement


@pytest.fixture(params=STAGES)
def template(request: pytest.FixtureRequest, synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates[request.param]


def test_the_table_is_the_one_the_app_defines(template):
    definition = schema.create_table_kwargs("unused")
    table = only(template, "AWS::DynamoDB::Table")

    assert table["KeySchema"] == definition["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(definition["AttributeDefinitions"], key=str)
    assert {i["IndexName"]: i["KeySchema"] for i in table["GlobalSecondaryIndexes"]} == {
        i["IndexName"]: i["KeySchema"] for i in definition["GlobalSecondaryIndexes"]
    }
    assert table["TimeToLiveSpecification"] == {"AttributeName": schema.TTL_ATTRIBUTE, "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_the_table_is_recoverable_protected_and_encrypted(template):
    table = only(template, "AWS::DynamoDB::Table")
    [resource] = resources(template, "AWS::DynamoDB::Table").values()

    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["DeletionProtectionEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["SSESpecification"]["SSEType"] == "KMS"
    assert resource["DeletionPolicy"] == "Retain"


def test_the_files_bucket_is_private_encrypted_versioned_and_tls_only(template):
    bucket = only(template, "AWS::S3::Bucket", lambda p: "CorsConfiguration" in p)

    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [encryption] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Transitions"][0]["StorageClass"] == "STANDARD_IA"
    tls_denials = [
        s for _, s in resource_policy_statements(template)
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert tls_denials, "no bucket policy refuses plain HTTP"


def test_browsers_may_upload_to_the_bucket_only_from_the_app_origin(template):
    bucket = only(template, "AWS::S3::Bucket", lambda p: "CorsConfiguration" in p)
    [rule] = bucket["CorsConfiguration"]["CorsRules"]

    assert set(rule["AllowedMethods"]) == {"POST", "GET"}
    [origin] = rule["AllowedOrigins"]
    assert origin != "*"
    assert "PublicBaseUrl" in str(origin)  # derived from the PublicBaseUrl parameter


def test_no_bucket_is_public(template):
    for bucket in resources(template, "AWS::S3::Bucket").values():
        assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values())
        assert "WebsiteConfiguration" not in bucket["Properties"]


def test_every_function_has_its_own_role_log_group_and_error_and_throttle_alarms(template):
    functions = resources(template, "AWS::Serverless::Function")
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    alarmed = {
        (a["Properties"]["MetricName"], a["Properties"]["Dimensions"][0]["Value"]["Ref"])
        for a in alarms
        if a["Properties"].get("Namespace") == "AWS/Lambda"
    }

    assert {"APIHandler", "DeliverNotifications"} <= set(functions)
    roles = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()]
    assert len(set(roles)) == len(functions)
    for logical_id, function in functions.items():
        assert "Ref" in function["Properties"]["LoggingConfig"]["LogGroup"]
        assert ("Errors", logical_id) in alarmed
        assert ("Throttles", logical_id) in alarmed


def test_failed_scheduled_runs_land_in_an_encrypted_dead_letter_queue_that_is_alarmed(template):
    functions = resources(template, "AWS::Serverless::Function")
    queue_id = next(iter(resources(template, "AWS::SQS::Queue")))
    scheduled = {k for k, f in functions.items() if "Events" in f["Properties"]}

    assert "DeliverNotifications" in scheduled
    for logical_id in scheduled:
        assert functions[logical_id]["Properties"]["DeadLetterQueue"]["TargetArn"] == {
            "Fn::GetAtt": [queue_id, "Arn"]
        }
    assert "KmsMasterKeyId" in template["Resources"][queue_id]["Properties"]
    assert any(
        a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    )


def test_an_alarm_watches_the_oldest_overdue_ticket_not_escalated(template):
    [alarm] = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "OldestOverdueTicketNotEscalatedSeconds"
    ]

    assert alarm["Namespace"] == "ServiceDesk"
    assert alarm["AlarmActions"], "the alarm notifies nobody"


def test_every_alarm_notifies_the_alarm_topic(template):
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"]


def test_no_iam_policy_grants_a_wildcard_action(template):
    offending = [
        (logical_id, action)
        for logical_id, statement in identity_statements(template)
        for action in as_list(statement.get("Action", []))
        if "*" in action
    ]

    assert offending == []


def test_resource_policies_grant_wildcard_actions_to_no_one_but_the_account_itself(template):
    offending = []
    for logical_id, statement in resource_policy_statements(template):
        # A key policy must let the account manage its key ("kms:*" for the account root, AWS's
        # default key policy; Secrets Manager's grants to it look alike): that only hands the decision
        # to IAM, where the identity policies above allow no wildcard.
        to_account_root = ":root" in str(statement.get("Principal"))
        for action in as_list(statement.get("Action", [])):
            if "*" in action and statement["Effect"] == "Allow" and not to_account_root:
                offending.append((logical_id, action))

    assert offending == []


def test_iam_names_its_resources_except_where_aws_has_no_resource_to_name(template):
    offending = [
        (logical_id, statement.get("Sid"), statement["Action"])
        for logical_id, statement in identity_statements(template)
        if "*" in as_list(statement.get("Resource", []))
        and statement.get("Sid") not in STAR_RESOURCE_STATEMENTS
        and not set(as_list(statement["Action"])) <= STAR_RESOURCE_ACTIONS
    ]

    assert offending == []


def test_the_app_roles_touch_only_this_stacks_table_bucket_topic_and_identity(template):
    app_roles = {
        f["Properties"]["Role"]["Fn::GetAtt"][0] for f in resources(template, "AWS::Serverless::Function").values()
    }
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(template, "AWS::IAM::Policy").values()
        if any(r["Ref"] in app_roles for r in p["Properties"]["Roles"])
    ]

    assert len(policies) == len(app_roles)
    for statements in policies:
        by_sid = {s["Sid"]: s for s in statements}
        assert "Table" in by_sid and "WriteOwnLogs" in by_sid
        email = by_sid.get("Email")
        if email:
            assert "ses:FromAddress" in email["Condition"]["StringEquals"]


def test_the_staff_directory_has_one_group_per_role_and_no_self_sign_up(template):
    pool = only(template, "AWS::Cognito::UserPool")
    groups = {g["Properties"]["GroupName"] for g in resources(template, "AWS::Cognito::UserPoolGroup").values()}

    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["DeletionProtection"] == "ACTIVE"
    assert groups == {"desk", "supervisor", "technician", "chief_engineer", "general_manager", "quality", "admin"}
    assert resources(template, "AWS::Cognito::UserPoolClient")


def test_email_has_an_identity_with_a_configuration_set(template):
    identity = only(template, "AWS::SES::EmailIdentity")

    assert identity["ConfigurationSetAttributes"]["ConfigurationSetName"]


def test_sms_are_transactional_with_a_monthly_spend_limit_parameter(template):
    [sms] = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "Custom::AWS" and "SetSMSAttributes" in str(r["Properties"].get("Create"))
    ]

    assert "Transactional" in str(sms["Create"])
    assert "SmsMonthlySpendLimitUsd" in str(sms["Create"])
    assert template["Parameters"]["SmsMonthlySpendLimitUsd"]["Type"] == "Number"


def test_no_secret_value_is_in_the_template(template):
    variables = [
        f["Properties"]["Environment"]["Variables"] for f in resources(template, "AWS::Serverless::Function").values()
    ]

    for env in variables:
        assert "resolve:secretsmanager" in str(env["LINK_SIGNING_SECRET"])
        assert env["LOCAL_MODE"] == "false"
