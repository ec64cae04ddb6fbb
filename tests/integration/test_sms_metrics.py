"""Each SMS becomes one CloudWatch metric line (EMF) with its audience, the dimension the stack's
separate customer and staff SMS alarms select on."""

import json

from chalicelib.adapters.sms_metrics import EmfSmsCounter
from chalicelib.domain.sms_budget import SmsAudience


def test_a_staff_sms_refused_is_one_failed_count_with_the_staff_audience(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    EmfSmsCounter().failed(SmsAudience.STAFF)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    metric = line["_aws"]["CloudWatchMetrics"][0]
    assert metric["Namespace"] == "ServiceDesk"
    assert metric["Dimensions"] == [["service", "audience"]]
    assert [m["Name"] for m in metric["Metrics"]] == ["SmsFailed"]
    assert (line["service"], line["audience"], line["SmsFailed"]) == ("service-desk", "staff", [1.0])
