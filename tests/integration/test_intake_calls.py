"""What a report from the public form costs in AWS calls (moto): the ticket number, one read of the archive,
one write (the ticket, its tracking link, its messages, the SMS's short link and the report's counted
limits together) and one write of the sends' outcomes, besides the sends themselves."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient

from chalicelib import wiring
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.services.intake import PublicOrigin, TooManyReports
from tests.fakes import valid_report

SENDS = {"ses", "sns"}


@contextmanager
def counted() -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls[f"{client.meta.service_model.service_name}.{operation}"] += 1
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", counting):
        yield calls


def report(phone: str = "13800138000", ip: str = "192.0.2.1", **overrides: object):
    request = ServiceRequestInput.model_validate(valid_report(phone=phone, **overrides))
    return wiring.services().intake.submit(request, language="zh-CN", origin=PublicOrigin(ip=ip))


@pytest.fixture
def warmed(aws):
    """The plans, rosters and webhook subscriptions a function reads once and keeps: read by a first report."""
    report(phone="13900139000", ip="192.0.2.9")


def test_a_report_with_email_and_sms_is_four_calls_besides_its_sends(warmed):
    with counted() as calls:
        report()

    table = {op: n for op, n in calls.items() if op.split(".")[0] not in SENDS}
    assert table == {
        "dynamodb.UpdateItem": 1,  # the ticket number
        "dynamodb.ExecuteStatement": 1,  # the archive: the product by serial and the customers by phone
        "dynamodb.TransactWriteItems": 2,  # the ticket with everything it brings; the sends' outcomes
    }
    assert sum(n for op, n in calls.items() if op.split(".")[0] in SENDS) == 4  # customer and desk, email and SMS


def test_the_sms_carries_a_short_link_kept_with_the_ticket(warmed, client):
    from moto.backends import get_backend

    receipt = report()

    [sms] = [text for _, _, sns in get_backend("sns").iter_backends() for phone, text, *_ in sns.sms_messages.values()
             if phone == "+8613800138000"]
    path = sms.split("https://desk.example.com", 1)[1].split()[0]
    assert path.startswith("/l/")
    followed = client.http.get(path)
    assert followed.headers["Location"] == receipt.tracking_url


def test_a_report_over_its_address_limit_stores_nothing_and_leaves_its_number_to_the_next(aws, monkeypatch):
    monkeypatch.setenv("INTAKE_LIMIT_IP_PER_HOUR", "2")
    wiring.reset()
    report(phone="13700137000", ip="198.51.100.7")
    last = report(phone="13700137001", ip="198.51.100.7").number

    with pytest.raises(TooManyReports):
        report(phone="13500135000", ip="198.51.100.7")

    assert report(phone="13500135000", ip="198.51.100.8").number == f"{last[:-6]}{int(last[-6:]) + 1:06d}"
