"""Scheduled functions. On AWS EventBridge runs them; locally the runner in ``local/`` does."""

from chalice import Blueprint, Rate

blueprint = Blueprint(__name__)


@blueprint.schedule(Rate(1, unit=Rate.MINUTES))
def deliver_notifications(event):  # type: ignore[no-untyped-def]
    """Sends notifications still waiting in the outbox (first tries failed or were deferred)."""
    from chalicelib import wiring

    wiring.services().notifications.deliver_due()


@blueprint.schedule(Rate(1, unit=Rate.MINUTES))
def sla_sweep(event):  # type: ignore[no-untyped-def]
    """Warns before deadlines and escalates missed ones (a Query on the sparse ``due`` index)."""
    from chalicelib import wiring

    wiring.services().sla.sweep()
