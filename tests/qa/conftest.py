"""QA fixtures: a QA lead (lee), a scorecard, a call answered by alice with a recording on disk."""

from __future__ import annotations

import pytest

from qa.services.evaluations import evaluation_start
from tests.agents.factories import TeamFactory
from tests.qa.factories import CallFactory, make_scorecard, qa_lead, write_wav


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Every test here makes several users; the default hasher spends ~0.5 s on each password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def lead(db):
    return qa_lead()


@pytest.fixture
def scorecard(lead):
    return make_scorecard(actor=lead)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def call(agent, media):
    write_wav(media / "recordings" / "pbx1" / "call-a.wav", seconds=2.0)
    return CallFactory(
        agent=agent, call_id="call-a", recording_url="recordings/pbx1/call-a.wav", recording_duration_s=2.0
    )


@pytest.fixture
def team(agent, supervisor):
    return TeamFactory(name="Front line", supervisor=supervisor, members=[agent])


@pytest.fixture
def evaluation(qa, scorecard, call):
    return evaluation_start(actor=qa, call_id=call.pk)


def criteria_of(evaluation):
    """The evaluation's questions in order: {label: criterion}."""
    from qa.models import Criterion

    rows = Criterion.objects.filter(section__version=evaluation.scorecard_version).order_by(
        "section__order", "order"
    )
    return {c.label: c for c in rows}


def full_answers(evaluation, **overrides):
    """Answers giving full marks, with `overrides` by short name: greet, verify, solved, empathy."""
    names = {
        "greet": "Greeted the caller by name",
        "verify": "Verified the caller's identity",
        "solved": "Solved the problem",
        "empathy": "Showed empathy",
    }
    values = {"greet": 1, "verify": 1, "solved": 4, "empathy": 4, **overrides}
    criteria = criteria_of(evaluation)
    answers = []
    for short, value in values.items():
        if value is None:
            continue
        entry = {"criterion": criteria[names[short]].pk}
        if value == "na":
            entry["na"] = True
        else:
            entry["value"] = value
        answers.append(entry)
    return answers
