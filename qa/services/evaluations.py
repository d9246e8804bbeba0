"""Writes of evaluations: start (pick a call), save a draft, submit, comment; the agent's acknowledgement
and dispute; a QA lead's resolution (uphold or rescore), reassignment and cancellation.

Every step is recorded on the evaluation's timeline (EvaluationEvent), which the audit log reads: a
step that changes answers, comments or the summary (a draft saved again, the submit, a rescore)
carries what changed as {"<n>. <question>": [before, after], …}. Each service runs in one
transaction and locks the evaluation row, so two people acting at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.changes import changes_between
from callcenter.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from callcenter.formatting import format_percent
from qa.models import (
    OPEN_STATUSES,
    Criterion,
    Dispute,
    DisputeStatus,
    Evaluation,
    EvaluationAnswer,
    EvaluationComment,
    EvaluationStatus,
    Origin,
    Scorecard,
)
from qa.recordings import recording_file
from qa.scoring import Answer, Question, Score, answer_error, score_answers
from qa.services.alerts import qa_alert
from qa.services.common import EVALUATE, MANAGE, event_record, require_evaluator, require_lead, user_label
from telephony.models import Call

MAX_COMMENT = 4000


# --- helpers ---------------------------------------------------------------------------------------
def _url(evaluation: Evaluation) -> str:
    return reverse("qa:evaluation_detail", args=[evaluation.pk])


def _lock(evaluation_id: int) -> Evaluation:
    evaluation = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("call", "scorecard_version")
        .filter(pk=evaluation_id)
        .first()
    )
    if evaluation is None:
        raise NotFoundError(_("There is no such evaluation."))
    return evaluation


def _require_scorer(actor: AbstractBaseUser, evaluation: Evaluation) -> None:
    require_evaluator(actor)
    if evaluation.evaluator_id != actor.pk:
        who = user_label(evaluation.evaluator) or _("nobody yet")
        raise ForbiddenError(_("This evaluation is assigned to %(who)s, not to you.") % {"who": who})
    if evaluation.status not in OPEN_STATUSES:
        raise ConflictError(
            _("%(number)s is %(status)s; it can no longer be changed.")
            % {"number": evaluation.number, "status": evaluation.get_status_display().lower()}
        )
    if evaluation.scorecard_version_id is None:
        raise ApplicationError(_("Choose a scorecard first."), fields={"scorecard": [_("Required.")]})


def _criteria(evaluation: Evaluation) -> dict[int, Criterion]:
    return {
        c.pk: c
        for c in Criterion.objects.filter(section__version_id=evaluation.scorecard_version_id).order_by(
            "section__order", "order", "id"
        )
    }


def _parse_answers(
    criteria: dict[int, Criterion], answers: Iterable[Mapping[str, Any]]
) -> dict[int, tuple[Answer, str]]:
    """{criterion id: (Answer, comment)}; ApplicationError naming each bad answer (`criterion_<id>`)."""
    parsed: dict[int, tuple[Answer, str]] = {}
    errors: dict[str, list[str]] = {}
    for raw in answers:
        try:
            criterion_id = int(raw.get("criterion"))
        except (TypeError, ValueError):
            errors["answers"] = [_("Each answer names its question (criterion id).")]
            continue
        criterion = criteria.get(criterion_id)
        if criterion is None:
            errors[f"criterion_{criterion_id}"] = [_("This question is not on the evaluation's scorecard.")]
            continue
        value = raw.get("value")
        if value in ("", None):
            value = None
        else:
            try:
                value = int(value)
            except (TypeError, ValueError):
                errors[f"criterion_{criterion_id}"] = [_("Answer with a number.")]
                continue
        answer = Answer(value=value, na=bool(raw.get("na")))
        problem = answer_error(_question(criterion), answer)
        if problem:
            errors[f"criterion_{criterion_id}"] = [problem]
            continue
        comment = str(raw.get("comment") or "").strip()[:MAX_COMMENT]
        parsed[criterion_id] = (answer, comment)
    if errors:
        raise ApplicationError(_("Some answers are not valid; see the marked questions."), fields=errors)
    return parsed


def _question(criterion: Criterion) -> Question:
    return Question(
        id=criterion.pk,
        section_id=criterion.section_id,
        label=criterion.label,
        kind=criterion.kind,
        scale_max=criterion.scale_max,
        weight=criterion.weight,
        allow_na=criterion.allow_na,
        required=criterion.required,
        auto_fail=criterion.auto_fail,
    )


def _store_answers(evaluation: Evaluation, parsed: dict[int, tuple[Answer, str]]) -> None:
    existing = {a.criterion_id: a for a in evaluation.answers.all()}
    create, update = [], []
    for criterion_id, (answer, comment) in parsed.items():
        row = existing.get(criterion_id)
        if row is None:
            create.append(
                EvaluationAnswer(
                    evaluation=evaluation,
                    criterion_id=criterion_id,
                    value=answer.value,
                    na=answer.na,
                    comment=comment,
                )
            )
        else:
            row.value, row.na, row.comment = answer.value, answer.na, comment
            update.append(row)
    EvaluationAnswer.objects.bulk_create(create)
    EvaluationAnswer.objects.bulk_update(update, ["value", "na", "comment"])


NA = "n/a"  # an answer marked not applicable, on the record


def _snapshot(evaluation: Evaluation, criteria: dict[int, Criterion]) -> dict[str, Any]:
    """What a scorer types, by question as people see it ("2. Verified the caller"): each answer (its
    points, "n/a" or None when unanswered), each answer's comment, and the summary. The number keeps
    two questions of the same label apart."""
    saved = {a.criterion_id: a for a in evaluation.answers.all()}
    snapshot: dict[str, Any] = {}
    for number, (criterion_id, criterion) in enumerate(criteria.items(), start=1):
        name, row = f"{number}. {criterion.label}", saved.get(criterion_id)
        snapshot[name] = None if row is None else (NA if row.na else row.value)
        snapshot[f"{name} (comment)"] = row.comment if row is not None else ""
    snapshot["summary"] = evaluation.summary
    return snapshot


def _score(evaluation: Evaluation, criteria: dict[int, Criterion]) -> Score:
    answers = {a.criterion_id: Answer(value=a.value, na=a.na) for a in evaluation.answers.all()}
    return score_answers([_question(c) for c in criteria.values()], answers)


def _apply_score(evaluation: Evaluation, result: Score) -> None:
    evaluation.score = result.score
    evaluation.auto_failed = result.auto_failed
    evaluation.auto_fail_reason = (
        _("Auto-fail: %(questions)s") % {"questions": "; ".join(result.auto_fail_reasons)}
        if result.auto_failed
        else ""
    )


def _require_complete(result: Score, criteria: dict[int, Criterion]) -> None:
    if result.missing:
        labels = [criteria[pk].label for pk in result.missing]
        raise ApplicationError(
            _("Answer every required question before submitting: %(questions)s.")
            % {"questions": "; ".join(labels)},
            fields={f"criterion_{pk}": [_("This question needs an answer.")] for pk in result.missing},
            code="incomplete",
        )
    if result.score is None:
        raise ApplicationError(
            _("Every answered question is N/A: there is nothing to score."), code="nothing_to_score"
        )


# --- start -----------------------------------------------------------------------------------------
def _scorecard_version(scorecard_id: int | None, call: Call) -> Any:
    from qa.selectors import scorecard_for_call

    if scorecard_id is None:
        scorecard = scorecard_for_call(call)
        if scorecard is None:
            raise ApplicationError(
                _("There is no active scorecard for this call's queue; ask a QA lead to build one."),
                fields={"scorecard": [_("No scorecard.")]},
            )
    else:
        scorecard = Scorecard.objects.filter(
            pk=scorecard_id, active=True, current_version__isnull=False
        ).first()
        if scorecard is None:
            raise ApplicationError(
                _("Choose one of the active scorecards."),
                fields={"scorecard": [_("Not an active scorecard.")]},
            )
    return scorecard.current_version


@transaction.atomic
def evaluation_start(*, actor: AbstractBaseUser, call_id: int, scorecard_id: int | None = None) -> Evaluation:
    """QA picks a call to score (from search). Returns the call's evaluation: a new one assigned to
    `actor`; theirs if it exists; one not started yet is taken over from its assignee; a cancelled
    one is reopened for `actor`. One started by someone else is returned as it is (to read).
    Raises NotFoundError for an unknown or unanswered call, ApplicationError without a scorecard."""
    require_evaluator(actor)
    call = Call.objects.select_related("queue").filter(pk=call_id, answered_at__isnull=False).first()
    if call is None:
        raise NotFoundError(_("There is no such answered call."))
    existing = Evaluation.objects.select_for_update().filter(call=call, calibration__isnull=True).first()
    now = timezone.now()
    if existing is not None:
        if existing.evaluator_id == actor.pk and existing.status != EvaluationStatus.CANCELLED:
            return existing
        if existing.status in (EvaluationStatus.ASSIGNED, EvaluationStatus.CANCELLED):
            previous = user_label(existing.evaluator)
            existing.evaluator = actor
            existing.status = EvaluationStatus.ASSIGNED
            existing.assigned_at = now
            if existing.scorecard_version_id is None or scorecard_id is not None:
                existing.scorecard_version = _scorecard_version(scorecard_id, call)
            existing.save()
            event_record(existing, "reassigned", actor, evaluator=user_label(actor), previous=previous)
            return existing
        return existing
    version = _scorecard_version(scorecard_id, call)
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                call=call,
                agent_id=call.agent_id,
                agent_code=call.agent_code,
                evaluator=actor,
                scorecard_version=version,
                origin=Origin.MANUAL,
                status=EvaluationStatus.ASSIGNED,
                assigned_at=now,
            )
    except IntegrityError:  # sampled or picked by someone else a moment ago
        return Evaluation.objects.get(call=call, calibration__isnull=True)
    event_record(evaluation, "assigned", actor, evaluator=user_label(actor), origin=Origin.MANUAL)
    return evaluation


@transaction.atomic
def evaluation_scorecard_set(*, actor: AbstractBaseUser, evaluation_id: int, scorecard_id: int) -> Evaluation:
    """Score the call with another active scorecard; only before any answer was saved."""
    evaluation = _lock(evaluation_id)
    require_evaluator(actor)
    if evaluation.evaluator_id != actor.pk or evaluation.status not in OPEN_STATUSES:
        raise ForbiddenError(_("Only the assigned evaluator may change the scorecard while scoring."))
    if evaluation.calibration_id is not None:
        raise ConflictError(_("Everyone in a calibration session scores with the same scorecard."))
    if evaluation.answers.exists():
        raise ConflictError(_("Answers are saved already; the scorecard can no longer change."))
    evaluation.scorecard_version = _scorecard_version(scorecard_id, evaluation.call)
    evaluation.save(update_fields=["scorecard_version", "updated_at"])
    event_record(
        evaluation, "scorecard_changed", actor, scorecard=str(evaluation.scorecard_version.scorecard)
    )
    return evaluation


# --- score -----------------------------------------------------------------------------------------
def _save(
    evaluation: Evaluation,
    actor: AbstractBaseUser,
    answers: Iterable[Mapping[str, Any]] | None,
    summary: str | None,
) -> tuple[dict[int, Criterion], Score, dict[str, Any]]:
    """Store the answers and summary and rescore; returns the criteria, the score and, for the record,
    what changed (with `score_before` when the score moved)."""
    criteria = _criteria(evaluation)
    before, score_before = _snapshot(evaluation, criteria), evaluation.score
    if answers is not None:
        _store_answers(evaluation, _parse_answers(criteria, answers))
    if summary is not None:
        evaluation.summary = summary.strip()[:MAX_COMMENT]
    if evaluation.status == EvaluationStatus.ASSIGNED:
        evaluation.status = EvaluationStatus.DRAFT
        evaluation.started_at = timezone.now()
        event_record(evaluation, "started", actor)
    result = _score(evaluation, criteria)
    _apply_score(evaluation, result)
    changes = changes_between(before, _snapshot(evaluation, criteria))
    if evaluation.score != score_before:
        changes["score_before"] = score_before
    return criteria, result, changes


@transaction.atomic
def evaluation_save_draft(
    *,
    actor: AbstractBaseUser,
    evaluation_id: int,
    answers: Iterable[Mapping[str, Any]] | None = None,
    summary: str | None = None,
) -> Evaluation:
    """Save answers ({"criterion", "value", "na", "comment"}) and the overall feedback as a draft;
    unanswered questions are fine. Only the assigned evaluator, while it is open. Invalid answers
    raise ApplicationError (`criterion_<id>` fields) and nothing is saved. Each save that changes
    something is recorded (`draft_saved`: who, each answer or comment before → after, the score);
    one that changes nothing is not."""
    evaluation = _lock(evaluation_id)
    _require_scorer(actor, evaluation)
    changes = _save(evaluation, actor, answers, summary)[2]
    evaluation.save()
    if changes:
        event_record(evaluation, "draft_saved", actor, **changes, score=evaluation.score)
    return evaluation


def _kpi_scores_changed(evaluation: Evaluation) -> None:
    """After the commit, have kpi recompute the intervals of this call (its qa_score moved)."""
    from kpi.services.rollups import rollup_calls_changed  # kpi reads QA scores; QA says when they move

    call_id = evaluation.call_id
    transaction.on_commit(lambda: rollup_calls_changed(call_ids=[call_id]))


@transaction.atomic
def evaluation_submit(
    *,
    actor: AbstractBaseUser,
    evaluation_id: int,
    answers: Iterable[Mapping[str, Any]] | None = None,
    summary: str | None = None,
) -> Evaluation:
    """Save the answers and submit: every required question must be answered (ApplicationError
    `incomplete` naming them, nothing saved). The score is fixed, the agent can see it; a call
    without a playable recording may be scored but is flagged (`recording_missing`)."""
    evaluation = _lock(evaluation_id)
    _require_scorer(actor, evaluation)
    criteria, result, changes = _save(evaluation, actor, answers, summary)
    _require_complete(result, criteria)
    evaluation.status = EvaluationStatus.SUBMITTED
    evaluation.submitted_at = timezone.now()
    evaluation.recording_missing = not recording_file(evaluation.call).available
    evaluation.save()
    if evaluation.calibration_id is None:
        _kpi_scores_changed(evaluation)
    event_record(
        evaluation,
        "submitted",
        actor,
        **changes,  # what the submit itself changed since the last draft
        score=evaluation.score,
        auto_failed=evaluation.auto_failed,
        text=evaluation.auto_fail_reason,
    )
    if evaluation.calibration_id is None:
        qa_alert(
            user_ids=[evaluation.agent_id],
            kind="qa_evaluation",
            title=_("%(number)s: a call of yours was scored %(score)s")
            % {"number": evaluation.number, "score": format_percent(evaluation.score)},
            message=evaluation.auto_fail_reason or _("Open it to acknowledge or dispute the score."),
            url=_url(evaluation),
        )
    return evaluation


@transaction.atomic
def evaluation_comment_add(
    *, actor: AbstractBaseUser, evaluation_id: int, body: str, at_s: float | None = None
) -> EvaluationComment:
    """A QA remark, at a moment of the recording (`at_s` seconds) or on the whole call."""
    from qa.selectors import evaluation_visible_q

    evaluation = _lock(evaluation_id)
    if not (actor.has_perm(EVALUATE) or actor.has_perm(MANAGE)):
        raise ForbiddenError(_("Only QA staff comment on evaluations."))
    if not Evaluation.objects.filter(evaluation_visible_q(actor), pk=evaluation.pk).exists():
        raise ForbiddenError(_("This evaluation is not yours to see."))
    if evaluation.status == EvaluationStatus.CANCELLED:
        raise ConflictError(_("The evaluation is cancelled."))
    errors: dict[str, list[str]] = {}
    body = (body or "").strip()
    if not body:
        errors["body"] = [_("Write the comment.")]
    elif len(body) > MAX_COMMENT:
        errors["body"] = [_("Keep it under %(n)s characters.") % {"n": MAX_COMMENT}]
    if at_s is not None:
        length = evaluation.call.recording_duration_s
        if at_s < 0 or (length is not None and at_s > length + 1):
            errors["at_s"] = [_("Pick a moment within the recording.")]
    if errors:
        raise ApplicationError(_("The comment has errors; see the marked fields."), fields=errors)
    return EvaluationComment.objects.create(
        evaluation=evaluation, author=actor, body=body, at_s=round(at_s, 1) if at_s is not None else None
    )


# --- the agent's answer ----------------------------------------------------------------------------
def _require_own(actor: AbstractBaseUser, evaluation: Evaluation) -> None:
    if evaluation.agent_id != actor.pk or evaluation.calibration_id is not None:
        raise ForbiddenError(_("Only the agent on the call may do this."))


@transaction.atomic
def evaluation_acknowledge(*, actor: AbstractBaseUser, evaluation_id: int) -> Evaluation:
    """The agent accepts a submitted evaluation (it can then no longer be disputed)."""
    evaluation = _lock(evaluation_id)
    _require_own(actor, evaluation)
    if evaluation.status != EvaluationStatus.SUBMITTED:
        raise ConflictError(
            _("%(number)s is %(status)s; there is nothing to acknowledge.")
            % {"number": evaluation.number, "status": evaluation.get_status_display().lower()}
        )
    evaluation.status = EvaluationStatus.ACKNOWLEDGED
    evaluation.acknowledged_at = timezone.now()
    evaluation.save(update_fields=["status", "acknowledged_at", "updated_at"])
    event_record(evaluation, "acknowledged", actor)
    return evaluation


@transaction.atomic
def evaluation_dispute(*, actor: AbstractBaseUser, evaluation_id: int, reason: str) -> Dispute:
    """The agent disputes a submitted evaluation, saying why; within the policy's dispute window and
    once per evaluation. A QA lead then resolves it."""
    from qa.selectors import dispute_deadline

    evaluation = _lock(evaluation_id)
    _require_own(actor, evaluation)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Say what is wrong with the score."), fields={"reason": [_("Write why you disagree.")]}
        )
    if Dispute.objects.filter(evaluation=evaluation).exists():
        raise ConflictError(
            _("%(number)s was disputed already; it can be disputed once.") % {"number": evaluation.number}
        )
    if evaluation.status != EvaluationStatus.SUBMITTED:
        raise ConflictError(
            _("%(number)s is %(status)s; only a submitted evaluation can be disputed.")
            % {"number": evaluation.number, "status": evaluation.get_status_display().lower()}
        )
    deadline = dispute_deadline(evaluation)
    if deadline is not None and timezone.now() > deadline:
        raise ConflictError(_("The time to dispute this evaluation is over."))
    dispute = Dispute.objects.create(
        evaluation=evaluation, raised_by=actor, reason=reason[:MAX_COMMENT], score_before=evaluation.score
    )
    evaluation.status = EvaluationStatus.DISPUTED
    evaluation.save(update_fields=["status", "updated_at"])
    event_record(evaluation, "disputed", actor, text=dispute.reason, score=evaluation.score)
    from qa.selectors import qa_leads

    qa_alert(
        user_ids=[evaluation.evaluator_id, *qa_leads().values_list("pk", flat=True)],
        kind="qa_dispute",
        title=_("%(who)s disputes %(number)s") % {"who": user_label(actor), "number": evaluation.number},
        message=dispute.reason[:200],
        url=_url(evaluation),
    )
    return dispute


UPHOLD = "uphold"
RESCORE = "rescore"


@transaction.atomic
def dispute_resolve(
    *,
    actor: AbstractBaseUser,
    evaluation_id: int,
    outcome: str,
    note: str,
    answers: Iterable[Mapping[str, Any]] | None = None,
    summary: str | None = None,
) -> Evaluation:
    """A QA lead resolves the agent's dispute: `uphold` keeps the score, `rescore` replaces the
    answers (all required ones again) and so the score. The note is required and shown to the agent;
    the score before and after stay on the dispute and the timeline."""
    require_lead(actor)
    evaluation = _lock(evaluation_id)
    dispute = Dispute.objects.select_for_update().filter(evaluation=evaluation).first()
    if (
        dispute is None
        or dispute.status != DisputeStatus.OPEN
        or evaluation.status != EvaluationStatus.DISPUTED
    ):
        raise ConflictError(_("%(number)s has no open dispute.") % {"number": evaluation.number})
    errors: dict[str, list[str]] = {}
    if outcome not in (UPHOLD, RESCORE):
        errors["outcome"] = [_("Uphold the score or rescore.")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Tell the agent why.")]
    if outcome == RESCORE and answers is None:
        errors["answers"] = [_("Give the new answers.")]
    if errors:
        raise ApplicationError(_("The resolution has errors; see the marked fields."), fields=errors)
    before = evaluation.score
    changes: dict[str, Any] = {}
    if outcome == RESCORE:
        criteria = _criteria(evaluation)
        answered = _snapshot(evaluation, criteria)
        _store_answers(evaluation, _parse_answers(criteria, answers or []))
        if summary is not None:
            evaluation.summary = summary.strip()[:MAX_COMMENT]
        result = _score(evaluation, criteria)
        _require_complete(result, criteria)
        _apply_score(evaluation, result)
        changes = changes_between(answered, _snapshot(evaluation, criteria))
    now = timezone.now()
    dispute.status = DisputeStatus.RESCORED if outcome == RESCORE else DisputeStatus.UPHELD
    dispute.resolved_by = actor
    dispute.resolved_at = now
    dispute.resolution_note = note[:MAX_COMMENT]
    dispute.score_after = evaluation.score
    dispute.save()
    evaluation.status = EvaluationStatus.RESOLVED
    evaluation.save()
    if outcome == RESCORE and evaluation.score != before:
        _kpi_scores_changed(evaluation)
    event_record(
        evaluation,
        "rescored" if outcome == RESCORE else "dispute_upheld",
        actor,
        **changes,
        text=dispute.resolution_note,
        score_before=before,
        score=evaluation.score,
    )
    title = (
        _("%(number)s was rescored: %(score)s")
        if outcome == RESCORE
        else _("%(number)s: the score of %(score)s stands")
    )
    qa_alert(
        user_ids=[evaluation.agent_id],
        kind="qa_resolved",
        title=title % {"number": evaluation.number, "score": format_percent(evaluation.score)},
        message=dispute.resolution_note[:200],
        url=_url(evaluation),
    )
    return evaluation


# --- the lead's housekeeping -----------------------------------------------------------------------
@transaction.atomic
def evaluation_reassign(
    *, actor: AbstractBaseUser, evaluation_id: int, evaluator: AbstractBaseUser
) -> Evaluation:
    """A QA lead moves an open evaluation to another QA analyst (drafts keep their answers)."""
    require_lead(actor)
    evaluation = _lock(evaluation_id)
    if evaluation.status not in OPEN_STATUSES or evaluation.calibration_id is not None:
        raise ConflictError(_("Only an open evaluation outside calibration can be reassigned."))
    if not (evaluator.is_active and evaluator.has_perm(EVALUATE)):
        raise ApplicationError(
            _("%(who)s does not score calls.") % {"who": user_label(evaluator)},
            fields={"evaluator": [_("Pick a QA analyst.")]},
        )
    previous = user_label(evaluation.evaluator)
    evaluation.evaluator = evaluator
    evaluation.assigned_at = timezone.now()
    evaluation.save(update_fields=["evaluator", "assigned_at", "updated_at"])
    event_record(evaluation, "reassigned", actor, evaluator=user_label(evaluator), previous=previous)
    return evaluation


@transaction.atomic
def evaluation_cancel(*, actor: AbstractBaseUser, evaluation_id: int, reason: str = "") -> Evaluation:
    """Drop an open evaluation from the work queue (its evaluator or a QA lead); the call is not
    sampled again. QA can reopen it by picking the call."""
    evaluation = _lock(evaluation_id)
    if not (actor.has_perm(MANAGE) or (evaluation.evaluator_id == actor.pk and actor.has_perm(EVALUATE))):
        raise ForbiddenError(_("Only its evaluator or a QA lead may cancel an evaluation."))
    if evaluation.status not in OPEN_STATUSES:
        raise ConflictError(_("Only an evaluation not submitted yet can be cancelled."))
    evaluation.status = EvaluationStatus.CANCELLED
    evaluation.save(update_fields=["status", "updated_at"])
    event_record(evaluation, "cancelled", actor, text=(reason or "").strip()[:MAX_COMMENT])
    return evaluation
