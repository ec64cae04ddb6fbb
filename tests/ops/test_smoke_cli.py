"""ops.smoke's command line: on AWS the confirmation SMS must go to the operator's own number."""

import pytest

from ops import smoke


def test_on_aws_the_phone_the_sms_goes_to_must_be_given(capsys):
    with pytest.raises(SystemExit) as refused:
        smoke.main(["--base-url", "https://desk.example.com", "--stack-name", "ServiceDesk-prod"])
    assert refused.value.code == 2
    assert "--phone is required" in capsys.readouterr().err


def test_a_check_that_fails_is_reported_and_the_ones_needing_it_are_skipped():
    lines: list[str] = []
    run = smoke.Smoke("http://desk.invalid", target=None, phone="13800138000", out=lines.append)  # type: ignore[arg-type]

    def broken() -> str:
        raise smoke.CheckFailed("HTTP 503")

    run.check("photo upload", broken)
    run.check("report with a photo", lambda: "never", needs=("photo_key",))
    assert lines == ["FAIL  photo upload: HTTP 503", "skip  report with a photo: an earlier check failed"]
    assert run.failed
