"""Holiday schedules are operator data: a coming year without an official one is named on every staff
page until an operator stores the State Council's notice, and the stored schedule moves deadlines."""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib import wiring
from chalicelib.domain.calendars import holiday_book
from chalicelib.domain.holidays import Holiday, HolidayBasis, YearSchedule, years_to_cover
from ops.config import main

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def schedule(year: int, *, official: bool) -> YearSchedule:
    return YearSchedule(
        year=year, official=official, source="test notice",
        holidays=(Holiday(date=date(year, 1, 1), name="元旦"),),
    )


def staff_page(client, token, lang="zh-CN"):
    response = client.http.get(f"/staff/queue?lang={lang}", headers={"Cookie": f"sd_staff={token}"})
    assert response.status_code == 200
    return response.body.decode()


def test_staff_pages_name_a_coming_year_without_an_official_schedule_until_one_is_stored(client, staff_token):
    token = staff_token("supervisor")
    config = wiring.services().config
    for year in years_to_cover(TODAY):
        config.put_calendar(schedule(year, official=True))
    assert 'id="calendar-gap"' not in staff_page(client, token)

    config.put_calendar(schedule(TODAY.year, official=False))
    chinese, english = staff_page(client, token), staff_page(client, token, "en")
    assert 'id="calendar-gap"' in chinese and f"{TODAY.year}年（仅含法定节假日，缺调休）" in chinese
    assert f"Holiday schedule missing: {TODAY.year} (statutory holidays and days in lieu only" in english


def test_the_customer_form_never_shows_the_staff_warning(client):
    wiring.services().config.put_calendar(schedule(TODAY.year, official=False))
    assert 'id="calendar-gap"' not in client.http.get("/").body.decode()


def test_an_operator_stores_a_year_and_the_app_counts_by_it(client, tmp_path, capsys):
    """A made-up holiday on the next weekday is no working day once the file is stored."""
    holiday = TODAY + timedelta(days=1)
    while holiday.weekday() >= 5:
        holiday += timedelta(days=1)
    notice = {"year": holiday.year, "official": True, "source": "test notice",
              "holidays": [{"date": holiday.isoformat(), "name": "test holiday"}]}
    path = tmp_path / "notice.json"
    path.write_text(json.dumps(notice), encoding="utf-8")
    assert main(["calendars", "put", str(path)]) == 0
    assert "stored the official holiday schedule" in capsys.readouterr().out

    wiring.services().sla.plans()  # what every sweep and page does before it computes a deadline
    assert not holiday_book().is_working_date(holiday)
    assert holiday_book().basis(holiday.year) == HolidayBasis.OFFICIAL


def test_a_calendar_file_with_a_mistake_is_refused_and_nothing_is_stored(client, tmp_path, capsys):
    path = tmp_path / "notice.json"
    path.write_text(json.dumps({"year": 2027, "official": True, "source": "x", "holidays": [],
                                "working_days": ["2027-01-08"]}), encoding="utf-8")
    assert main(["calendars", "put", str(path)]) == 2
    assert "must fall on a weekend" in capsys.readouterr().err
    assert wiring.services().config.calendars() == []


def test_the_sweep_publishes_how_many_coming_years_lack_an_official_schedule(client, monkeypatch):
    from chalicelib.web import jobs

    published: dict[str, float] = {}
    monkeypatch.setattr(jobs.metrics, "add_metric", lambda name, unit, value: published.__setitem__(name, value))
    config = wiring.services().config
    years = years_to_cover(TODAY)
    for year in years:
        config.put_calendar(schedule(year, official=False))

    client.lambda_.invoke("sla_sweep", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert published["HolidayCalendarYearsNotOfficial"] == len(years)

    for year in years:
        config.put_calendar(schedule(year, official=True))
    client.lambda_.invoke("sla_sweep", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    assert published["HolidayCalendarYearsNotOfficial"] == 0
