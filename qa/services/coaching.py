"""Writes of coaching sessions: a supervisor coaches an agent of their team (often from an
evaluation), with goals, notes and a follow-up date; the agent sees it and marks it seen."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from qa.models import CoachingSession, CoachingStatus, Evaluation
from qa.services.alerts import qa_alert
from qa.services.common import COACH, MANAGE, event_record, user_label

MAX_TEXT = 8000


def _may_coach(actor: AbstractBaseUser, agent_id: int) -> bool:
    from qa.selectors import supervises

    if actor.has_perm(MANAGE):
        return True
    return actor.has_perm(COACH) and supervises(supervisor=actor, agent_id=agent_id)


def _clean(goals: str, notes: str, follow_up_on: date | None, *, today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (goals or "").strip():
        errors["goals"] = [_("Write what the agent should work on.")]
    elif len(goals) > MAX_TEXT:
        errors["goals"] = [_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}]
    if len(notes or "") > MAX_TEXT:
        errors["notes"] = [_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}]
    if follow_up_on is not None and follow_up_on < today:
        errors["follow_up_on"] = [_("Pick today or a later day.")]
    return errors


@transaction.atomic
def coaching_open(
    *,
    actor: AbstractBaseUser,
    agent: AbstractBaseUser,
    goals: str,
    notes: str = "",
    follow_up_on: date | None = None,
    evaluation_id: int | None = None,
) -> CoachingSession:
    """Open a coaching session for an agent of a team `actor` supervises (QA leads: anyone).
    From an evaluation, it must be that agent's submitted one; the evaluation's timeline says so."""
    if not _may_coach(actor, agent.pk):
        raise ForbiddenError(_("You may coach only the agents of the teams you supervise."))
    evaluation = None
    if evaluation_id is not None:
        evaluation = Evaluation.objects.filter(
            pk=evaluation_id, agent_id=agent.pk, calibration__isnull=True
        ).first()
        if evaluation is None or not evaluation.is_final:
            raise ApplicationError(
                _("Coach from one of this agent's submitted evaluations."),
                fields={"evaluation": [_("Not this agent's submitted evaluation.")]},
            )
    errors = _clean(goals, notes, follow_up_on, today=timezone.localdate())
    if errors:
        raise ApplicationError(_("The coaching session has errors; see the marked fields."), fields=errors)
    session = CoachingSession.objects.create(
        agent=agent,
        coach=actor,
        evaluation=evaluation,
        goals=goals.strip(),
        notes=(notes or "").strip(),
        follow_up_on=follow_up_on,
    )
    if evaluation is not None:
        event_record(evaluation, "coaching_opened", actor, text=session.goals, coaching=session.pk)
    qa_alert(
        user_ids=[agent.pk],
        kind="qa_coaching",
        title=_("%(who)s opened a coaching session with you") % {"who": user_label(actor)},
        message=session.goals[:200],
        url=reverse("qa:coaching_detail", args=[session.pk]),
    )
    return session


def _lock(session_id: int) -> CoachingSession:
    session = CoachingSession.objects.select_for_update().filter(pk=session_id).first()
    if session is None:
        raise NotFoundError(_("There is no such coaching session."))
    return session


@transaction.atomic
def coaching_update(
    *,
    actor: AbstractBaseUser,
    session_id: int,
    goals: str,
    notes: str = "",
    follow_up_on: date | None = None,
) -> CoachingSession:
    session = _lock(session_id)
    if session.coach_id != actor.pk and not actor.has_perm(MANAGE):
        raise ForbiddenError(_("Only the coach may change this session."))
    if session.status != CoachingStatus.OPEN:
        raise ConflictError(_("The session is completed; open a new one to follow up."))
    today = timezone.localdate()
    # A follow-up date already past may stay as it was; a new one must not be in the past.
    check_date = follow_up_on if follow_up_on != session.follow_up_on else None
    errors = _clean(goals, notes, check_date, today=today)
    if errors:
        raise ApplicationError(_("The coaching session has errors; see the marked fields."), fields=errors)
    session.goals = goals.strip()
    session.notes = (notes or "").strip()
    session.follow_up_on = follow_up_on
    session.save()
    return session


@transaction.atomic
def coaching_complete(*, actor: AbstractBaseUser, session_id: int, outcome: str = "") -> CoachingSession:
    session = _lock(session_id)
    if session.coach_id != actor.pk and not actor.has_perm(MANAGE):
        raise ForbiddenError(_("Only the coach may complete this session."))
    if session.status != CoachingStatus.OPEN:
        raise ConflictError(_("The session is completed already."))
    session.status = CoachingStatus.COMPLETED
    session.outcome = (outcome or "").strip()[:MAX_TEXT]
    session.completed_at = timezone.now()
    session.save()
    return session


@transaction.atomic
def coaching_mark_seen(*, actor: AbstractBaseUser, session_id: int) -> CoachingSession:
    """The agent says they have read the session (first time only)."""
    session = _lock(session_id)
    if session.agent_id != actor.pk:
        raise ForbiddenError(_("Only the coached agent may mark this as seen."))
    if session.agent_seen_at is None:
        session.agent_seen_at = timezone.now()
        session.save(update_fields=["agent_seen_at", "updated_at"])
    return session
