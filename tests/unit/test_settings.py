"""Which settings AWS must provide, and how a missing one is recognised."""

import pytest

from chalicelib.settings import REQUIRED_ON_AWS, Settings

ALL_SET = {name.lower(): f"value-of-{name.lower()}" for name in REQUIRED_ON_AWS}


def test_the_settings_aws_must_provide_are_declared():
    assert {"LINK_SIGNING_SECRET_NAME", "REPORT_RECIPIENTS", "PUBLIC_BASE_URL", "TABLE_NAME", "COGNITO_USER_POOL_ID"} <= set(
        REQUIRED_ON_AWS
    )
    assert "TIMEZONE" not in REQUIRED_ON_AWS, "a safe default needs no setting"
    assert "LINK_SIGNING_SECRET" not in REQUIRED_ON_AWS, "on AWS secrets are read from Secrets Manager"


def test_in_local_mode_the_local_defaults_are_fine():
    assert Settings(local_mode=True).missing_on_aws() == ()


def test_outside_local_mode_every_unset_required_setting_is_named(monkeypatch):
    for name in REQUIRED_ON_AWS:  # whatever an earlier test in this process left in the environment
        monkeypatch.delenv(name, raising=False)
    assert set(Settings(local_mode=False).missing_on_aws()) == set(REQUIRED_ON_AWS)
    assert Settings(local_mode=False, **ALL_SET).missing_on_aws() == ()


@pytest.mark.parametrize(
    "name", ["desk_email", "public_base_url", "sender_email", "table_name"]
)
def test_a_local_default_counts_as_missing(name):
    local_default = Settings.model_fields[name].default

    settings = Settings(local_mode=False, **{**ALL_SET, name: local_default})

    assert settings.missing_on_aws() == (name.upper(),)


def test_on_aws_the_public_link_secret_never_signs_a_secret_name_is_required():
    settings = Settings(local_mode=False, **{**ALL_SET, "link_signing_secret_name": ""})

    assert settings.link_signing_secret == Settings.model_fields["link_signing_secret"].default
    assert settings.missing_on_aws() == ("LINK_SIGNING_SECRET_NAME",)


def test_an_smtp_login_needs_its_password_in_secrets_manager():
    smtp = dict(email_provider="smtp", smtp_host="smtp.example.com", smtp_username="desk")

    assert Settings(local_mode=False, **smtp, **ALL_SET).missing_on_aws() == ("SMTP_PASSWORD_SECRET_NAME",)
    assert Settings(local_mode=False, **smtp, smtp_password_secret_name="arn:smtp", **ALL_SET).missing_on_aws() == ()


def test_smtp_needs_its_server():
    assert Settings(local_mode=False, email_provider="smtp", **ALL_SET).missing_on_aws() == ("SMTP_HOST",)
    assert Settings(local_mode=False, email_provider="smtp", smtp_host="smtp.example.com", **ALL_SET).missing_on_aws() == ()
