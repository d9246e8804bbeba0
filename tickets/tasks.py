"""Celery tasks of the CRM and ticketing app: thin wrappers that call services with the time now."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tickets.services.calls import callbacks_sweep
from tickets.services.sla import sla_open_tickets_recompute, sla_scan


@shared_task(name="tickets.tasks.callbacks_sweep")
def callbacks_sweep_task() -> dict[str, int]:
    """Offer due callbacks to the ACD and flag missed ones; safe to run twice, late or concurrently."""
    result = callbacks_sweep(now=timezone.now())
    return {"offered": result.offered, "missed": result.missed}


@shared_task(name="tickets.tasks.sla_scan")
def sla_scan_task() -> dict[str, int]:
    """Mark SLA warnings and breaches, escalate and alert; safe to run twice, late or concurrently."""
    result = sla_scan(now=timezone.now())
    return {
        "warned": len(result.warned),
        "breached": len(result.breached),
        "escalated": len(result.escalated),
    }


@shared_task(name="tickets.tasks.sla_recompute")
def sla_recompute_task() -> int:
    """Re-time open tickets after an SLA policy or business calendar changed; safe to run twice."""
    return sla_open_tickets_recompute(now=timezone.now())
