"""Celery tasks of the CRM and ticketing app: thin wrappers that call services with the time now."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tickets.services.calls import callbacks_sweep


@shared_task(name="tickets.tasks.callbacks_sweep")
def callbacks_sweep_task() -> dict[str, int]:
    """Offer due callbacks to the ACD and flag missed ones; safe to run twice, late or concurrently."""
    result = callbacks_sweep(now=timezone.now())
    return {"offered": result.offered, "missed": result.missed}
