"""Demo data: scorecards and a QA lead; scored evaluations once recorded calls exist; idempotent."""

from __future__ import annotations

from django.core.management import call_command

from qa.models import Dispute, Evaluation, EvaluationStatus, Scorecard
from qa.services.demo import qa_demo_seed
from tests.qa.factories import CallFactory


def test_seed_demo_makes_scorecards_and_a_qa_lead_once(db):
    call_command("seed_demo", allow_insecure=True)
    call_command("seed_demo", allow_insecure=True)
    assert sorted(Scorecard.objects.values_list("name", flat=True)) == [
        "Customer call essentials",
        "Sales conversation",
    ]
    from django.contrib.auth import get_user_model

    lead = get_user_model().objects.get(username="qalead")
    assert lead.has_perm("qa.manage_qa") and lead.groups.filter(name="qa").exists()
    assert Scorecard.objects.get(name="Sales conversation").queues.get().name == "sales"


def test_with_recorded_calls_the_demo_scores_a_few_and_one_is_disputed(db):
    call_command("seed_demo", allow_insecure=True)
    from django.contrib.auth import get_user_model

    agent = get_user_model().objects.get(username="agent1")
    for n in range(3):
        CallFactory(agent=agent, recording_url=f"recordings/demo/{n}.wav")
    result = qa_demo_seed()
    assert result.evaluations == 3
    assert Evaluation.objects.filter(status=EvaluationStatus.DISPUTED).count() == 1
    assert Dispute.objects.get().evaluation.auto_failed is True
    assert Evaluation.objects.filter(status=EvaluationStatus.DRAFT).count() == 1
    assert qa_demo_seed().evaluations == 0
