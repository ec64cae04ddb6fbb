"""``python -m ops.check_invariants`` over DynamoDB (moto): silent when the promise holds, one line and
exit status 1 for a ticket the sweep would never find."""

from chalicelib import wiring
from chalicelib.adapters import keys
from chalicelib.adapters.aws import client as aws_client
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Priority
from chalicelib.settings import get_settings
from ops.check_invariants import main
from tests.fakes import DEMO_ROSTER, valid_report


def test_a_ticket_taken_out_of_the_due_index_is_reported(aws, capsys):
    services = wiring.services()
    services.config.put_roster(DEMO_ROSTER)
    number = services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    services.desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    capsys.readouterr()  # the sends' metric lines (EMF on standard output), not the checker's
    assert main() == 0 and capsys.readouterr().out == ""

    aws_client("dynamodb").update_item(
        TableName=get_settings().table_name,
        Key={"pk": {"S": keys.ticket_pk(number)}, "sk": {"S": keys.TICKET_SK}},
        UpdateExpression="REMOVE due_pk, due_at",
    )
    assert main() == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{number}: owes warn:contacted@") and line.endswith("but is not in the due index")
