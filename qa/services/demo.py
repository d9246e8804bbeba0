"""Demo data for QA: a QA lead (`qalead`, password `demo`) beside the demo analyst `qa`, two
scorecards, the sampling policy and - once the simulator has produced recorded calls - a few scored
evaluations, one of them disputed. Idempotent: running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from callcenter.roles import Role
from qa.models import Evaluation, Scorecard
from qa.services.leads import qa_lead_group_sync
from telephony.models import Call, Queue

ESSENTIALS = {
    "pass_percent": 80,
    "sections": [
        {
            "title": "Opening",
            "criteria": [
                {"label": "Greeted the caller and gave their name", "weight": 1},
                {
                    "label": "Verified the caller's identity before account details",
                    "weight": 2,
                    "auto_fail": True,
                    "guidance": "Full name and postcode, or the PIN; a miss breaches data protection.",
                },
            ],
        },
        {
            "title": "Understanding",
            "criteria": [
                {
                    "label": "Asked open questions to find the need",
                    "kind": "scale",
                    "scale_max": 4,
                    "weight": 2,
                },
                {"label": "Summarised the problem back", "weight": 1, "allow_na": True},
            ],
        },
        {
            "title": "Resolution",
            "criteria": [
                {"label": "Resolved or set a clear next step", "kind": "scale", "scale_max": 4, "weight": 3},
                {"label": "Hold used with permission and thanks", "weight": 1, "allow_na": True},
                {"label": "Logged notes and disposition", "weight": 1},
            ],
        },
        {
            "title": "Soft skills",
            "criteria": [
                {"label": "Empathy and tone", "kind": "scale", "scale_max": 4, "weight": 2},
                {"label": "Offered further help before closing", "weight": 1, "required": False},
            ],
        },
    ],
}
SALES = {
    "pass_percent": 75,
    "sections": [
        {
            "title": "Discovery",
            "criteria": [
                {"label": "Found budget and timeline", "kind": "scale", "scale_max": 3, "weight": 2},
                {"label": "Recommended the plan that fits", "weight": 2},
            ],
        },
        {
            "title": "Compliance",
            "criteria": [
                {"label": "Read the recorded-line and terms notice", "weight": 1, "auto_fail": True},
                {"label": "No pressure selling", "weight": 2},
            ],
        },
    ],
}


@dataclass(frozen=True)
class QaDemo:
    scorecards: int
    evaluations: int


def _scorecard(name: str, definition: dict, lead, queues: list[str]) -> bool:
    from qa.services.scorecards import scorecard_create

    if Scorecard.objects.filter(name=name).exists():
        return False
    queue_ids = list(Queue.objects.filter(name__in=queues).values_list("pk", flat=True))
    scorecard_create(actor=lead, name=name, definition=definition, queue_ids=queue_ids)
    return True


def _lead():
    from callcenter.services import DEMO_PASSWORD, user_create

    lead = get_user_model().objects.filter(username="qalead").first()
    if lead is None:
        lead = user_create(
            username="qalead", password=DEMO_PASSWORD, roles=[Role.QA], first_name="Lee", last_name="Lead"
        )
    lead.groups.add(qa_lead_group_sync())
    return get_user_model().objects.get(pk=lead.pk)  # a fresh object: no cached permissions


def _demo_evaluations(lead, analyst) -> int:
    """Score a few recorded calls, once: a pass, an auto-fail the agent disputes, and a draft."""
    from qa.selectors import evaluation_sheet
    from qa.services.evaluations import (
        evaluation_dispute,
        evaluation_save_draft,
        evaluation_start,
        evaluation_submit,
    )

    if Evaluation.objects.exists():
        return 0
    calls = list(
        Call.objects.filter(answered_at__isnull=False, agent__isnull=False).exclude(recording_url="")[:3]
    )
    made = 0
    for n, call in enumerate(calls):
        evaluator = analyst if n % 2 else lead
        evaluation = evaluation_start(actor=evaluator, call_id=call.pk)
        answers = []
        for question in evaluation_sheet(evaluation).questions:
            value = question.max_points if not (n == 1 and question.auto_fail) else 0
            answers.append({"criterion": question.id, "value": value})
        if n == 2:
            evaluation_save_draft(actor=evaluator, evaluation_id=evaluation.pk, answers=answers[:3])
        else:
            evaluation_submit(
                actor=evaluator, evaluation_id=evaluation.pk, answers=answers, summary="Demo evaluation."
            )
        if n == 1:
            evaluation_dispute(
                actor=call.agent,
                evaluation_id=evaluation.pk,
                reason="I did verify: it is at the start of the call.",
            )
        made += 1
    return made


@transaction.atomic
def qa_demo_seed() -> QaDemo:
    from qa.selectors import sampling_policy

    lead = _lead()
    analyst = get_user_model().objects.filter(username="qa").first() or lead
    sampling_policy()
    made = int(_scorecard("Customer call essentials", ESSENTIALS, lead, []))
    made += int(_scorecard("Sales conversation", SALES, lead, ["sales"]))
    return QaDemo(scorecards=made, evaluations=_demo_evaluations(lead, analyst))
