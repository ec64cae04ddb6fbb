"""Stored files reach browsers through CloudFront only: the bucket lets in the app's roles and the
distribution, the distribution answers only URLs signed with the stage's key, over HTTPS, and every file
it serves says ``X-Content-Type-Options: nosniff`` (a presigned S3 link cannot)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.file_headers import STORED_FILE_HEADERS
from tests.infra.conftest import STAGES, Synthesized
from tests.infra.test_template import only, resources


@pytest.fixture(params=STAGES)
def template(request: pytest.FixtureRequest, synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates[request.param]


def logical_id(template: dict[str, Any], resource_type: str) -> str:
    [found] = resources(template, resource_type)
    return found


def files_bucket(template: dict[str, Any]) -> str:
    [bucket] = [k for k, r in resources(template, "AWS::S3::Bucket").items() if "CorsConfiguration" in r["Properties"]]
    return bucket


def test_the_files_distribution_serves_the_bucket_over_https_to_signed_urls_only(template):
    config = only(template, "AWS::CloudFront::Distribution")["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    [origin] = config["Origins"]

    assert origin["DomainName"] == {"Fn::GetAtt": [files_bucket(template), "RegionalDomainName"]}
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert behavior["TrustedKeyGroups"] == [{"Ref": logical_id(template, "AWS::CloudFront::KeyGroup")}]
    assert "TrustedSigners" not in behavior, "key groups, not the account's root CloudFront key pairs"


def test_the_distribution_reaches_the_bucket_through_origin_access_control(template):
    [origin] = only(template, "AWS::CloudFront::Distribution")["DistributionConfig"]["Origins"]
    control = only(template, "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"]

    assert origin["OriginAccessControlId"] == {
        "Fn::GetAtt": [logical_id(template, "AWS::CloudFront::OriginAccessControl"), "Id"]
    }
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}, "no legacy origin access identity"
    assert control == control | {
        "OriginAccessControlOriginType": "s3",
        "SigningBehavior": "always",
        "SigningProtocol": "sigv4",
    }


def test_the_bucket_lets_in_only_this_distribution_besides_the_app(template):
    bucket = files_bucket(template)
    [policy] = [
        r["Properties"]["PolicyDocument"]
        for r in resources(template, "AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    allowed = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    distribution = logical_id(template, "AWS::CloudFront::Distribution")

    [statement] = allowed
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Action"] == "s3:GetObject"
    source = statement["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert {"Ref": distribution} in source["Fn::Join"][1], "only this stage's distribution, not any of the account"


def test_every_file_is_served_nosniff_unframed_and_never_run(template):
    policy_id = only(template, "AWS::CloudFront::Distribution")["DistributionConfig"]["DefaultCacheBehavior"][
        "ResponseHeadersPolicyId"
    ]
    headers = template["Resources"][policy_id["Ref"]]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"
    ]

    assert headers["ContentTypeOptions"] == {"Override": True}
    csp = headers["ContentSecurityPolicy"]
    assert csp["Override"] is True
    assert {"default-src 'none'", "frame-ancestors 'none'", "sandbox"} <= {
        part.strip() for part in csp["ContentSecurityPolicy"].split(";")
    }
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert csp["ContentSecurityPolicy"] == STORED_FILE_HEADERS["Content-Security-Policy"], "as the stand-in's"
    assert headers["StrictTransportSecurity"]["Override"] is True


def test_the_checked_type_a_signed_link_names_reaches_s3(template):
    cache_id = only(template, "AWS::CloudFront::Distribution")["DistributionConfig"]["DefaultCacheBehavior"][
        "CachePolicyId"
    ]
    forwarded = template["Resources"][cache_id["Ref"]]["Properties"]["CachePolicyConfig"][
        "ParametersInCacheKeyAndForwardedToOrigin"
    ]

    assert forwarded["QueryStringsConfig"] == {
        "QueryStringBehavior": "whitelist",
        "QueryStrings": ["response-content-type", "response-content-disposition"],
    }
    assert forwarded["CookiesConfig"] == {"CookieBehavior": "none"}


def test_the_signing_key_is_in_no_template_the_public_key_comes_from_a_parameter(template):
    public_key = only(template, "AWS::CloudFront::PublicKey")["PublicKeyConfig"]
    [member] = only(template, "AWS::CloudFront::KeyGroup")["KeyGroupConfig"]["Items"]

    assert member == {"Ref": logical_id(template, "AWS::CloudFront::PublicKey")}
    assert public_key["EncodedKey"] == {"Ref": "FilesSigningPublicKey"}
    assert template["Parameters"]["FilesSigningPublicKey"]["Type"] == "AWS::SSM::Parameter::Value<String>"
    assert "BEGIN" not in json.dumps(template), "no PEM key in the template"


def test_every_function_links_files_through_the_distribution_with_the_key_it_may_read(template):
    distribution = logical_id(template, "AWS::CloudFront::Distribution")
    policies = [r["Properties"] for r in resources(template, "AWS::IAM::Policy").values()]
    for function, resource in resources(template, "AWS::Serverless::Function").items():
        env = resource["Properties"]["Environment"]["Variables"]
        assert env["FILES_BASE_URL"] == {
            "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution, "DomainName"]}]]
        }, function
        assert env["FILES_SIGNING_KEY_ID"] == {"Ref": logical_id(template, "AWS::CloudFront::PublicKey")}
        role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
        [policy] = [p for p in policies if {"Ref": role} in p["Roles"]]
        readable = [
            r
            for s in policy["PolicyDocument"]["Statement"]
            if "secretsmanager:GetSecretValue" in s["Action"]
            for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        ]
        assert env["FILES_SIGNING_KEY_SECRET_NAME"] in readable, function
