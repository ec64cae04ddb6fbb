"""Chinese and English say the same things: every key exists in both, with the same placeholders."""

import string

from chalicelib.i18n import CATALOG, normalize_language, t


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders():
    assert CATALOG["zh-CN"].keys() == CATALOG["en"].keys()
    for key, zh in CATALOG["zh-CN"].items():
        assert placeholders(zh) == placeholders(CATALOG["en"][key]), key


def test_browsers_languages_map_to_ours():
    assert normalize_language("en-US,en;q=0.9") == "en"
    assert normalize_language("zh-TW") == "zh-CN"
    assert normalize_language(None) == "zh-CN"


def test_an_unknown_key_shows_the_key_rather_than_failing():
    assert t("en", "no.such.key") == "no.such.key"


SIGNATURES = {"zh-CN": "【售后服务】", "en": "[Service desk] "}


def test_every_sms_is_signed_so_the_recipient_knows_who_sends_it():
    for lang, signature in SIGNATURES.items():
        messages = {key: text for key, text in CATALOG[lang].items() if ".msg." in f".{key}" and key.endswith(".sms")}
        assert len(messages) >= 6  # the customer's, leaders', quote, survey, maintenance ones
        unsigned = [key for key, text in messages.items() if not text.startswith(signature)]
        assert not unsigned, f"{lang}: {unsigned}"
