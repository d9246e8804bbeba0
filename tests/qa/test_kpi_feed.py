"""QA scores reach the KPI reports: a submitted evaluation shows in kpi_report's qa_score."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from qa.services.evaluations import evaluation_submit
from telephony.models import Call
from telephony.services import call_events_ingest
from tests.kpi.factories import call_events
from tests.qa.conftest import full_answers
from tests.qa.factories import EvaluationFactory, make_scorecard
from tests.telephony.factories import T0, FeedSourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _report() -> dict:
    out = StringIO()
    day = T0.date().isoformat()
    call_command("kpi_report", "--from", day, "--to", day, "--format", "json", stdout=out)
    return json.loads(out.getvalue())[0]


def test_a_submitted_evaluation_moves_the_reported_qa_score(qa):
    call_events_ingest(
        source=FeedSourceFactory(name="pbx1"), raw_events=call_events("q1", queued=0, answered=5, ended=60)
    )
    call_command(
        "kpi_rollup", "--from", T0.date().isoformat(), "--to", T0.date().isoformat(), stdout=StringIO()
    )
    assert _report()["qa_score"] is None
    version = make_scorecard().current_version
    evaluation = EvaluationFactory(
        call=Call.objects.get(call_id="q1"), scorecard_version=version, evaluator=qa
    )
    evaluation_submit(actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation))
    assert _report()["qa_score"] == pytest.approx(100.0)
