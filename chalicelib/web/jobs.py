"""Scheduled functions. On AWS EventBridge runs them; locally the scheduler in ``local/`` does."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Rate

blueprint = Blueprint(__name__)
metrics = Metrics(namespace="ServiceDesk", service="service-desk")


@blueprint.schedule(Rate(1, unit=Rate.MINUTES))
def deliver_notifications(event):  # type: ignore[no-untyped-def]
    """Sends notifications still waiting in the outbox (first tries failed or were deferred)."""
    from chalicelib import wiring

    wiring.services().notifications.deliver_due()


@blueprint.schedule(Rate(1, unit=Rate.MINUTES))
def sla_sweep(event):  # type: ignore[no-untyped-def]
    """Warns before deadlines and escalates missed ones (a Query on the sparse ``due`` index)."""
    from chalicelib import wiring

    report = wiring.services().sla.sweep()
    # The alarm "oldest overdue ticket not yet escalated" watches this figure (infra/).
    metrics.add_metric(
        name="OldestOverdueTicketNotEscalatedSeconds", unit=MetricUnit.Seconds, value=report.oldest_overdue_seconds
    )
    metrics.add_metric(name="EscalationStepsTaken", unit=MetricUnit.Count, value=report.steps_taken)
    metrics.flush_metrics()
