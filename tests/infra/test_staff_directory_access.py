"""Only the web function may list a staff group's members (the dispatch form); a member's contact details
are read by the functions that reach a technician: the web function (his dispatch notice), the SLA sweep
(his own deadlines' warnings) and the delivery of messages (who a technician's SMS given up on was for),
each only in this pool."""

from __future__ import annotations

from tests.infra.test_template import identity_statements, template  # noqa: F401 (fixture)

READS_CONTACTS = ("APIHandlerRole", "SlaSweepRole", "DeliverNotificationsRole")


def test_only_the_pages_function_lists_staff_and_only_this_stacks_pool(template):  # noqa: F811
    listing = [(logical_id, s) for logical_id, s in identity_statements(template)
               if "cognito-idp:ListUsersInGroup" in str(s.get("Action"))]

    assert [logical_id.startswith("APIHandlerRole") for logical_id, _ in listing] == [True]
    (_, statement), = listing
    assert statement["Action"] == ["cognito-idp:ListUsersInGroup", "cognito-idp:AdminGetUser"]
    pool, attribute = statement["Resource"]["Fn::GetAtt"]
    assert template["Resources"][pool]["Type"] == "AWS::Cognito::UserPool" and attribute == "Arn"


def test_the_functions_that_reach_technicians_read_a_members_contact_and_only_in_this_stacks_pool(template):  # noqa: F811
    reading = {logical_id: s for logical_id, s in identity_statements(template)
               if "cognito-idp:AdminGetUser" in str(s.get("Action"))}

    assert sorted(logical_id.partition("DefaultPolicy")[0] for logical_id in reading) == sorted(READS_CONTACTS)
    for statement in reading.values():
        pool, attribute = statement["Resource"]["Fn::GetAtt"]
        assert template["Resources"][pool]["Type"] == "AWS::Cognito::UserPool" and attribute == "Arn"
