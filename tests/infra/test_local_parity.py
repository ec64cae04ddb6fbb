"""The local stack is provisioned like the stage it follows (``provision.LOCAL_STAGE``, dev): the staff
pool's MFA, password policy and groups, the bucket's encryption, the queues, the table and every
function's environment, read back from the stand-in and compared with the synthesized template."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.provision import LOCAL_STAGE, ensure_resources, local_environment
from chalicelib.settings import Settings
from tests.infra.conftest import Synthesized


@pytest.fixture(scope="module")
def local() -> Any:
    """What ``make run`` provisions, read back from moto as AWS would describe it."""
    with mock_aws():
        aws_clients.reset()
        settings = Settings(local_mode=True, public_base_url="http://127.0.0.1:8000")
        made = ensure_resources(settings)
        idp, s3, sqs, ddb = (boto3.client(n, region_name="us-east-1") for n in ("cognito-idp", "s3", "sqs", "dynamodb"))
        pool = idp.describe_user_pool(UserPoolId=made["user_pool_id"])["UserPool"]
        queues = {
            url.rsplit("/", 1)[1]: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            for url in sqs.list_queues()["QueueUrls"]
        }
        described = {
            "mfa": idp.get_user_pool_mfa_config(UserPoolId=made["user_pool_id"]),
            "password": pool["Policies"]["PasswordPolicy"],
            "groups": {g["GroupName"] for g in idp.list_groups(UserPoolId=made["user_pool_id"])["Groups"]},
            "encryption": s3.get_bucket_encryption(Bucket=made["bucket"])["ServerSideEncryptionConfiguration"],
            "queues": queues,
            "table": ddb.describe_table(TableName=made["table"])["Table"],
            "ttl": ddb.describe_time_to_live(TableName=made["table"])["TimeToLiveDescription"],
            "pitr": ddb.describe_continuous_backups(TableName=made["table"])["ContinuousBackupsDescription"],
            "environment": local_environment(settings, made, region="us-east-1"),
        }
    aws_clients.reset()
    return described


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates[LOCAL_STAGE]


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == kind}


def one(template: dict[str, Any], kind: str, prefix: str = "") -> dict[str, Any]:
    [found] = [p for k, p in resources(template, kind).items() if k.startswith(prefix)]
    return found


def test_the_staff_pool_asks_for_an_authenticator_app_as_the_stage_does(local, template):
    pool = one(template, "AWS::Cognito::UserPool")
    assert local["mfa"]["MfaConfiguration"] == pool["MfaConfiguration"]
    assert local["mfa"]["SoftwareTokenMfaConfiguration"]["Enabled"] is ("SOFTWARE_TOKEN_MFA" in pool["EnabledMfas"])
    assert "SMS_MFA" not in pool["EnabledMfas"]


def test_the_staff_pool_has_the_password_policy_and_groups_of_the_stage(local, template):
    policy = one(template, "AWS::Cognito::UserPool")["Policies"]["PasswordPolicy"]
    assert {k: local["password"][k] for k in policy} == policy
    groups = {p["GroupName"] for p in resources(template, "AWS::Cognito::UserPoolGroup").values()}
    assert local["groups"] == groups


def test_the_files_bucket_is_encrypted_with_kms_and_a_bucket_key_as_on_aws(local, template):
    [bucket] = [p for k, p in resources(template, "AWS::S3::Bucket").items() if k.startswith("Files")
                and "FilesAccessLogs" not in k]
    [rule] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    [local_rule] = local["encryption"]["Rules"]
    assert local_rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == rule[
        "ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert local_rule["BucketKeyEnabled"] is rule["BucketKeyEnabled"] is True


def test_the_queues_redrive_and_keep_messages_as_on_aws(local, template):
    queues = resources(template, "AWS::SQS::Queue")
    parts, parts_dead, notification_dead = (
        one(template, "AWS::SQS::Queue", name) for name in ("ReportParts", "ReportPartDeadLetters", "NotificationDeadLetters")
    )
    assert len(queues) == 3
    local_parts = local["queues"]["service-desk-report-parts"]
    assert json.loads(local_parts["RedrivePolicy"])["maxReceiveCount"] == parts["RedrivePolicy"]["maxReceiveCount"]
    assert int(local_parts["MessageRetentionPeriod"]) == parts["MessageRetentionPeriod"]
    assert int(local["queues"]["service-desk-report-parts-dlq"]["MessageRetentionPeriod"]) == parts_dead[
        "MessageRetentionPeriod"]
    assert int(local["queues"]["service-desk-notification-dlq"]["MessageRetentionPeriod"]) == notification_dead[
        "MessageRetentionPeriod"]


def test_the_table_has_the_stages_keys_indexes_ttl_and_recovery(local, template):
    table = one(template, "AWS::DynamoDB::Table")
    local_table = local["table"]

    def indexes(items: list[dict[str, Any]]) -> dict[str, Any]:
        return {i["IndexName"]: ([(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]],
                                 i["Projection"]["ProjectionType"]) for i in items}

    assert indexes(local_table["GlobalSecondaryIndexes"]) == indexes(table["GlobalSecondaryIndexes"])
    assert local_table["KeySchema"] == table["KeySchema"]
    assert local_table["BillingModeSummary"]["BillingMode"] == table["BillingMode"]
    assert local["ttl"]["AttributeName"] == table["TimeToLiveSpecification"]["AttributeName"]
    assert local["pitr"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert local_table["DeletionProtectionEnabled"] is table["DeletionProtectionEnabled"] is True


# Settings of Python itself on Lambda, not of the app: where it reads the bytecode layer's compiled modules
# (locally Python keeps its own __pycache__).
PYTHON_ON_LAMBDA = {"PYTHONPYCACHEPREFIX"}


def test_every_function_gets_the_variables_the_local_stack_sets(local, template):
    for function, properties in resources(template, "AWS::Serverless::Function").items():
        names = set(properties["Environment"]["Variables"]) - PYTHON_ON_LAMBDA
        assert names == set(local["environment"]), f"{function}: {sorted(names ^ set(local['environment']))}"
    assert local["environment"]["LOCAL_MODE"] == "true" and local["environment"]["STAGE"] == LOCAL_STAGE
