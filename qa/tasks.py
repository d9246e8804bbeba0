"""Celery tasks of the QA app: thin wrappers that call services with the time now."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from qa.services.sampling import calls_sample


@shared_task(name="qa.tasks.sample_calls")
def sample_calls_task() -> dict:
    """Sample calls for evaluation and assign them evenly; safe to run twice, late or concurrently."""
    return calls_sample(now=timezone.now()).as_dict()
