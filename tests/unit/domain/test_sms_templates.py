"""SMS as carrier templates: every SMS text of the catalog is a registered template, and a message
made from one gives back the variables that make it again."""

import pytest

from chalicelib.domain.sms import SmsTemplate, template_for
from chalicelib.i18n import CATALOG, LANGUAGES, t
from chalicelib.services.sms_templates import SMS_TEMPLATES, parse_template_codes, sms_templates


def test_every_sms_text_in_the_catalog_is_a_registered_template():
    sms_texts = {key for key in CATALOG["zh-CN"] if key.endswith(".sms") and ".msg." in f".{key}"}
    assert sms_texts == set(SMS_TEMPLATES.values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_rendered_message_gives_back_its_template_and_variables(lang):
    text = t(lang, "msg.customer.sms", number="SD-2026-000042", link="https://desk.example.com/t/abc")
    template, variables = template_for(text, sms_templates())
    assert template.key == f"customer_confirmation.{lang}"
    assert variables == {"number": "SD-2026-000042", "link": "https://desk.example.com/t/abc"}


def test_variables_holding_the_templates_own_words_still_render_the_same_text():
    template = SmsTemplate("escalation", "zh-CN", CATALOG["zh-CN"]["msg.escalation.sms"])
    values = {"number": "SD-1", "milestone": "到场。请处理：", "what": "已超时", "late": "2 小时", "link": "https://x/y"}
    text = template.text.format(**values)
    found = template.variables_of(text)
    assert found is not None and template.text.format(**found) == text


def test_a_message_from_no_template_matches_none():
    assert template_for("【售后服务】随便写的一句话", sms_templates()) is None


def test_the_body_to_register_has_no_sign_name_and_the_carriers_placeholders():
    template = SmsTemplate("quote", "zh-CN", CATALOG["zh-CN"]["msg.quote.sms"])
    assert template.variables == ("number", "total", "valid_until", "link")
    assert template.body("aliyun") == "工单${number}报价${total}元，有效期至${valid_until}，请查看并确认：${link}"
    assert template.body("tencent") == "工单{1}报价{2}元，有效期至{3}，请查看并确认：{4}"
    english = SmsTemplate("survey", "en", CATALOG["en"]["aftercare.msg.survey.sms"])
    assert english.body("tencent").startswith("Ticket {1} is complete")


def test_template_codes_are_read_from_one_setting():
    assert parse_template_codes("customer_confirmation.zh-CN=SMS_1, quote.zh-CN = SMS_2\nbad, =x") == {
        "customer_confirmation.zh-CN": "SMS_1", "quote.zh-CN": "SMS_2"}


def test_the_templates_to_register_are_printed_in_each_carriers_syntax(capsys):
    from ops.sms_templates import main

    assert main(["tencent"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "customer_confirmation.zh-CN\tnumber,link\t报修{1}已受理，查看进度：{2}" in lines
    assert len(lines) == 2 * len(SMS_TEMPLATES)
    assert main(["sns"]) == 2
