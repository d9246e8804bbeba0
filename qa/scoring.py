"""Score math of an evaluation, in one place (pure functions; static/js/qa-scorecard.js mirrors it).

score = 100 x Σ weight·value/max ÷ Σ weight, over the applicable questions: answered and not N/A.
A question answered "no" that is marked auto-fail makes the score 0, whatever the rest says.
No applicable question at all gives None (nothing to divide by), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

YES_NO = "yes_no"
SCALE = "scale"


@dataclass(frozen=True)
class Question:
    id: int
    section_id: int
    label: str
    kind: str = YES_NO
    scale_max: int = 1
    weight: int = 1
    allow_na: bool = False
    required: bool = True
    auto_fail: bool = False

    @property
    def max_points(self) -> int:
        return 1 if self.kind == YES_NO else self.scale_max


@dataclass(frozen=True)
class Answer:
    value: int | None = None
    na: bool = False

    @property
    def given(self) -> bool:
        return self.na or self.value is not None


@dataclass(frozen=True)
class Score:
    score: float | None  # percent 0-100, rounded to 2 places; None when nothing was applicable
    auto_failed: bool
    auto_fail_reasons: list[str]  # the labels of the auto-fail questions answered "no"
    earned: float
    possible: float
    sections: dict[int, float | None] = field(default_factory=dict)  # percent per section, no auto-fail
    missing: list[int] = field(default_factory=list)  # required questions not answered yet


def answer_error(question: Question, answer: Answer) -> str | None:
    """Why `answer` is not a valid answer to `question`, or None."""
    if answer.na:
        if not question.allow_na:
            return _("N/A is not allowed for this question.")
        if answer.value is not None:
            return _("Choose a value or N/A, not both.")
        return None
    if answer.value is None:
        return None
    if not 0 <= answer.value <= question.max_points:
        if question.kind == YES_NO:
            return _("Answer yes or no.")
        return _("Choose a value from 0 to %(max)s.") % {"max": question.max_points}
    return None


def _percent(earned: float, possible: float) -> float | None:
    return round(100.0 * earned / possible, 2) if possible else None


def score_answers(questions: Iterable[Question], answers: Mapping[int, Answer]) -> Score:
    """Score `answers` (by question id) against `questions`. Invalid answers must be refused first
    (answer_error); unanswered questions do not count, and required ones are listed in `missing`."""
    earned = possible = 0.0
    section_totals: dict[int, list[float]] = {}
    reasons: list[str] = []
    missing: list[int] = []
    for question in questions:
        totals = section_totals.setdefault(question.section_id, [0.0, 0.0])
        answer = answers.get(question.id, Answer())
        if not answer.given:
            if question.required:
                missing.append(question.id)
            continue
        if answer.na or answer.value is None:
            continue
        points = question.weight * answer.value / question.max_points
        earned += points
        possible += question.weight
        totals[0] += points
        totals[1] += question.weight
        if question.auto_fail and answer.value == 0:
            reasons.append(question.label)
    sections = {section_id: _percent(*totals) for section_id, totals in section_totals.items()}
    if reasons:
        return Score(0.0, True, reasons, earned, possible, sections, missing)
    return Score(_percent(earned, possible), False, [], earned, possible, sections, missing)
