"""Scheduled functions. On AWS EventBridge runs them; locally the scheduler in ``local/`` does."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Cron, Rate

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


# 01:00 on the 1st in Shanghai is 17:00 UTC on the last day of the month before (EventBridge runs in
# UTC; "L" is the month's last day). 001 §5.4 wants the report out by the 4th-5th.
@blueprint.schedule(Cron(0, 17, "L", "*", "?", "*"))
def monthly_report(event):  # type: ignore[no-untyped-def]
    """Emails last month's report to REPORT_RECIPIENTS, once per month (a claim in the table)."""
    from chalicelib import wiring

    run = wiring.reports().send_monthly()
    metrics.add_metric(name="MonthlyReportEmailsQueued", unit=MetricUnit.Count, value=len(run.messages))
    metrics.flush_metrics()
    return {"month": run.month, "outcome": run.outcome, "tickets": run.tickets}


# 01:00 UTC is 09:00 in Shanghai: customers get the reminder in the morning (003 §4.1).
@blueprint.schedule(Cron(0, 1, "*", "*", "?", "*"))
def maintenance_reminders(event):  # type: ignore[no-untyped-def]
    """Reminds customers of maintenance visits due within a week, once per visit (a conditional claim)."""
    from chalicelib import wiring

    reminded = wiring.services().aftercare.remind_maintenance()
    metrics.add_metric(name="MaintenanceReminders", unit=MetricUnit.Count, value=reminded)
    metrics.flush_metrics()
    return {"reminded": reminded}
