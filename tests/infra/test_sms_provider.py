"""A stage that sends SMS through Alibaba or Tencent Cloud (mainland carriers take only registered
templates): the functions get the provider, its signature, template codes and key ID, and read the key
from a secret of the stack and no other. The shared synthesis has SNS stages; this one stage is
synthesized here with the same app, in a process of its own (Chalice's packager imports the app and
sets the stage's variables in the process that packages it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.infra.conftest import INFRA_DIR, offline_env

CODES = "customer_received.zh-CN=SMS_100001,escalation.zh-CN=SMS_100002"
# Builds one stack of a variant of the prod stage, as infra/app.py builds each stage's.
SYNTH = """
import importlib.util, json, sys
from dataclasses import replace
import aws_cdk as cdk

infra_dir, out_dir, sms = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
spec = importlib.util.spec_from_file_location("infra_app", f"{infra_dir}/app.py")
infra_app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(infra_app)  # puts the project and infra/ on the path, as `cdk synth` does
from stacks.service_desk import ServiceDeskStack
from stages import STAGES

context = json.load(open(f"{infra_dir}/cdk.json")).get("context", {})  # the feature flags cdk synth reads
app = cdk.App(outdir=out_dir, context=context)
source = infra_app.deployable_copy(infra_app.Path(out_dir).parent / "source")
ServiceDeskStack(app, "ServiceDesk-cn", stage=replace(STAGES["prod"], name="cn", **sms), source_dir=str(source))
app.synth()
"""


def synthesized_with(tmp_path: Path, **sms: str) -> dict[str, Any]:
    out_dir = tmp_path / "out"
    env = {**offline_env(), "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [sys.executable, "-c", SYNTH, str(INFRA_DIR), str(out_dir), json.dumps(sms)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise AssertionError(result.stderr[-3000:])
    return json.loads((out_dir / "ServiceDesk-cn.template.json").read_text())


def function_environments(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]["Environment"]["Variables"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def readable_secrets(template: dict[str, Any], function: str) -> list[Any]:
    role = template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]
    [policy] = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
    ]
    return [
        resource
        for statement in policy["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in statement["Action"]
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    ]


def test_alibaba_cloud_sms_is_configured_with_its_key_in_a_secret_only_the_functions_read(tmp_path):
    template = synthesized_with(
        tmp_path,
        sms_provider="aliyun",
        sms_sign_name="售后服务",
        sms_template_codes=CODES,
        sms_key_id="LTAI-example-id",
    )
    [(key_id, key)] = [
        (k, r)
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::SecretsManager::Secret" and "Alibaba" in r["Properties"]["Description"]
    ]
    assert key["DeletionPolicy"] == "Retain" and "KmsKeyId" in key["Properties"]
    assert "SecretString" not in key["Properties"], "the key is put in after the deploy, never in the template"

    environments = function_environments(template)
    assert environments
    for function, env in environments.items():
        assert env["SMS_PROVIDER"] == "aliyun"
        assert (env["SMS_SIGN_NAME"], env["SMS_TEMPLATE_CODES"]) == ("售后服务", CODES)
        assert env["ALIYUN_SMS_ACCESS_KEY_ID"] == "LTAI-example-id"
        assert env["ALIYUN_SMS_ACCESS_KEY_SECRET_NAME"] == {"Ref": key_id}
        assert not any(name.startswith("TENCENT_") for name in env)
        assert {"Ref": key_id} in readable_secrets(template, function), function
    assert template["Outputs"]["SmsProviderKeyArn"]["Value"] == {"Ref": key_id}


def test_a_stage_without_the_signature_templates_or_key_id_is_refused_at_synthesis(tmp_path):
    try:
        synthesized_with(tmp_path, sms_provider="tencent", sms_key_id="AKID-example")
    except AssertionError as refused:
        assert "needs sms_sign_name, sms_template_codes, tencent_sms_app_id" in str(refused)
    else:
        raise AssertionError("a stage without its SMS settings was synthesized")
