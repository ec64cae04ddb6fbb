"""SMS short links over DynamoDB (moto): the leaders' SMS carry ``/l/<id>``, which leads to the signed
escalation page until its token expires; an unknown one is a polite 404 in the reader's language."""

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

from chalicelib import wiring
from chalicelib.adapters.clock import SystemClock
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.sms import segments
from chalicelib.domain.ticket import Priority
from tests.fakes import DEMO_ROSTER, valid_report


def sent_sms():
    from moto.backends import get_backend

    return [
        (phone, text)
        for _, _, sns in get_backend("sns").iter_backends()
        for phone, text, *_ in sns.sms_messages.values()
    ]


def test_a_leaders_sms_carries_a_short_link_to_the_notice_page(client):
    wiring.services().config.put_roster(DEMO_ROSTER)
    receipt = client.http.post(
        "/api/requests", body=json.dumps(valid_report()), headers={"Content-Type": "application/json"}
    ).json_body
    wiring.services().desk.classify(receipt["number"], actor=SystemActor("supervisor"), priority=Priority.CRITICAL)

    [notice, *_] = [text for _, text in sent_sms() if "特急" in text and receipt["number"] in text]
    assert "/escalations/" not in notice and segments(notice) == 1
    path = notice.split("https://desk.example.com", 1)[1]
    assert path.startswith("/l/")
    followed = client.http.get(path)
    assert followed.status_code == 302 and followed.headers["Cache-Control"] == "no-store"
    target = followed.headers["Location"]
    assert target.startswith("https://desk.example.com/escalations/")
    page = client.http.get(target.split("https://desk.example.com", 1)[1]).body.decode()
    assert receipt["number"] in page and 'id="acknowledge"' in page

    # The escalation link's token lives a few days; its short link no longer.
    with mock.patch.object(SystemClock, "now", return_value=datetime.now(UTC) + timedelta(days=30)):
        assert client.http.get(path).status_code == 404


def test_an_unknown_short_link_says_so_in_the_readers_language(client):
    chinese = client.http.get("/l/AAAAAAAAAA")
    assert chinese.status_code == 404 and "短信里的这个链接已过期或不存在" in chinese.body.decode()
    english = client.http.get("/l/nonsense!", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.status_code == 404 and "This link from an SMS has expired" in english.body.decode()
