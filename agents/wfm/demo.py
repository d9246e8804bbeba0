"""Demo data for queues, skills, the IVR and workforce management: queue routing settings, skills with
levels for the demo agents, a published IVR flow, shift templates, this week's schedule, time-off
requests, and four weeks of call history to forecast from. Idempotent: what exists is left alone."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agents.models import ShiftTemplate, Skill, TimeOffRequest
from agents.skills import agent_skills_set, skill_save
from agents.wfm.clock import local_day, local_moment, week_start
from agents.wfm.shifts import ShiftConflict, shift_assign, shift_template_save
from agents.wfm.time_off import time_off_request

User = get_user_model()
HISTORY_SOURCE = "demo-history"
TEMPLATES = (
    ("Early", time(7, 0), 510, [("break", 120, 15), ("lunch", 240, 30)], "#2563eb"),
    ("Day", time(9, 0), 510, [("break", 120, 15), ("lunch", 270, 30), ("break", 420, 10)], "#16a34a"),
    ("Late", time(13, 0), 510, [("break", 150, 15), ("lunch", 270, 30)], "#9333ea"),
    ("Evening", time(16, 0), 360, [("break", 180, 15)], "#ea580c"),
)
WEEK_PLAN = {"agent1": "Early", "agent2": "Day", "agent3": "Late"}
SKILLS = {
    "agent1": {"selling": 5, "helping": 2},
    "agent2": {"selling": 3, "helping": 4},
    "agent3": {"helping": 5},
}


@dataclass(frozen=True)
class WfmDemo:
    flow_published: bool
    shifts: int
    history_calls: int


def demo_ivr_graph(zone: str) -> dict:
    year = timezone.now().year
    return {
        "start": "hours",
        "nodes": {
            "hours": {
                "type": "schedule",
                "label": "Opening hours",
                "timezone": zone,
                "hours": [{"days": [0, 1, 2, 3, 4, 5, 6], "from": "00:00", "to": "24:00"}],
                "holidays": [f"{y}-{md}" for y in (year, year + 1) for md in ("01-01", "12-25", "12-26")],
                "open": "main",
                "closed": "closed",
                "holiday": "holiday",
            },
            "main": {
                "type": "menu",
                "label": "Main menu",
                "prompt": (
                    "Thank you for calling. For sales press 1. For support press 2. "
                    "To leave a message press 3."
                ),
                "options": {"1": "sales", "2": "support-menu", "3": "voicemail"},
                "timeout_s": 5,
                "retries": 2,
                "invalid_prompt": "Sorry, that is not one of the options.",
                "on_invalid": "sales",
                "on_timeout": "sales",
            },
            "support-menu": {
                "type": "menu",
                "label": "Support",
                "prompt": (
                    "For help with your account press 1. To be called back press 2. "
                    "For the main menu press 9."
                ),
                "options": {"1": "support", "2": "callback", "9": "main"},
                "timeout_s": 5,
                "retries": 1,
                "on_timeout": "support",
            },
            "sales": {
                "type": "queue",
                "label": "Sales",
                "queue": "sales",
                "prompt": "Connecting you to sales.",
            },
            "support": {"type": "queue", "label": "Support", "queue": "support"},
            "callback": {
                "type": "callback",
                "label": "Call me back",
                "queue": "support",
                "prompt": "We will call you back soon.",
            },
            "voicemail": {
                "type": "voicemail",
                "label": "Messages",
                "mailbox": "100",
                "prompt": "Leave a message after the tone.",
            },
            "closed": {
                "type": "message",
                "label": "Closed",
                "prompt": "We are closed right now.",
                "next": "voicemail",
            },
            "holiday": {
                "type": "message",
                "label": "Holiday",
                "prompt": "We are closed for the holiday.",
                "next": "voicemail",
            },
        },
    }


def _queues_seed(admin: object) -> None:
    from telephony.models import Queue
    from telephony.routing import queue_update

    sales, support = Queue.objects.get(name="sales"), Queue.objects.get(name="support")
    if sales.max_wait_s is None and sales.overflow_queue_id is None:
        queue_update(actor=admin, queue_id=sales.pk, max_wait_s=120, overflow_queue=support, priority=6)
    if support.sl_threshold_s == 20 and support.priority == 5:
        queue_update(actor=admin, queue_id=support.pk, sl_threshold_s=30)


def _skills_seed(admin: object) -> None:
    from telephony.models import Queue

    skills = {}
    for name, queue, label in (("selling", "sales", "Selling"), ("helping", "support", "Customer care")):
        skill = Skill.objects.filter(name=name).first() or skill_save(
            actor=admin, name=name, display_name=label, queue_ids=[Queue.objects.get(name=queue).pk]
        )
        skills[name] = skill
    for username, levels in SKILLS.items():
        user = User.objects.filter(username=username).first()
        if user is not None and not user.skills.exists():
            agent_skills_set(
                actor=admin,
                user_id=user.pk,
                levels={skills[name].pk: level for name, level in levels.items()},
            )


def _ivr_seed(admin: object) -> bool:
    from django.conf import settings

    from telephony.ivr import services as ivr
    from telephony.models import IvrFlow

    if IvrFlow.objects.filter(name="main").exists():
        return False
    flow = ivr.ivr_flow_create(actor=admin, name="main", display_name="Main line", is_default=True)
    draft = ivr.ivr_draft_open(actor=admin, flow_id=flow.pk)
    draft, _result = ivr.ivr_draft_save(
        actor=admin, flow_id=flow.pk, graph=demo_ivr_graph(settings.TIME_ZONE), revision=draft.revision
    )
    ivr.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision, note="Demo flow")
    return True


def _schedule_seed(supervisor: object) -> int:
    templates = {}
    for name, start, length, breaks, color in TEMPLATES:
        templates[name] = ShiftTemplate.objects.filter(name=name).first() or shift_template_save(
            actor=supervisor,
            name=name,
            start_time=start,
            length_minutes=length,
            breaks=[
                {"kind": kind, "offset_minutes": offset, "minutes": minutes}
                for kind, offset, minutes in breaks
            ],
            color=color,
        )
    monday = week_start(local_day(timezone.now()))
    made = 0
    for username, template in WEEK_PLAN.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        for offset in range(5):
            day = monday + timedelta(days=offset)
            if user.shifts.filter(day=day).exists():
                continue
            try:
                shift_assign(
                    actor=supervisor,
                    agent_id=user.pk,
                    day=day,
                    template_id=templates[template].pk,
                    force=True,
                )
            except ShiftConflict:
                continue
            made += 1
    agent2 = User.objects.filter(username="agent2").first()
    if agent2 is not None and not TimeOffRequest.objects.filter(agent=agent2).exists():
        day = monday + timedelta(days=10)
        time_off_request(
            agent=agent2,
            kind="vacation",
            starts_at=local_moment(day, time(0)),
            ends_at=local_moment(day + timedelta(days=2), time(0)),
            note="Family visit",
        )
    return made


def _history_seed(*, weeks: int = 4) -> int:
    """Four weeks of answered and abandoned calls per queue, weekdays 08:00-20:00 and Saturdays
    10:00-16:00, with a midday peak and a little growth: enough for the forecast to show a pattern."""
    from telephony.models import Call, FeedSource, Queue, QueueVisit

    source, _created = FeedSource.objects.get_or_create(name=HISTORY_SOURCE, defaults={"active": False})
    if Call.objects.filter(source=source).exists():
        return 0
    rng = random.Random(7)
    today = local_day(timezone.now())
    calls, visits = [], []
    for queue, scale in ((Queue.objects.get(name="sales"), 1.0), (Queue.objects.get(name="support"), 0.7)):
        for back in range(1, weeks * 7 + 1):
            day = today - timedelta(days=back)
            opening = (8, 20) if day.weekday() < 5 else (10, 16) if day.weekday() == 5 else None
            if opening is None:
                continue
            growth = 1 + 0.03 * (weeks - (back - 1) // 7)
            weekday_factor = (1.25, 1.05, 1.0, 1.0, 0.9, 0.6)[day.weekday()]
            for half_hour in range(opening[0] * 2, opening[1] * 2):
                hour = half_hour / 2
                shape = 0.35 + 0.65 * max(0.0, 1 - abs(hour - 12.5) / 5)
                count = round(10 * scale * shape * weekday_factor * growth * rng.uniform(0.8, 1.2))
                for _n in range(count):
                    moment = local_moment(day, time(int(hour), 30 if half_hour % 2 else 0)) + timedelta(
                        seconds=rng.uniform(0, 1799)
                    )
                    wait = rng.expovariate(1 / 25)
                    abandoned = rng.random() < min(0.5, wait / 300)
                    talk = rng.expovariate(1 / (200 if queue.name == "sales" else 260))
                    call_id = f"demo-{queue.name}-{len(calls)}"
                    calls.append(
                        Call(
                            source=source,
                            call_id=call_id,
                            queue=queue,
                            offered_at=moment,
                            queued_at=moment,
                            outcome="abandoned" if abandoned else "answered",
                            wait_s=round(wait, 1),
                            talk_s=None if abandoned else round(talk, 1),
                            first_event_at=moment,
                            last_event_at=moment + timedelta(seconds=wait + (0 if abandoned else talk)),
                        )
                    )
                    visits.append(
                        QueueVisit(
                            seq=1,
                            queue=queue,
                            queued_at=moment,
                            outcome="abandoned" if abandoned else "answered",
                            wait_s=round(wait, 1),
                            talk_s=None if abandoned else round(talk, 1),
                            hold_s=None if abandoned else 0.0,
                            acw_s=None if abandoned else round(rng.uniform(10, 40), 1),
                        )
                    )
    Call.objects.bulk_create(calls, batch_size=2000)
    for call, visit in zip(calls, visits, strict=True):
        visit.call = call
    QueueVisit.objects.bulk_create(visits, batch_size=2000)
    return len(calls)


@transaction.atomic
def wfm_demo_seed() -> WfmDemo:
    """Everything above, for the demo users of callcenter.services.DEMO_USERS."""
    admin = User.objects.filter(username="admin").first()
    supervisor = User.objects.filter(username="supervisor").first() or admin
    _queues_seed(admin)
    _skills_seed(admin)
    published = _ivr_seed(admin)
    shifts = _schedule_seed(supervisor)
    history = _history_seed()
    return WfmDemo(flow_published=published, shifts=shifts, history_calls=history)
