"""Writes of calibration sessions: several QA analysts score the same call with the same scorecard,
blind to each other's answers until they have submitted their own."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError, ConflictError, NotFoundError
from qa.models import (
    CalibrationSession,
    CalibrationStatus,
    Evaluation,
    EvaluationStatus,
    Origin,
    Scorecard,
)
from qa.services.common import EVALUATE, event_record, require_lead, user_label
from telephony.models import Call

MIN_EVALUATORS = 2


@transaction.atomic
def calibration_create(
    *,
    actor: AbstractBaseUser,
    call_id: int,
    scorecard_id: int,
    evaluator_ids: Iterable[int],
    title: str = "",
) -> CalibrationSession:
    """A QA lead opens a session on a call: each evaluator gets their own evaluation of it to do.
    Raises ApplicationError (with fields) for an unknown call or scorecard, or fewer than two
    QA analysts; nothing is written then."""
    require_lead(actor)
    errors: dict[str, list[str]] = {}
    call = Call.objects.filter(pk=call_id, answered_at__isnull=False).select_related("queue").first()
    if call is None:
        errors["call"] = [_("There is no such answered call.")]
    scorecard = Scorecard.objects.filter(pk=scorecard_id, active=True, current_version__isnull=False).first()
    if scorecard is None:
        errors["scorecard"] = [_("Choose one of the active scorecards.")]
    ids = sorted({int(pk) for pk in evaluator_ids})
    evaluators = [
        user
        for user in get_user_model().objects.filter(pk__in=ids, is_active=True)
        if user.has_perm(EVALUATE)
    ]
    if len(evaluators) != len(ids):
        errors["evaluators"] = [_("Pick QA analysts only.")]
    elif len(evaluators) < MIN_EVALUATORS:
        errors["evaluators"] = [_("Pick at least two evaluators; calibration compares their scores.")]
    if errors:
        raise ApplicationError(_("The calibration session has errors; see the marked fields."), fields=errors)
    assert call is not None and scorecard is not None  # noqa: S101 - errors raised above otherwise
    session = CalibrationSession.objects.create(
        title=(title or "").strip()[:120] or _("Calibration of call %(call)s") % {"call": call.call_id},
        call=call,
        scorecard_version=scorecard.current_version,
        created_by=actor,
    )
    now = timezone.now()
    for evaluator in evaluators:
        evaluation = Evaluation.objects.create(
            call=call,
            agent_id=call.agent_id,
            agent_code=call.agent_code,
            evaluator=evaluator,
            scorecard_version=scorecard.current_version,
            calibration=session,
            origin=Origin.CALIBRATION,
            status=EvaluationStatus.ASSIGNED,
            assigned_at=now,
        )
        event_record(
            evaluation, "assigned", actor, evaluator=user_label(evaluator), origin=Origin.CALIBRATION
        )
    return session


@transaction.atomic
def calibration_close(*, actor: AbstractBaseUser, calibration_id: int) -> CalibrationSession:
    """Close a session: evaluations not submitted by then are cancelled."""
    require_lead(actor)
    session = CalibrationSession.objects.select_for_update().filter(pk=calibration_id).first()
    if session is None:
        raise NotFoundError(_("There is no such calibration session."))
    if session.status == CalibrationStatus.CLOSED:
        raise ConflictError(_("The session is closed already."))
    session.status = CalibrationStatus.CLOSED
    session.closed_at = timezone.now()
    session.save(update_fields=["status", "closed_at"])
    Evaluation.objects.filter(
        calibration=session, status__in=(EvaluationStatus.ASSIGNED, EvaluationStatus.DRAFT)
    ).update(status=EvaluationStatus.CANCELLED)
    return session
