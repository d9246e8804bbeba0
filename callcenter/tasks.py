"""Celery tasks of the shell."""

from celery import shared_task

from callcenter.services import heartbeat_record


@shared_task(name="callcenter.tasks.heartbeat", ignore_result=False)
def heartbeat() -> str:
    """Record that a worker is alive; the admin console shows its age. Safe to run any time."""
    return heartbeat_record(component="worker").last_seen.isoformat()
