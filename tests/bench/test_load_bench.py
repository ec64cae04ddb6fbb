"""The load benchmark at small size, against a whole local stack: concurrent customers and double clicks
get one ticket per submission, one receipt per double, no 5xx, and no message sent twice."""

from bench.load import run, table


def test_concurrent_submissions_and_double_clicks_keep_every_promise():
    result = run(clients=3, submissions=20, doubles=0.2)

    assert result.doubles == 4 and result.requests == 24
    assert result.statuses() == {303: 24}
    assert result.server_errors() == 0
    assert result.tickets == result.submissions == 20
    assert result.split_doubles() == 0
    assert result.messages >= 3 * 20 and result.messages_repeated == 0
    assert result.problems() == []
    assert "sent more than once" in table(result)
