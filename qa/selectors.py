"""Reads of the QA app: who may see which evaluation and hear which recording, work queues, call
search, scorecard structure, timelines, calibration results, coaching lists, and the scores the KPI
rollups take (`evaluation_scores`)."""

from __future__ import annotations

import statistics
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Team
from callcenter.errors import ForbiddenError, NotFoundError
from callcenter.formatting import to_local
from callcenter.roles import QA_LEAD_GROUP, Role
from qa.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    CalibrationSession,
    CoachingSession,
    CoachingStatus,
    Criterion,
    Dispute,
    DisputeStatus,
    Evaluation,
    EvaluationAnswer,
    EvaluationComment,
    EvaluationEvent,
    EvaluationStatus,
    SamplingPolicy,
    Scorecard,
    ScorecardSection,
    ScorecardVersion,
)
from qa.scoring import Answer, Question, Score, score_answers
from qa.services.common import COACH, EVALUATE, MANAGE, OWN
from qa.services.scorecards import CriterionDef, ScorecardDef, SectionDef
from telephony.models import Call

User = get_user_model()


# --- people ----------------------------------------------------------------------------------------
def qa_staff() -> QuerySet:
    """Active members of the qa role: the people sampled calls are assigned to."""
    return User.objects.filter(is_active=True, groups__name=Role.QA.value).distinct().order_by("id")


def qa_leads() -> QuerySet:
    return User.objects.filter(is_active=True, groups__name=QA_LEAD_GROUP).distinct().order_by("username")


def sampling_policy() -> SamplingPolicy:
    policy, _created = SamplingPolicy.objects.get_or_create(pk=1)
    return policy


def supervised_agent_ids(user: AbstractBaseUser) -> QuerySet:
    """Ids of the members of teams `user` supervises, as a subquery."""
    return Team.members.through.objects.filter(team__supervisor_id=user.pk).values("user_id")


def supervises(*, supervisor: AbstractBaseUser, agent_id: int | None) -> bool:
    if agent_id is None:
        return False
    return Team.objects.filter(supervisor_id=supervisor.pk, members__id=agent_id).exists()


# --- scorecards ------------------------------------------------------------------------------------
def scorecard_list(*, active_only: bool = False) -> QuerySet[Scorecard]:
    rows = Scorecard.objects.select_related("current_version").prefetch_related("queues")
    rows = rows.annotate(versions_count=Count("versions", distinct=True))
    return rows.filter(active=True) if active_only else rows


def version_sections(version: ScorecardVersion) -> list[ScorecardSection]:
    """The sections of a version with their criteria (two queries)."""
    return list(
        version.sections.order_by("order", "id").prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.order_by("order", "id"))
        )
    )


def scorecard_definition(version: ScorecardVersion) -> ScorecardDef:
    """A version's questions in the shape scorecard_create/update take."""
    return ScorecardDef(
        pass_percent=version.pass_percent,
        sections=[
            SectionDef(
                title=section.title,
                criteria=[
                    CriterionDef(
                        label=c.label,
                        kind=c.kind,
                        scale_max=c.scale_max,
                        weight=c.weight,
                        allow_na=c.allow_na,
                        required=c.required,
                        auto_fail=c.auto_fail,
                        guidance=c.guidance,
                        key=c.key,
                    )
                    for c in section.criteria.all()
                ],
            )
            for section in version_sections(version)
        ],
    )


def version_questions(sections: list[ScorecardSection]) -> list[Question]:
    return [
        Question(
            id=c.pk,
            section_id=section.pk,
            label=c.label,
            kind=c.kind,
            scale_max=c.scale_max,
            weight=c.weight,
            allow_na=c.allow_na,
            required=c.required,
            auto_fail=c.auto_fail,
        )
        for section in sections
        for c in section.criteria.all()
    ]


def scorecard_for_call(call: Call) -> Scorecard | None:
    """The default scorecard for a call: an active one for its queue, else an active one for every
    queue; the newest of those."""
    candidates = (
        Scorecard.objects.filter(active=True, current_version__isnull=False)
        .annotate(n_queues=Count("queues"))
        .filter(Q(queues__id=call.queue_id) | Q(n_queues=0))
        .order_by("-id")
        .distinct()
    )
    rows = list(candidates)
    for scorecard in rows:
        if scorecard.n_queues:
            return scorecard
    return rows[0] if rows else None


# --- evaluations: visibility and what a user may do ------------------------------------------------
def evaluation_visible_q(user: AbstractBaseUser) -> Q:
    """Evaluations `user` may open. QA leads: all. QA staff: every regular evaluation, and their own
    calibration ones (calibration is blind). Supervisors: their teams' agents' submitted ones.
    Agents: their own submitted ones. Drafts and calibration are never shown to agents."""
    if user.has_perm(MANAGE):
        return Q()
    visible = Q(pk__in=[])
    if user.has_perm(EVALUATE):
        visible |= Q(calibration__isnull=True) | Q(evaluator_id=user.pk)
    final = Q(calibration__isnull=True, status__in=FINAL_STATUSES)
    if user.has_perm(COACH):
        visible |= final & Q(agent_id__in=supervised_agent_ids(user))
    if user.has_perm(OWN):
        visible |= final & Q(agent_id=user.pk)
    return visible


def can_see_evaluations(user: AbstractBaseUser) -> bool:
    return any(user.has_perm(perm) for perm in (MANAGE, EVALUATE, COACH, OWN))


def evaluation_get_for_user(*, user: AbstractBaseUser, evaluation_id: int) -> Evaluation:
    """The evaluation with its call, people and version. NotFoundError when there is none,
    ForbiddenError when it is someone else's that `user` may not open."""
    evaluation = (
        Evaluation.objects.select_related(
            "call", "call__queue", "agent", "evaluator", "scorecard_version__scorecard", "calibration"
        )
        .filter(pk=evaluation_id)
        .first()
    )
    if evaluation is None:
        raise NotFoundError(_("There is no such evaluation."))
    if not Evaluation.objects.filter(evaluation_visible_q(user), pk=evaluation_id).exists():
        raise ForbiddenError(_("This evaluation is not yours to see."))
    return evaluation


@dataclass(frozen=True)
class Allowed:
    score: bool = False  # fill in and submit (the evaluator, while open)
    comment: bool = False
    acknowledge: bool = False
    dispute: bool = False
    resolve: bool = False
    coach: bool = False
    cancel: bool = False
    reassign: bool = False
    change_scorecard: bool = False


def dispute_deadline(evaluation: Evaluation) -> datetime | None:
    if evaluation.submitted_at is None:
        return None
    return evaluation.submitted_at + timedelta(days=sampling_policy().dispute_days)


def evaluation_allowed(*, user: AbstractBaseUser, evaluation: Evaluation) -> Allowed:
    """What `user` may do with `evaluation` now (the services check the same rules)."""
    lead = user.has_perm(MANAGE)
    is_open = evaluation.status in OPEN_STATUSES
    mine = evaluation.evaluator_id == user.pk
    own_call = evaluation.agent_id == user.pk and evaluation.calibration_id is None
    deadline = dispute_deadline(evaluation)
    staff = lead or user.has_perm(EVALUATE)
    return Allowed(
        score=is_open and mine and staff,
        comment=staff and evaluation.status != EvaluationStatus.CANCELLED,
        acknowledge=own_call and evaluation.status == EvaluationStatus.SUBMITTED,
        dispute=own_call
        and evaluation.status == EvaluationStatus.SUBMITTED
        and deadline is not None
        and timezone.now() <= deadline,
        resolve=lead and evaluation.status == EvaluationStatus.DISPUTED,
        coach=evaluation.is_final
        and evaluation.calibration_id is None
        and evaluation.agent_id is not None
        and user.has_perm(COACH)
        and supervises(supervisor=user, agent_id=evaluation.agent_id),
        cancel=is_open and (lead or mine) and evaluation.calibration_id is None,
        reassign=is_open and lead and evaluation.calibration_id is None,
        change_scorecard=is_open and mine and staff and evaluation.calibration_id is None,
    )


# --- evaluation page -------------------------------------------------------------------------------
@dataclass
class ScoredQuestion:
    criterion: Criterion
    answer: EvaluationAnswer | None


@dataclass
class ScoredSection:
    section: ScorecardSection
    questions: list[ScoredQuestion]
    score: float | None


@dataclass
class EvaluationSheet:
    sections: list[ScoredSection] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    result: Score | None = None


def evaluation_answers(evaluation: Evaluation) -> dict[int, EvaluationAnswer]:
    return {a.criterion_id: a for a in evaluation.answers.all()}


def evaluation_sheet(evaluation: Evaluation) -> EvaluationSheet:
    """The scorecard of the evaluation with its answers and the score they give (three queries)."""
    if evaluation.scorecard_version is None:
        return EvaluationSheet()
    sections = version_sections(evaluation.scorecard_version)
    questions = version_questions(sections)
    answers = evaluation_answers(evaluation)
    result = score_answers(questions, {pk: Answer(value=a.value, na=a.na) for pk, a in answers.items()})
    return EvaluationSheet(
        sections=[
            ScoredSection(
                section=section,
                questions=[ScoredQuestion(c, answers.get(c.pk)) for c in section.criteria.all()],
                score=result.sections.get(section.pk),
            )
            for section in sections
        ],
        questions=questions,
        result=result,
    )


def evaluation_comments(evaluation: Evaluation) -> list[EvaluationComment]:
    return list(evaluation.comments.select_related("author").order_by(F("at_s").asc(nulls_last=True), "id"))


EVENT_TITLES = {
    "assigned": lambda d: _("assigned it to %(who)s") % {"who": d.get("evaluator", "")},
    "reassigned": lambda d: _("reassigned it to %(who)s") % {"who": d.get("evaluator", "")},
    "started": lambda d: _("started scoring"),
    "draft_saved": lambda d: _("saved the draft"),
    "submitted": lambda d: _("submitted it"),
    "acknowledged": lambda d: _("acknowledged the evaluation"),
    "disputed": lambda d: _("disputed the score"),
    "dispute_upheld": lambda d: _("upheld the score"),
    "rescored": lambda d: _("rescored it"),
    "cancelled": lambda d: _("cancelled it"),
    "commented": lambda d: _("commented"),
    "coaching_opened": lambda d: _("opened a coaching session"),
    "scorecard_changed": lambda d: _("switched the scorecard to %(name)s") % {"name": d.get("scorecard", "")},
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: str
    title: str
    text: str = ""
    score_before: float | None = None
    score_after: float | None = None
    at_s: float | None = None


def evaluation_timeline(evaluation: Evaluation) -> list[TimelineEntry]:
    """Every step of the evaluation, oldest first: assignment, scoring, dispute and its resolution,
    coaching; with the texts and scores each step carried."""
    from qa.services.common import user_label

    entries = []
    for event in EvaluationEvent.objects.filter(evaluation=evaluation).select_related("actor"):
        data = event.data or {}
        title = EVENT_TITLES.get(event.kind, lambda d, kind=event.kind: kind)(data)
        entries.append(
            TimelineEntry(
                at=event.created_at,
                actor=user_label(event.actor) or _("System"),
                kind=event.kind,
                title=title,
                text=data.get("text", ""),
                score_before=data.get("score_before"),
                score_after=data.get("score"),
                at_s=data.get("at_s"),
            )
        )
    return entries


# --- lists -----------------------------------------------------------------------------------------
def _list_rows(queryset: QuerySet[Evaluation]) -> QuerySet[Evaluation]:
    return queryset.select_related(
        "call", "call__queue", "agent", "evaluator", "scorecard_version__scorecard", "dispute"
    )


def work_queue(user: AbstractBaseUser) -> list[Evaluation]:
    """The user's evaluations to do (assigned and drafts), drafts first, then oldest assignment."""
    rows = _list_rows(Evaluation.objects.filter(evaluator_id=user.pk, status__in=OPEN_STATUSES))
    return list(rows.order_by("-status", "assigned_at", "id")[:200])


@dataclass(frozen=True)
class StaffLoad:
    user: Any
    open: int
    submitted_7d: int


def queue_overview() -> tuple[list[StaffLoad], int]:
    """Per QA analyst: open items and evaluations submitted in the last 7 days; and how many
    open items nobody is assigned (two queries)."""
    since = timezone.now() - timedelta(days=7)
    staff = list(
        qa_staff().annotate(
            open_n=Count(
                "qa_evaluations_assigned",
                filter=Q(qa_evaluations_assigned__status__in=OPEN_STATUSES),
                distinct=True,
            ),
            done_n=Count(
                "qa_evaluations_assigned",
                filter=Q(qa_evaluations_assigned__submitted_at__gte=since),
                distinct=True,
            ),
        )
    )
    unassigned = Evaluation.objects.filter(evaluator__isnull=True, status__in=OPEN_STATUSES).count()
    return [StaffLoad(u, u.open_n, u.done_n) for u in staff], unassigned


EVALUATION_FILTERS = ("status", "agent", "evaluator", "queue", "scorecard", "date_from", "date_to")


def evaluation_list(*, user: AbstractBaseUser, filters: dict[str, Any]) -> QuerySet[Evaluation]:
    """Regular evaluations `user` may see, newest first, filtered by status, agent, evaluator, queue,
    scorecard and the local day range of the call (`date_from`/`date_to` as dates)."""
    rows = Evaluation.objects.filter(evaluation_visible_q(user), calibration__isnull=True)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("agent"):
        rows = rows.filter(agent_id=filters["agent"])
    if filters.get("evaluator"):
        rows = rows.filter(evaluator_id=filters["evaluator"])
    if filters.get("queue"):
        rows = rows.filter(call__queue_id=filters["queue"])
    if filters.get("scorecard"):
        rows = rows.filter(scorecard_version__scorecard_id=filters["scorecard"])
    start, end = _day_range(filters.get("date_from"), filters.get("date_to"))
    if start:
        rows = rows.filter(call__answered_at__gte=start)
    if end:
        rows = rows.filter(call__answered_at__lt=end)
    return _list_rows(rows).order_by("-id")


def disputes_open() -> list[Dispute]:
    return list(
        Dispute.objects.filter(status=DisputeStatus.OPEN)
        .select_related(
            "evaluation__agent",
            "evaluation__evaluator",
            "evaluation__call__queue",
            "evaluation__scorecard_version",
            "raised_by",
        )
        .order_by("raised_at", "id")
    )


# --- call search -----------------------------------------------------------------------------------
CALL_FILTERS = (
    "agent",
    "queue",
    "date_from",
    "date_to",
    "disposition",
    "min_talk_s",
    "max_talk_s",
    "recorded",
    "csat_max",
    "evaluated",
    "q",
)


def _day_range(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """Local calendar days (the call center's zone) as UTC instants: [start of from, end of to)."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(date_from, datetime.min.time(), zone) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), zone) if date_to else None
    return start, end


def call_search(*, filters: dict[str, Any]) -> QuerySet[Call]:
    """Answered calls for QA to pick from, newest first, each with its regular evaluation's id and
    status (`qa_evaluation_id`, `qa_status`). Filters: agent (user id), queue (id), date_from /
    date_to (local dates), disposition (code), min/max talk seconds, recorded (bool), csat_max,
    evaluated (bool), q (call id or caller number, exact)."""
    from tickets.selectors.calls import call_ids_with_disposition

    evaluation = Evaluation.objects.filter(call_id=OuterRef("pk"), calibration__isnull=True)
    rows = Call.objects.filter(answered_at__isnull=False).annotate(
        qa_evaluation_id=Subquery(evaluation.values("pk")[:1]),
        qa_status=Subquery(evaluation.values("status")[:1]),
    )
    if filters.get("agent"):
        rows = rows.filter(agent_id=filters["agent"])
    if filters.get("queue"):
        rows = rows.filter(queue_id=filters["queue"])
    start, end = _day_range(filters.get("date_from"), filters.get("date_to"))
    if start:
        rows = rows.filter(answered_at__gte=start)
    if end:
        rows = rows.filter(answered_at__lt=end)
    if filters.get("disposition"):
        rows = rows.filter(call_id__in=call_ids_with_disposition(code=filters["disposition"]))
    if filters.get("min_talk_s") is not None:
        rows = rows.filter(talk_s__gte=filters["min_talk_s"])
    if filters.get("max_talk_s") is not None:
        rows = rows.filter(talk_s__lte=filters["max_talk_s"])
    if filters.get("recorded") is True:
        rows = rows.exclude(recording_url="")
    elif filters.get("recorded") is False:
        rows = rows.filter(recording_url="")
    if filters.get("csat_max") is not None:
        rows = rows.filter(csat__lte=filters["csat_max"])
    if filters.get("evaluated") is True:
        rows = rows.filter(qa_evaluation_id__isnull=False)
    elif filters.get("evaluated") is False:
        rows = rows.filter(qa_evaluation_id__isnull=True)
    if filters.get("q"):
        text = filters["q"].strip()
        rows = rows.filter(Q(call_id=text) | Q(caller=text) | Q(callee=text))
    return rows.select_related("queue", "agent").order_by("-id")


def call_get(call_pk: int) -> Call:
    call = Call.objects.select_related("queue", "agent", "source").filter(pk=call_pk).first()
    if call is None:
        raise NotFoundError(_("There is no such call."))
    return call


def call_logs(call: Call) -> list:
    """What the agents wrote about the call (notes, disposition, ticket): from the tickets app."""
    from tickets.selectors.calls import call_logs_for_call

    return call_logs_for_call(call_id=call.call_id)


# --- recordings ------------------------------------------------------------------------------------
def recording_access_allowed(*, user: AbstractBaseUser, call: Call) -> bool:
    """May `user` hear `call`'s recording? QA staff and leads: any. The agent on the call (its agent,
    or an agent who handled one of its queue visits). Supervisors (with the coaching permission)
    of a team the call's agent belongs to. Nobody else."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.has_perm(EVALUATE) or user.has_perm(MANAGE):
        return True
    if call.agent_id is not None and call.agent_id == user.pk:
        return True
    if user.has_perm(OWN):
        from agents.desktop import agent_code_for

        if call.visits.filter(agent_code=agent_code_for(user)).exists():
            return True
    return user.has_perm(COACH) and supervises(supervisor=user, agent_id=call.agent_id)


# --- calibration -----------------------------------------------------------------------------------
def calibration_list(user: AbstractBaseUser) -> list[CalibrationSession]:
    rows = CalibrationSession.objects.select_related("call__queue", "scorecard_version__scorecard")
    if not user.has_perm(MANAGE):
        rows = rows.filter(evaluations__evaluator_id=user.pk)
    return list(rows.annotate(n=Count("evaluations", distinct=True)).order_by("-id")[:100])


def calibration_get_for_user(*, user: AbstractBaseUser, calibration_id: int) -> CalibrationSession:
    session = (
        CalibrationSession.objects.select_related(
            "call__queue", "call__agent", "scorecard_version__scorecard"
        )
        .filter(pk=calibration_id)
        .first()
    )
    if session is None:
        raise NotFoundError(_("There is no such calibration session."))
    if not user.has_perm(MANAGE) and not session.evaluations.filter(evaluator_id=user.pk).exists():
        raise ForbiddenError(_("You are not part of this calibration session."))
    return session


@dataclass
class CriterionSpread:
    criterion: Criterion
    values: dict[int, float | None]  # evaluation id → percent of the question's points (None: N/A)
    cells: list[float | None]  # the same, in the order of CalibrationResults.submitted
    spread: float | None  # max - min of the percents, in points; None with fewer than two answers
    stdev: float | None


@dataclass
class CalibrationResults:
    evaluations: list[Evaluation]
    submitted: list[Evaluation]
    visible: bool  # False: the user has not submitted theirs yet (blind until then)
    scores: dict[int, float | None]
    score_spread: float | None
    criteria: list[CriterionSpread]


def calibration_results(*, user: AbstractBaseUser, session: CalibrationSession) -> CalibrationResults:
    """Each participant's score and, per question, every submitted answer as a percent of its points
    with the spread (max - min) and standard deviation. Blind: a participant sees the others only once
    they have submitted their own; QA leads always see them."""
    evaluations = list(
        session.evaluations.select_related("evaluator").prefetch_related("answers").order_by("evaluator_id")
    )
    submitted = [e for e in evaluations if e.status in FINAL_STATUSES]
    own = next((e for e in evaluations if e.evaluator_id == user.pk), None)
    visible = user.has_perm(MANAGE) or (own is not None and own.status in FINAL_STATUSES)
    sections = version_sections(session.scorecard_version)
    spreads = []
    for section in sections:
        for criterion in section.criteria.all():
            values: dict[int, float | None] = {}
            for evaluation in submitted:
                answer = next((a for a in evaluation.answers.all() if a.criterion_id == criterion.pk), None)
                if answer is None or answer.na or answer.value is None:
                    values[evaluation.pk] = None
                else:
                    values[evaluation.pk] = round(100.0 * answer.value / criterion.max_points, 1)
            numbers = [v for v in values.values() if v is not None]
            spreads.append(
                CriterionSpread(
                    criterion=criterion,
                    values=values,
                    cells=[values[e.pk] for e in submitted],
                    spread=round(max(numbers) - min(numbers), 1) if len(numbers) > 1 else None,
                    stdev=round(statistics.pstdev(numbers), 1) if len(numbers) > 1 else None,
                )
            )
    scores = {e.pk: e.score for e in submitted}
    numbers = [s for s in scores.values() if s is not None]
    return CalibrationResults(
        evaluations=evaluations,
        submitted=submitted,
        visible=visible,
        scores=scores,
        score_spread=round(max(numbers) - min(numbers), 2) if len(numbers) > 1 else None,
        criteria=spreads,
    )


# --- coaching --------------------------------------------------------------------------------------
def coaching_for_coach(user: AbstractBaseUser) -> list[CoachingSession]:
    """The coach's sessions: open ones by follow-up date (due first), then recently completed."""
    rows = CoachingSession.objects.filter(coach_id=user.pk).select_related("agent", "evaluation")
    open_rows = list(
        rows.filter(status=CoachingStatus.OPEN).order_by(F("follow_up_on").asc(nulls_last=True), "id")[:200]
    )
    done = list(rows.filter(status=CoachingStatus.COMPLETED).order_by("-completed_at", "-id")[:20])
    return open_rows + done


def coaching_for_agent(user: AbstractBaseUser) -> list[CoachingSession]:
    return list(
        CoachingSession.objects.filter(agent_id=user.pk)
        .select_related("coach", "evaluation")
        .order_by("-id")[:100]
    )


def coaching_get_for_user(*, user: AbstractBaseUser, session_id: int) -> CoachingSession:
    session = (
        CoachingSession.objects.select_related("agent", "coach", "evaluation").filter(pk=session_id).first()
    )
    if session is None:
        raise NotFoundError(_("There is no such coaching session."))
    allowed = (
        session.agent_id == user.pk
        or session.coach_id == user.pk
        or user.has_perm(MANAGE)
        or (user.has_perm(COACH) and supervises(supervisor=user, agent_id=session.agent_id))
    )
    if not allowed:
        raise ForbiddenError(_("This coaching session is not yours to see."))
    return session


def team_agents(user: AbstractBaseUser) -> QuerySet:
    """The agents a supervisor coaches (members of the teams they supervise)."""
    return User.objects.filter(pk__in=supervised_agent_ids(user), is_active=True).order_by(
        "first_name", "username"
    )


def team_evaluations(user: AbstractBaseUser, limit: int = 50) -> list[Evaluation]:
    """Recent submitted evaluations of the supervisor's team members."""
    rows = Evaluation.objects.filter(
        calibration__isnull=True, status__in=FINAL_STATUSES, agent_id__in=supervised_agent_ids(user)
    )
    return list(_list_rows(rows).order_by("-submitted_at", "-id")[:limit])


# --- KPI -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationScore:
    """One submitted evaluation's score, placed where the KPI rollups need it."""

    evaluation_id: int
    call_id: int  # telephony Call primary key
    score: float  # percent, 0-100
    agent_id: int | None  # the user the call was answered by (None: an agent code without a user)
    agent_code: str
    queue_id: int | None
    queue: str  # queue name; "" when the call had none
    team_ids: tuple[int, ...]  # the teams the agent belongs to now (may be several, or none)
    at: datetime  # when the call was queued (else answered, offered, first seen), aware UTC
    day: date  # `at` in the call center's zone (settings.TIME_ZONE)
    submitted_at: datetime


def evaluation_score_totals(*, call_ids: Collection[int] | QuerySet) -> dict[int, tuple[float, int]]:
    """Per Call pk: (sum of scores in percent, number) of its submitted regular evaluations — the
    same evaluations as `evaluation_scores`. `call_ids` is a list or a queryset of Call pks (used as
    a subquery). One query."""
    rows = (
        Evaluation.objects.filter(
            calibration__isnull=True, status__in=FINAL_STATUSES, score__isnull=False, call_id__in=call_ids
        )
        .values("call_id")
        .annotate(total=Sum("score"), n=Count("id"))
    )
    return {row["call_id"]: (float(row["total"]), row["n"]) for row in rows}


def evaluation_scores(*, start: datetime, end: datetime) -> list[EvaluationScore]:
    """Scores of the submitted regular evaluations (not drafts, not calibration, not cancelled;
    disputed ones with their current score) whose call belongs to [start, end): a call belongs to
    the instant it was queued, as for the other KPIs (answered, offered or first seen when it was
    never queued). `start` and `end` are aware datetimes. Two queries; ordered by `at`, id."""
    at = Coalesce("call__queued_at", "call__answered_at", "call__offered_at", "call__first_event_at")
    rows = list(
        Evaluation.objects.filter(calibration__isnull=True, status__in=FINAL_STATUSES, score__isnull=False)
        .annotate(at=at)
        .filter(at__gte=start, at__lt=end)
        .order_by("at", "id")
        .values(
            "id",
            "call_id",
            "score",
            "call__agent_id",
            "call__agent_code",
            "call__queue_id",
            "call__queue__name",
            "at",
            "submitted_at",
        )
    )
    agent_ids = {row["call__agent_id"] for row in rows if row["call__agent_id"]}
    teams: dict[int, list[int]] = {}
    for user_id, team_id in Team.members.through.objects.filter(user_id__in=agent_ids).values_list(
        "user_id", "team_id"
    ):
        teams.setdefault(user_id, []).append(team_id)
    return [
        EvaluationScore(
            evaluation_id=row["id"],
            call_id=row["call_id"],
            score=row["score"],
            agent_id=row["call__agent_id"],
            agent_code=row["call__agent_code"],
            queue_id=row["call__queue_id"],
            queue=row["call__queue__name"] or "",
            team_ids=tuple(sorted(teams.get(row["call__agent_id"], ()))),
            at=row["at"],
            day=to_local(row["at"]).date(),
            submitted_at=row["submitted_at"],
        )
        for row in rows
    ]
