"""Celery tasks of the shell."""

from celery import shared_task

from callcenter.services import heartbeat_record


@shared_task(name="callcenter.tasks.heartbeat", ignore_result=False)
def heartbeat() -> str:
    """Record that a worker is alive; the admin console shows its age. Safe to run any time."""
    return heartbeat_record(component="worker").last_seen.isoformat()


@shared_task(name="callcenter.tasks.retention_purge", ignore_result=False)
def retention_purge() -> dict:
    """Delete recordings and erase customers' personal data past the retention settings (daily).
    Idempotent: what was purged is not found again; returns the counts."""
    from callcenter.retention import retention_run

    return retention_run().as_dict()
