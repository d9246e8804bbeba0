"""Factories for QA test data: calls (as the feed would have derived them), scorecards, evaluations."""

from __future__ import annotations

import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import factory
from django.contrib.auth.models import Group

from callcenter.roles import QA_LEAD_GROUP
from qa.models import Evaluation, EvaluationStatus, Origin, Scorecard
from qa.services.leads import qa_lead_group_sync
from qa.services.scorecards import scorecard_create
from telephony.models import Call
from tests.callcenter.factories import UserFactory
from tests.telephony.factories import FeedSourceFactory, QueueFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday

# Two sections: a yes/no auto-fail question, a 0-4 scale that allows N/A, an optional one.
DEFINITION: dict[str, Any] = {
    "pass_percent": 80,
    "sections": [
        {
            "title": "Opening",
            "criteria": [
                {"label": "Greeted the caller by name", "kind": "yes_no", "weight": 1},
                {
                    "label": "Verified the caller's identity",
                    "kind": "yes_no",
                    "weight": 1,
                    "auto_fail": True,
                    "guidance": "Name and postcode before any account detail.",
                },
            ],
        },
        {
            "title": "Resolution",
            "criteria": [
                {
                    "label": "Solved the problem",
                    "kind": "scale",
                    "scale_max": 4,
                    "weight": 3,
                    "allow_na": True,
                },
                {"label": "Showed empathy", "kind": "scale", "scale_max": 4, "weight": 2, "required": False},
            ],
        },
    ],
}


def qa_lead(username: str = "lee", **kwargs: Any):
    """A member of the qa role flagged as QA lead."""
    user = UserFactory(username=username, first_name=kwargs.pop("first_name", "Lee"), roles=["qa"], **kwargs)
    qa_lead_group_sync()
    user.groups.add(Group.objects.get(name=QA_LEAD_GROUP))
    return type(user).objects.get(pk=user.pk)  # a fresh object: no cached permissions


def make_scorecard(name: str = "Customer basics", *, actor=None, definition=None, **kwargs: Any) -> Scorecard:
    return scorecard_create(
        actor=actor or qa_lead("scorecard-lead"), name=name, definition=definition or DEFINITION, **kwargs
    )


class CallFactory(factory.django.DjangoModelFactory):
    """An answered, ended call of `agent` in `queue`; `at` is when it was queued."""

    class Meta:
        model = Call
        exclude = ("at",)

    at = T0
    source = factory.SubFactory(FeedSourceFactory)
    call_id = factory.Sequence(lambda n: f"call-{n}")
    caller = "+14155550123"
    queue = factory.SubFactory(QueueFactory, name="sales")
    agent = None
    agent_code = factory.LazyAttribute(lambda call: call.agent.username if call.agent else "agent-x")
    offered_at = factory.LazyAttribute(lambda call: call.at)
    queued_at = factory.LazyAttribute(lambda call: call.at)
    answered_at = factory.LazyAttribute(lambda call: call.at + timedelta(seconds=12))
    ended_at = factory.LazyAttribute(lambda call: call.at + timedelta(seconds=190))
    wait_s = 12.0
    talk_s = 178.0
    hold_s = 0.0
    acw_s = 30.0
    outcome = "answered"
    transfers = 0
    first_event_at = factory.LazyAttribute(lambda call: call.at)
    last_event_at = factory.LazyAttribute(lambda call: call.at + timedelta(seconds=220))


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    call = factory.SubFactory(CallFactory)
    agent = factory.LazyAttribute(lambda e: e.call.agent)
    agent_code = factory.LazyAttribute(lambda e: e.call.agent_code)
    origin = Origin.MANUAL
    status = EvaluationStatus.ASSIGNED
    assigned_at = factory.LazyFunction(lambda: datetime.now(UTC))


def write_wav(path: Path, seconds: float = 2.0, rate: int = 8000) -> int:
    """A silent 16-bit mono WAV; returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x01" * int(seconds * rate))
    return path.stat().st_size
