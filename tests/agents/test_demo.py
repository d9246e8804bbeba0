"""Demo data for queues, skills, the IVR and workforce management: complete, valid and idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from agents.models import AgentSkill, ScheduledShift, ShiftTemplate, TimeOffRequest
from agents.wfm.clock import local_day
from agents.wfm.forecast import forecast
from telephony.ivr.selectors import ivr_published
from telephony.ivr.services import ivr_validate_stored
from telephony.models import Call, Queue


def test_seed_demo_gives_a_published_ivr_skills_schedules_and_history_once(db):
    call_command("seed_demo", allow_insecure=True)
    counts = (ScheduledShift.objects.count(), Call.objects.count(), AgentSkill.objects.count())
    call_command("seed_demo", allow_insecure=True)
    assert (ScheduledShift.objects.count(), Call.objects.count(), AgentSkill.objects.count()) == counts
    published = ivr_published()
    assert published is not None and published.flow == "main"
    assert ivr_validate_stored(published.graph).ok
    assert ShiftTemplate.objects.count() == 4
    assert counts[0] == 15  # three demo agents, Monday to Friday
    assert TimeOffRequest.objects.filter(status="pending").count() == 1
    sales = Queue.objects.get(name="sales")
    assert (sales.max_wait_s, sales.overflow_queue.name) == (120, "support")
    today = local_day(timezone.now())
    monday_next = today + timedelta(days=(7 - today.weekday()))
    assert forecast(queue_ids=[sales.pk], day=monday_next, today=today).total_calls > 100
