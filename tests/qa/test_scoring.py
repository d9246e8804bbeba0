"""Score math: weighted percent of the applicable questions; N/A and unanswered ones do not count;
an auto-fail "no" zeroes the score; nothing applicable gives None."""

from __future__ import annotations

from qa.scoring import Answer, Question, answer_error, score_answers

GREET = Question(id=1, section_id=10, label="Greeted", weight=1)
VERIFY = Question(id=2, section_id=10, label="Verified identity", weight=1, auto_fail=True)
SOLVED = Question(id=3, section_id=20, label="Solved", kind="scale", scale_max=4, weight=3, allow_na=True)
EMPATHY = Question(id=4, section_id=20, label="Empathy", kind="scale", scale_max=4, weight=2, required=False)
ALL = [GREET, VERIFY, SOLVED, EMPATHY]


def test_all_full_marks_is_100():
    answers = {1: Answer(1), 2: Answer(1), 3: Answer(4), 4: Answer(4)}
    assert score_answers(ALL, answers).score == 100.0


def test_weights_multiply_each_question():
    # greet 1/1·1 + verify 1/1·1 + solved 2/4·3 + empathy 0/4·2 = 3.5 of 7
    answers = {1: Answer(1), 2: Answer(1), 3: Answer(2), 4: Answer(0)}
    result = score_answers(ALL, answers)
    assert result.score == 50.0
    assert (result.earned, result.possible) == (3.5, 7.0)


def test_na_is_left_out_of_the_denominator():
    # solved is N/A: greet 1 + verify 1 + empathy 2/4·2 = 3 of 4
    answers = {1: Answer(1), 2: Answer(1), 3: Answer(na=True), 4: Answer(2)}
    assert score_answers(ALL, answers).score == 75.0


def test_unanswered_optional_question_does_not_count_and_is_not_missing():
    answers = {1: Answer(1), 2: Answer(1), 3: Answer(4)}
    result = score_answers(ALL, answers)
    assert result.score == 100.0
    assert result.missing == []


def test_unanswered_required_questions_are_listed_as_missing():
    result = score_answers(ALL, {1: Answer(1)})
    assert result.missing == [2, 3]


def test_auto_fail_no_zeroes_the_score_and_names_the_question():
    answers = {1: Answer(1), 2: Answer(0), 3: Answer(4), 4: Answer(4)}
    result = score_answers(ALL, answers)
    assert result.score == 0.0
    assert result.auto_failed is True
    assert result.auto_fail_reasons == ["Verified identity"]


def test_section_scores_ignore_the_auto_fail():
    answers = {1: Answer(1), 2: Answer(0), 3: Answer(3), 4: Answer(1)}
    result = score_answers(ALL, answers)
    assert result.sections == {10: 50.0, 20: 55.0}  # (2.25 + 0.5) / 5


def test_nothing_applicable_gives_none_not_zero():
    result = score_answers([SOLVED], {3: Answer(na=True)})
    assert result.score is None
    assert result.auto_failed is False


def test_score_is_rounded_to_two_places():
    questions = [
        Question(id=1, section_id=1, label="a"),
        Question(id=2, section_id=1, label="b"),
        Question(id=3, section_id=1, label="c"),
    ]
    assert score_answers(questions, {1: Answer(1), 2: Answer(0), 3: Answer(0)}).score == 33.33


def test_na_is_refused_where_not_allowed():
    assert answer_error(GREET, Answer(na=True)) == "N/A is not allowed for this question."
    assert answer_error(SOLVED, Answer(na=True)) is None


def test_values_outside_the_scale_are_refused():
    assert answer_error(SOLVED, Answer(5)) == "Choose a value from 0 to 4."
    assert answer_error(GREET, Answer(2)) == "Answer yes or no."
    assert answer_error(SOLVED, Answer(0)) is None
