"""Scheduled functions. On AWS EventBridge runs them; locally the scheduler in ``local/`` does."""

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Cron, Rate

from chalicelib.settings import REPORT_PARTS_QUEUE

blueprint = Blueprint(__name__)
metrics = Metrics(namespace="ServiceDesk", service="service-desk")


@blueprint.schedule(Rate(1, unit=Rate.MINUTES))
def deliver_notifications(event):  # type: ignore[no-untyped-def]
    """Sends notifications still waiting in the outbox (first tries failed or were deferred)."""
    from chalicelib import wiring
    from chalicelib.domain.notification import DeliveryState

    delivered = wiring.services().notifications.deliver_due()
    # The dashboard's messages sent and failed (infra/).
    states = [message.state for message in delivered]
    metrics.add_metric(name="MessagesSent", unit=MetricUnit.Count, value=states.count(DeliveryState.SENT))
    metrics.add_metric(name="MessagesFailed", unit=MetricUnit.Count, value=states.count(DeliveryState.FAILED))
    metrics.flush_metrics()


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
    # Alarmed on AWS: deadlines of a coming year would rest on assumed working days (read from the
    # holiday book the sweep has just loaded, so this costs no extra read).
    metrics.add_metric(
        name="HolidayCalendarYearsNotOfficial", unit=MetricUnit.Count, value=len(wiring.calendar_gaps())
    )
    metrics.flush_metrics()


# 17:00 UTC is 01:00 in Shanghai. The job runs every night; it starts last month's report only while
# that month has not gone out (001 §5.4: on the 1st, out by the 4th), so a run that failed on the 1st
# is started again the next night instead of never.
@blueprint.schedule(Cron(0, 17, "*", "*", "?", "*"))
def monthly_report(event):  # type: ignore[no-untyped-def]
    """Starts last month's report for REPORT_RECIPIENTS until it has gone out once (a claim in the table).

    Invoked by hand with ``{"detail": {"dry_run": true}}`` (``python -m ops.smoke``) it builds the report
    and its email but claims and sends nothing."""
    from chalicelib import wiring

    dry_run = (event.detail or {}).get("dry_run") is True
    run = wiring.reports().send_monthly(dry_run=dry_run)
    metrics.add_metric(name="MonthlyReportEmailsQueued", unit=MetricUnit.Count, value=len(run.messages))
    metrics.flush_metrics()
    return {"month": run.month, "outcome": run.outcome, "tickets": run.tickets}


@blueprint.on_sqs_message(queue=REPORT_PARTS_QUEUE, batch_size=1)
def report_part(event):  # type: ignore[no-untyped-def]
    """Builds one day of a month's report; the worker that builds the last part assembles and sends it.

    A part that raises is retried by SQS (the message comes back), then parked in the queue's DLQ.
    """
    from chalicelib import wiring

    service = wiring.reports()
    for record in event:
        service.run_part_message(record.body)


# 01:00 UTC is 09:00 in Shanghai: customers get the reminder in the morning (003 §4.1).
@blueprint.schedule(Cron(0, 1, "*", "*", "?", "*"))
def maintenance_reminders(event):  # type: ignore[no-untyped-def]
    """Reminds customers of maintenance visits due within a week, once per visit (a conditional claim)."""
    from chalicelib import wiring

    reminded = wiring.services().aftercare.remind_maintenance()
    metrics.add_metric(name="MaintenanceReminders", unit=MetricUnit.Count, value=reminded)
    metrics.flush_metrics()
    return {"reminded": reminded}
