"""Only the web function may list a staff group's members (the dispatch form) and read a member's contact
details (the technician's dispatch notice), and only in this pool."""

from __future__ import annotations

from tests.infra.test_template import identity_statements, template  # noqa: F401 (fixture)


def test_only_the_pages_function_lists_staff_and_only_this_stacks_pool(template):  # noqa: F811
    listing = [(logical_id, s) for logical_id, s in identity_statements(template)
               if "cognito-idp:ListUsersInGroup" in str(s.get("Action"))]

    assert [logical_id.startswith("APIHandlerRole") for logical_id, _ in listing] == [True]
    (_, statement), = listing
    assert statement["Action"] == ["cognito-idp:ListUsersInGroup", "cognito-idp:AdminGetUser"]
    pool, attribute = statement["Resource"]["Fn::GetAtt"]
    assert template["Resources"][pool]["Type"] == "AWS::Cognito::UserPool" and attribute == "Arn"
