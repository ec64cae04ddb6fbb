"""SMS counted by audience as CloudWatch metrics (Powertools EMF), for the stack's separate alarms.

Each count is one EMF log line written when the SMS is sent, wherever that happens (the API function
right after a report, the delivery job later), so no function has to flush metrics at its end.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chalicelib.domain.sms_budget import SmsAudience

NAMESPACE = "ServiceDesk"  # as the scheduled jobs' metrics (chalicelib/web/jobs.py) and infra/
SERVICE = "service-desk"
SENT = "SmsSent"
FAILED = "SmsFailed"


class EmfSmsCounter:
    def sent(self, audience: SmsAudience) -> None:
        self._count(SENT, audience)

    def failed(self, audience: SmsAudience) -> None:
        self._count(FAILED, audience)

    def _count(self, name: str, audience: SmsAudience) -> None:
        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=1,
            namespace=NAMESPACE,
            default_dimensions={"service": SERVICE, "audience": audience.value},
        ):
            pass
