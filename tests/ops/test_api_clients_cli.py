"""An administrator gives an integration its own credentials, scoped to the roles it may act in."""

import pytest
from moto import mock_aws

from chalicelib.adapters.aws import client
from chalicelib.adapters.provision import ensure_resources
from chalicelib.settings import get_settings
from ops.api_clients import main


def test_an_integrations_client_gets_client_credentials_scoped_to_its_roles_and_can_be_removed(capsys):
    with mock_aws():
        pool = ensure_resources(get_settings())["user_pool_id"]
        assert main(["add", "--pool", pool, "--name", "erp", "--role", "supervisor", "--role", "desk"]) == 0
        printed = capsys.readouterr().out
        client_id = printed.split("client id:", 1)[1].split()[0]
        assert "client secret:" in printed and "shown once" in printed

        made = client("cognito-idp").describe_user_pool_client(UserPoolId=pool, ClientId=client_id)["UserPoolClient"]
        assert made["AllowedOAuthFlows"] == ["client_credentials"]
        assert sorted(made["AllowedOAuthScopes"]) == ["service-desk/desk", "service-desk/supervisor"]
        scopes = client("cognito-idp").describe_resource_server(UserPoolId=pool, Identifier="service-desk")
        assert "technician" not in {s["ScopeName"] for s in scopes["ResourceServer"]["Scopes"]}

        assert main(["list", "--pool", pool]) == 0
        assert f"{client_id}  erp  desk, supervisor" in capsys.readouterr().out
        assert main(["remove", "--pool", pool, "--client-id", client_id]) == 0
        assert f"removed {client_id}" in capsys.readouterr().out
        main(["list", "--pool", pool])
        assert client_id not in capsys.readouterr().out


def test_a_technician_scope_is_not_offered_to_machines(capsys):
    with pytest.raises(SystemExit):
        main(["add", "--pool", "p", "--name", "erp", "--role", "technician"])
    assert "invalid choice" in capsys.readouterr().err
