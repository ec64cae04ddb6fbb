"""Only the web function may list, make and delete the pool's app clients (the administrator's page of
integrations' credentials), only in this stack's pool, and never change the resource server's scopes."""

from __future__ import annotations

from tests.infra.test_template import identity_statements, template  # noqa: F401 (fixture)


def test_only_the_pages_function_manages_app_clients_and_only_in_this_stacks_pool(template):  # noqa: F811
    granted = [
        (logical_id, s)
        for logical_id, s in identity_statements(template)
        if "cognito-idp:CreateUserPoolClient" in str(s.get("Action"))
    ]

    assert [logical_id.startswith("APIHandlerRole") for logical_id, _ in granted] == [True]
    ((_, statement),) = granted
    assert sorted(statement["Action"]) == [
        "cognito-idp:CreateUserPoolClient",
        "cognito-idp:DeleteUserPoolClient",
        "cognito-idp:DescribeUserPoolClient",
        "cognito-idp:ListUserPoolClients",
    ]
    pool, attribute = statement["Resource"]["Fn::GetAtt"]
    assert template["Resources"][pool]["Type"] == "AWS::Cognito::UserPool" and attribute == "Arn"
    assert not any("ResourceServer" in str(s.get("Action")) for _, s in identity_statements(template))
