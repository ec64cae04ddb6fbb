from chalicelib.adapters.aws import client
from chalicelib.adapters.provision import ensure_resources
from chalicelib.settings import get_settings


def test_provisioning_twice_changes_nothing(aws):
    first = ensure_resources(get_settings())
    second = ensure_resources(get_settings())
    assert first == second
    table = client("dynamodb").describe_table(TableName="service-desk")["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {
        "by_status", "by_customer", "by_month", "by_assignee", "due"
    }
    assert "noreply@service-desk.local" in client("ses").list_identities()["Identities"]
