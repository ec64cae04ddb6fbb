"""The smoke test operators run after every deploy, run here against the local stack: it passes, prints
one line per check, and leaves nothing of its own behind."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest

from chalicelib.adapters.provision import STAFF_POOL_NAME
from chalicelib.settings import Settings
from tests.e2e.stack import REPO_ROOT, LocalStack

pytestmark = pytest.mark.e2e

CHECKS = (
    "the app answers", "photo upload", "report with a photo", "tracking page", "staff sign-in",
    "photo viewed back", "SLA sweep", "notification delivery", "monthly report (dry run)", "clean-up",
)


def test_the_smoke_test_passes_on_the_local_stack_and_cleans_up_after_itself(local_stack: LocalStack) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTEST_CURRENT_TEST"}
    done = subprocess.run(
        [sys.executable, "-m", "ops.smoke", "--base-url", local_stack.app_url,
         "--aws-endpoint-url", local_stack.aws_url, "--report-timeout", "240"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split(":", 1)[0].split(None, 1)[1] for line in lines] == list(CHECKS)
    assert all(line.startswith("ok ") for line in lines)
    number = next(line for line in lines if line.startswith("ok    report with a photo")).rsplit(" ", 1)[1]
    assert f"items of {number}" in lines[-1] and "the photo" in lines[-1] and "account smoke-" in lines[-1]

    # Nothing of the smoke test's is left in the stand-in: no item under the ticket, no smoke account.
    aws = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1")
    items = aws.client("dynamodb", endpoint_url=local_stack.aws_url).query(
        TableName=Settings(local_mode=True).table_name, KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"TICKET#{number}"}},
    )["Items"]
    assert items == []
    idp = aws.client("cognito-idp", endpoint_url=local_stack.aws_url)
    pool = next(p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == STAFF_POOL_NAME)
    assert not [u for u in idp.list_users(UserPoolId=pool)["Users"] if u["Username"].startswith("smoke-")]
