"""Staff sign in with the login an admin gave them, and that login is what the app shows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import STAGES, Synthesized


@pytest.fixture(params=STAGES)
def pool(request: pytest.FixtureRequest, synthesized: Synthesized) -> dict[str, Any]:
    [found] = [
        r["Properties"]
        for r in synthesized.templates[request.param]["Resources"].values()
        if r["Type"] == "AWS::Cognito::UserPool"
    ]
    return found


def test_usernames_are_the_logins_an_admin_chooses_not_generated_uuids(pool):
    # UsernameAttributes=email makes Cognito generate a UUID username for every account.
    assert "UsernameAttributes" not in pool
    assert "email" not in pool.get("AliasAttributes", [])
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}


def test_email_is_an_attribute_every_account_has_for_recovery(pool):
    [email] = [a for a in pool["Schema"] if a["Name"] == "email"]

    assert email["Required"] is True
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["AccountRecoverySetting"]["RecoveryMechanisms"] == [{"Name": "verified_email", "Priority": 1}]


@pytest.mark.parametrize("stage", STAGES)
def test_integrations_get_a_scope_per_role_but_technician_and_a_token_endpoint(synthesized, stage):
    from chalicelib.adapters.cognito import API_RESOURCE_SERVER, MACHINE_ROLES

    template = synthesized.templates[stage]
    [server] = [r["Properties"] for r in template["Resources"].values()
                if r["Type"] == "AWS::Cognito::UserPoolResourceServer"]
    assert server["Identifier"] == API_RESOURCE_SERVER
    assert {s["ScopeName"] for s in server["Scopes"]} == set(MACHINE_ROLES)
    assert "technician" not in MACHINE_ROLES
    assert [r for r in template["Resources"].values() if r["Type"] == "AWS::Cognito::UserPoolDomain"]
    assert "ApiTokenEndpoint" in template["Outputs"]
