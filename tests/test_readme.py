"""The README is the newcomer's manual: its commands and its configuration table must stay true."""

import re
from pathlib import Path

from chalicelib.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_configuration_table_lists_every_setting_with_its_default():
    table = README.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0]
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|", table, flags=re.M))
    expected = {}
    for name, field in Settings.model_fields.items():
        expected[name.upper()] = "(empty)" if field.default == "" else f"`{field.default}`"
    assert rows == expected


def test_ci_runs_exactly_the_readme_test_command():
    assert "make test" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == ["make test"]


def test_the_settings_required_on_aws_are_listed():
    from chalicelib.settings import REQUIRED_ON_AWS

    section = README.split("Required on AWS")[1].split("): ", 1)[1].split("with `EMAIL_PROVIDER=smtp`")[0]
    assert re.findall(r"`([A-Z_]+)`", section) == list(REQUIRED_ON_AWS)
