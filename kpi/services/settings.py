"""Writes of kpi settings: the per-queue wallboard thresholds."""

from __future__ import annotations

from kpi.models import QueueThresholds
from telephony.models import Queue


def thresholds_ensure() -> int:
    """Give every queue a thresholds row with the defaults (its own SL target as the green mark),
    so admins see and edit all of them; returns how many were created."""
    missing = Queue.objects.filter(kpi_thresholds__isnull=True)
    created = QueueThresholds.objects.bulk_create(
        [thresholds_default(queue) for queue in missing], ignore_conflicts=True
    )
    return len(created)


def thresholds_default(queue: Queue) -> QueueThresholds:
    """The thresholds a queue has until an admin sets them (unsaved)."""
    green = min(100, queue.sl_target_percent)
    return QueueThresholds(queue=queue, sl_green_percent=green, sl_amber_percent=max(0, green - 10))
