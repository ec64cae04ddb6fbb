"""What a careful operator checks in the synthesized templates, for every stage."""

from __future__ import annotations

import json
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
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["cheaper-class-for-old-files"]["Transitions"][0]["StorageClass"] == "STANDARD_IA"
    parts = rules["expire-report-build-parts"]
    assert parts["Prefix"] == "reports/builds/" and parts["ExpirationInDays"] == 7, "report parts do not pile up"
    tls_denials = [
        s
        for _, s in resource_policy_statements(template)
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert tls_denials, "no bucket policy refuses plain HTTP"


def test_uploads_never_attached_expire_and_attached_ones_are_kept(template):
    bucket = only(template, "AWS::S3::Bucket", lambda p: "CorsConfiguration" in p)
    rules = [r for r in bucket["LifecycleConfiguration"]["Rules"] if r["Id"].startswith("expire-unattached-")]

    assert sorted(r["Prefix"] for r in rules) == ["forms/", "imports/", "uploads/photos/"]
    for rule in rules:
        assert rule["Status"] == "Enabled"
        # Only uploads still tagged as unattached: an attached photo stays at its key and must be kept.
        assert rule["TagFilters"] == [{"Key": "attached", "Value": "no"}]
        assert 1 <= rule["ExpirationInDays"] <= 7
    [files] = [s for _, s in identity_statements(template) if s.get("Sid") == "Files"][:1]
    assert "s3:PutObjectTagging" in as_list(files["Action"]), "uploads carry a tag, and attaching retags them"


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


def queue_id(template: dict[str, Any], prefix: str) -> str:
    """The logical id of the stack's one queue whose construct id is ``prefix``."""
    [found] = [logical_id for logical_id in resources(template, "AWS::SQS::Queue") if logical_id.startswith(prefix)]
    return found


def event_types(function: dict[str, Any]) -> set[str]:
    return {event["Type"] for event in function["Properties"].get("Events", {}).values()}


def alarmed_queues(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Queue logical id -> the alarm on its visible messages."""
    return {
        dimension["Value"]["Fn::GetAtt"][0]: alarm["Properties"]
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        for dimension in alarm["Properties"]["Dimensions"]
        if dimension["Name"] == "QueueName"
    }


def function_statements(template: dict[str, Any], function_id: str) -> dict[str, dict[str, Any]]:
    """The statements of a packaged function's own role, by Sid."""
    role = template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    return {
        statement["Sid"]: statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    }


def test_failed_scheduled_runs_land_in_an_encrypted_dead_letter_queue_that_is_alarmed(template):
    functions = resources(template, "AWS::Serverless::Function")
    dead_letters = queue_id(template, "NotificationDeadLetters")
    scheduled = {k for k, f in functions.items() if "Schedule" in event_types(f)}

    assert {"DeliverNotifications", "MonthlyReport"} <= scheduled
    for logical_id in scheduled:
        assert functions[logical_id]["Properties"]["DeadLetterQueue"]["TargetArn"] == {
            "Fn::GetAtt": [dead_letters, "Arn"]
        }
    assert "KmsMasterKeyId" in template["Resources"][dead_letters]["Properties"]
    assert alarmed_queues(template)[dead_letters]["AlarmActions"]


def test_report_parts_wait_in_an_encrypted_tls_only_queue_with_an_alarmed_dead_letter_queue(template):
    parts, dead_letters = queue_id(template, "ReportParts"), queue_id(template, "ReportPartDeadLetters")
    queue = template["Resources"][parts]["Properties"]
    report_part = template["Resources"]["ReportPart"]["Properties"]

    assert "KmsMasterKeyId" in queue and "KmsMasterKeyId" in template["Resources"][dead_letters]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]},
        "maxReceiveCount": 3,
    }
    # AWS: a queue that feeds a function hides a received message for six times the function's timeout.
    assert queue["VisibilityTimeout"] == 6 * report_part["Timeout"]
    tls_only = [
        s
        for _, s in resource_policy_statements(template)
        if s["Effect"] == "Deny"
        and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        and {"Fn::GetAtt": [parts, "Arn"]} in as_list(s["Resource"])
    ]
    assert tls_only, "the report-parts queue accepts plain HTTP"
    alarm = alarmed_queues(template)[dead_letters]
    assert alarm["Threshold"] == 1 and alarm["AlarmActions"]


def test_report_part_is_fed_by_the_stacks_queue_one_part_at_a_time(template):
    functions = resources(template, "AWS::Serverless::Function")
    report_part = functions["ReportPart"]["Properties"]
    [event] = report_part["Events"].values()

    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": [queue_id(template, "ReportParts"), "Arn"]}
    assert event["Properties"]["BatchSize"] == 1
    assert report_part["Timeout"] == 300 and report_part["MemorySize"] >= 1024
    # The nightly job only queues the parts now.
    assert functions["MonthlyReport"]["Properties"]["Timeout"] <= 60
    assert functions["MonthlyReport"]["Properties"]["MemorySize"] == 512
    assert [k for k, f in functions.items() if "SQS" in event_types(f)] == ["ReportPart"]


def test_only_the_report_starters_queue_parts_and_only_report_part_consumes_them(template):
    parts_arn = {"Fn::GetAtt": [queue_id(template, "ReportParts"), "Arn"]}
    functions = resources(template, "AWS::Serverless::Function")
    sending = {f for f in functions if "QueueReportParts" in function_statements(template, f)}
    receiving = {f for f in functions if "ReceiveReportParts" in function_statements(template, f)}

    assert sending == {"APIHandler", "MonthlyReport"}
    assert receiving == {"ReportPart"}
    for function_id in sending:
        statement = function_statements(template, function_id)["QueueReportParts"]
        assert (statement["Action"], statement["Resource"]) == ("sqs:SendMessage", parts_arn)
    statement = function_statements(template, "ReportPart")["ReceiveReportParts"]
    assert set(statement["Action"]) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    assert statement["Resource"] == parts_arn
    for function_id, function in functions.items():
        assert function["Properties"]["Environment"]["Variables"]["REPORT_QUEUE_URL"] == {
            "Ref": queue_id(template, "ReportParts")
        }, function_id


def test_report_part_reads_the_month_writes_its_build_and_report_files_and_may_send(template):
    statements = function_statements(template, "ReportPart")

    assert {"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"} <= set(
        statements["Table"]["Action"]
    )
    assert "dynamodb:DeleteItem" not in statements["Table"]["Action"]
    assert "by_month" in str(statements["TableIndexes"]["Resource"])
    assert set(statements["ReportFiles"]["Action"]) == {"s3:PutObject", "s3:GetObject"}
    assert "reports/*" in str(statements["ReportFiles"]["Resource"])
    assert statements["ReportFilesMissingIs404"]["Action"] == "s3:ListBucket"
    assert "Files" not in statements, "report_part reads no customer files"
    assert "ses:FromAddress" in statements["Email"]["Condition"]["StringEquals"]


def test_an_alarm_watches_the_oldest_overdue_ticket_not_escalated(template):
    [alarm] = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "OldestOverdueTicketNotEscalatedSeconds"
    ]

    assert alarm["Namespace"] == "ServiceDesk"
    assert alarm["AlarmActions"], "the alarm notifies nobody"


def test_an_alarm_fires_when_a_coming_year_has_no_official_holiday_schedule(template):
    [alarm] = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "HolidayCalendarYearsNotOfficial"
    ]
    assert alarm["Namespace"] == "ServiceDesk" and alarm["Threshold"] == 1
    assert "ops.config calendars put" in alarm["AlarmDescription"]


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


def test_functions_publish_to_the_stacks_desk_topic_and_phone_numbers_but_no_other_topic(template):
    [desk_topic] = [r for r in resources(template, "AWS::SNS::Topic").values()
                    if r["Properties"].get("DisplayName") == "Service desk: new tickets"]
    desk_tags = {t["Key"]: t["Value"] for t in desk_topic["Properties"].get("Tags", [])}
    publishing = [
        p["Properties"]["PolicyDocument"]["Statement"] for p in resources(template, "AWS::IAM::Policy").values()
        if any("sns:Publish" in as_list(s["Action"]) and s["Effect"] == "Allow"
               for s in p["Properties"]["PolicyDocument"]["Statement"])
    ]

    assert publishing
    for statements in publishing:
        [deny] = [s for s in statements if s["Effect"] == "Deny" and "sns:Publish" in as_list(s["Action"])]
        # Only ARNs match, so a Publish to a phone number (no ARN, IAM's "*") is untouched by the Deny.
        assert deny["Resource"] != "*" and "sns:*:*:*" in json.dumps(deny["Resource"])
        [(key, value)] = deny["Condition"]["StringNotEquals"].items()
        tag = key.removeprefix("aws:ResourceTag/")
        assert tag != key and desk_tags.get(tag) == value, "the desk topic is the one topic left to publish to"


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
        # Secrets are read at run time; the environment names them only.
        assert "resolve:secretsmanager" not in str(env)
        assert "LINK_SIGNING_SECRET" not in env and "SMTP_PASSWORD" not in env
        [link_secret] = [k for k in resources(template, "AWS::SecretsManager::Secret") if k.startswith("LinkSigning")]
        assert env["LINK_SIGNING_SECRET_NAME"] == {"Ref": link_secret}
        assert env["LOCAL_MODE"] == "false"
