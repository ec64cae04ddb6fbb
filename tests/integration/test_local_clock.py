"""The local clock page (local mode only): forward by hours, or straight to a moment in service time, so
a person can try next week's callback or next month's report without clicking for hours."""

from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from chalice.test import Client

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(aws, clock_file):
    """The app as ``chalice local`` runs it (stage "local": local mode on)."""
    from app import app

    with Client(app, stage_name="local") as local:
        yield local


def move(client, **fields):
    return client.http.post("/local/clock?lang=en", body=urlencode(fields), headers=FORM)


def test_the_clock_jumps_forward_to_a_moment_on_shanghai_clocks(client, clock_file):
    target = (clock_file.now().astimezone(SHANGHAI) + timedelta(days=40)).replace(second=0, microsecond=0)
    page = move(client, to=target.strftime("%Y-%m-%dT%H:%M"))
    assert page.status_code == 200
    assert abs(clock_file.now() - target) < timedelta(seconds=5)
    assert target.strftime("%Y-%m-%d %H:%M") in page.body.decode()


@pytest.mark.parametrize("written", ["{:%Y/%m/%d %H:%M}", "{:%Y年%m月%d日 %H时%M分}", "{:%Y-%m-%d %H:%M}"])
def test_the_moment_is_typed_as_every_date_field_takes_it_whatever_the_browsers_locale(client, clock_file, written):
    target = (clock_file.now().astimezone(SHANGHAI) + timedelta(days=3)).replace(second=0, microsecond=0)
    typed = written.format(target).translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # an IME's digits
    page = move(client, to=typed)
    assert page.status_code == 200, page.body.decode()
    assert abs(clock_file.now() - target) < timedelta(seconds=5)
    body = page.body.decode()
    assert 'type="datetime-local"' not in body and 'data-kind="datetime-local"' in body


def test_the_clock_never_jumps_back_and_says_why(client, clock_file):
    move(client, advance_hours="3")
    before = clock_file.offset()
    earlier = datetime.now(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    page = move(client, to=earlier)
    assert page.status_code == 400 and "only moves forward" in page.body.decode()
    assert clock_file.offset() == before
    garbled = move(client, to="next tuesday")
    assert garbled.status_code == 400 and "as year-month-day hour:minute" in garbled.body.decode()
    assert clock_file.offset() == before


def test_back_to_real_time(client, clock_file):
    move(client, advance_hours="5")
    move(client, reset="1")
    assert clock_file.offset() == timedelta(0)
