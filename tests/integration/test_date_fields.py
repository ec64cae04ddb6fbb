"""Date fields show the format they take in the page's language, never the browser's (a date input is
drawn in the browser's own locale), and a day typed the usual ways is taken as that day."""

import re

from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.ticket import Action
from chalicelib.settings import get_settings
from tests.integration.test_technician_routes import check_in, get, html, job, post, wang  # noqa: F401


def test_the_planned_return_is_a_text_field_with_the_format_in_the_pages_language(client, job, wang):  # noqa: F811
    check_in(client, job, wang)
    chinese, english = (html(get(client, f"/staff/jobs/{job.number}?lang={lang}", wang)) for lang in ("zh-CN", "en"))
    for page in (chinese, english):
        assert 'type="date"' not in page and 'type="datetime-local"' not in page
    field = re.compile(
        r'<input id="planned_return" name="planned_return" type="text" inputmode="numeric"[^>]*'
        r'placeholder="([^"]+)"'
    )
    assert field.search(chinese).group(1) == "年-月-日，如 2026-12-31"
    assert field.search(english).group(1) == "year-month-day, e.g. 2026-12-31"


def test_a_day_typed_with_slashes_is_that_day_and_nonsense_is_answered_next_to_the_field(client, job, wang):  # noqa: F811
    check_in(client, job, wang)
    refused = post(client, f"/staff/jobs/{job.number}/departure", {"planned_return": "下周"}, wang)
    assert refused.status_code == 400 and 'id="planned_return-error"' in html(refused)
    assert 'value="下周"' in html(refused), "what was typed is kept"

    assert post(client, f"/staff/jobs/{job.number}/departure", {"planned_return": "2026/12/8"}, wang).status_code == 303
    [left] = [
        e for e in DynamoTickets(get_settings().table_name).events(job.number) if e.action == Action.REPORT_DEPARTURE
    ]
    assert left.payload.departure.planned_return.isoformat() == "2026-12-08"
