"""QA tables: versioned scorecards, evaluations of recorded calls (answers, comments, timeline),
disputes, calibration sessions, coaching sessions and the sampling policy."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


def new_key() -> str:
    return uuid.uuid4().hex


class QaPolicy(models.Model):  # noqa: DJ008 - never instantiated: it has no table and no rows
    """Carries the QA permissions that the role groups (and the QA lead group) hold; it has no rows."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("evaluate_calls", _("Can score recorded calls and work the QA queue")),
            ("manage_qa", _("Can lead QA: scorecards, disputes, calibration, assignments, sampling")),
            ("coach_agents", _("Can see their teams' evaluations and coach those agents")),
            ("view_own_evaluations", _("Can see, acknowledge and dispute their own evaluations")),
        ]


# --- scorecards ------------------------------------------------------------------------------------
class Scorecard(models.Model):
    """A named form for scoring calls. Its questions live in versions; `current_version` is the one
    new evaluations use. Name, description, queues and `active` are not versioned."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    queues = models.ManyToManyField(
        "telephony.Queue",
        blank=True,
        related_name="+",
        verbose_name=_("queues"),
        help_text=_("Calls of these queues are scored with it by default; none: every queue."),
    )
    active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "ScorecardVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScorecardVersion(models.Model):
    """The questions of a scorecard at one point in time; never changed once an evaluation uses it."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    pass_percent = models.PositiveSmallIntegerField(_("pass mark %"), default=80)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scorecard_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "number"], name="qa_version_unique_number"),
            models.CheckConstraint(condition=Q(pass_percent__lte=100), name="qa_version_pass_le_100"),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard} v{self.number}"


class ScorecardSection(models.Model):
    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=120)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class CriterionKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no")
    SCALE = "scale", _("Scale 0-N")


class Criterion(models.Model):
    """One question. Yes/no is worth 0 or 1, a scale 0…scale_max; `weight` multiplies it. An auto-fail
    question answered "no" zeroes the whole evaluation. `key` stays the same across versions."""

    section = models.ForeignKey(ScorecardSection, on_delete=models.CASCADE, related_name="criteria")
    key = models.CharField(max_length=32, default=new_key)
    order = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("question"), max_length=200)
    guidance = models.TextField(_("guidance"), blank=True)
    kind = models.CharField(
        _("answer"), max_length=8, choices=CriterionKind.choices, default=CriterionKind.YES_NO
    )
    scale_max = models.PositiveSmallIntegerField(_("scale maximum"), default=1)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    allow_na = models.BooleanField(_("N/A allowed"), default=False)
    required = models.BooleanField(_("required"), default=True)
    auto_fail = models.BooleanField(_("auto-fail"), default=False)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1), name="qa_criterion_weight_positive"),
            models.CheckConstraint(condition=Q(scale_max__gte=1), name="qa_criterion_scale_positive"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def max_points(self) -> int:
        return 1 if self.kind == CriterionKind.YES_NO else self.scale_max


# --- calibration -----------------------------------------------------------------------------------
class CalibrationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CalibrationSession(models.Model):
    """Several evaluators score the same call blind; the results compare their scores per question."""

    title = models.CharField(_("title"), max_length=120)
    call = models.ForeignKey("telephony.Call", on_delete=models.PROTECT, related_name="+")
    scorecard_version = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=CalibrationStatus.choices, default=CalibrationStatus.OPEN)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


# --- evaluations -----------------------------------------------------------------------------------
class Origin(models.TextChoices):
    SAMPLED = "sampled", _("Sampled")
    MANUAL = "manual", _("Picked by QA")
    CALIBRATION = "calibration", _("Calibration")


class SampleReason(models.TextChoices):
    RANDOM = "random", _("Random sample")
    LOW_CSAT = "low_csat", _("Low CSAT")
    LONG_HOLD = "long_hold", _("Long hold")
    TRANSFER = "transfer", _("Transferred")


class EvaluationStatus(models.TextChoices):
    ASSIGNED = "assigned", _("To do")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DISPUTED = "disputed", _("Disputed")
    RESOLVED = "resolved", _("Dispute resolved")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (EvaluationStatus.ASSIGNED, EvaluationStatus.DRAFT)
# Evaluations the agent sees and whose score counts (KPI qa_score).
FINAL_STATUSES = (
    EvaluationStatus.SUBMITTED,
    EvaluationStatus.ACKNOWLEDGED,
    EvaluationStatus.DISPUTED,
    EvaluationStatus.RESOLVED,
)


class Evaluation(models.Model):
    """One evaluator's scoring of one call. A call has at most one regular evaluation (sampling and
    manual picks share it); calibration sessions add one per participant."""

    call = models.ForeignKey("telephony.Call", on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="qa_evaluations"
    )
    agent_code = models.CharField(max_length=128, blank=True)
    evaluator = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="qa_evaluations_assigned"
    )
    scorecard_version = models.ForeignKey(
        ScorecardVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="evaluations"
    )
    calibration = models.ForeignKey(
        CalibrationSession, null=True, blank=True, on_delete=models.CASCADE, related_name="evaluations"
    )
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.MANUAL)
    reasons = models.JSONField(default=list, blank=True)  # SampleReason values, for sampled ones
    sample_week = models.DateField(null=True, blank=True)  # Monday of the week a random pick counts for
    status = models.CharField(
        max_length=12, choices=EvaluationStatus.choices, default=EvaluationStatus.ASSIGNED
    )
    score = models.FloatField(null=True, blank=True)
    auto_failed = models.BooleanField(default=False)
    auto_fail_reason = models.TextField(blank=True)
    summary = models.TextField(_("overall feedback"), blank=True)
    recording_missing = models.BooleanField(default=False)
    assigned_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call"], condition=Q(calibration__isnull=True), name="qa_one_evaluation_per_call"
            ),
            models.UniqueConstraint(
                fields=["calibration", "evaluator"],
                condition=Q(calibration__isnull=False),
                name="qa_one_calibration_evaluation_each",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="qa_score_is_percent",
            ),
        ]
        indexes = [
            models.Index(fields=["evaluator", "status"], name="qa_eval_evaluator_idx"),
            models.Index(fields=["agent", "status"], name="qa_eval_agent_idx"),
            models.Index(fields=["status", "submitted_at"], name="qa_eval_status_idx"),
            models.Index(fields=["agent_code", "sample_week"], name="qa_eval_sample_idx"),
        ]

    def __str__(self) -> str:
        return f"QA-{self.pk} {self.status}"

    @property
    def number(self) -> str:
        return f"QA-{self.pk}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def passed(self) -> bool | None:
        if self.score is None or self.scorecard_version is None:
            return None
        return self.score >= self.scorecard_version.pass_percent


class EvaluationAnswer(models.Model):
    """The answer to one question: `value` (0/1 for yes/no, 0…N on a scale) or N/A, and a comment."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    na = models.BooleanField(default=False)
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "criterion"], name="qa_answer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id}/{self.criterion_id}={'N/A' if self.na else self.value}"


class EvaluationComment(models.Model):
    """A remark, optionally at a moment of the recording (`at_s`, seconds from its start)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at_s = models.FloatField(null=True, blank=True)
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at_s", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.evaluation_id}@{self.at_s}: {self.body[:40]}"


class EvaluationEvent(models.Model):
    """One step on an evaluation's timeline (assigned, submitted, disputed, rescored…)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=24)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["evaluation", "created_at"], name="qa_event_eval_idx")]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.kind}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    RESCORED = "rescored", _("Rescored")


class Dispute(models.Model):
    """The agent's objection to an evaluation (one per evaluation) and a QA lead's resolution."""

    evaluation = models.OneToOneField(Evaluation, on_delete=models.CASCADE, related_name="dispute")
    raised_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("why the score is wrong"))
    raised_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)
    score_before = models.FloatField(null=True, blank=True)
    score_after = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        indexes = [models.Index(fields=["status", "raised_at"], name="qa_dispute_status_idx")]

    def __str__(self) -> str:
        return f"dispute of {self.evaluation_id} ({self.status})"


# --- coaching --------------------------------------------------------------------------------------
class CoachingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")


class CoachingSession(models.Model):
    """A supervisor's coaching of one agent, often opened from an evaluation, with a follow-up date."""

    agent = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="coaching_received")
    coach = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="coaching_given")
    evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.SET_NULL, related_name="coaching_sessions"
    )
    goals = models.TextField(_("goals"))
    notes = models.TextField(_("notes"), blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=CoachingStatus.choices, default=CoachingStatus.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    agent_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["coach", "status", "follow_up_on"], name="qa_coaching_coach_idx"),
            models.Index(fields=["agent", "-created_at"], name="qa_coaching_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"coaching of {self.agent_id} by {self.coach_id}"


# --- sampling --------------------------------------------------------------------------------------
class SamplingPolicy(models.Model):
    """The rules of the sampling task (one row). Zero switches a rule off."""

    enabled = models.BooleanField(_("sample calls automatically"), default=True)
    random_per_agent_week = models.PositiveSmallIntegerField(_("random calls per agent per week"), default=2)
    csat_at_most = models.PositiveSmallIntegerField(
        _("every call with CSAT at most"), default=2, help_text=_("1-5; 0: off.")
    )
    long_hold_s = models.PositiveIntegerField(
        _("every call on hold at least (s)"), default=120, help_text=_("0: off.")
    )
    transfers = models.BooleanField(_("every transferred call"), default=True)
    lookback_days = models.PositiveSmallIntegerField(_("look back (days)"), default=8)
    settle_minutes = models.PositiveSmallIntegerField(
        _("wait after the call ends (minutes)"),
        default=10,
        help_text=_("Time for the recording and the survey answer to arrive."),
    )
    dispute_days = models.PositiveSmallIntegerField(_("agents may dispute within (days)"), default=14)
    # Caps over every rule: a QA team scores a few calls per agent a week, not every bad one.
    max_per_agent_week = models.PositiveSmallIntegerField(
        _("at most per agent per week"),
        default=5,
        help_text=_(
            "All rules together, spread over the week: by the end of day k at most ⌈cap × k ÷ 7⌉. "
            "Lowest CSAT first, then transfers, long holds, random."
        ),
    )
    max_per_run = models.PositiveIntegerField(
        _("at most per run"), default=500, help_text=_("New evaluations one sampling run may create.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "sampling policy"
        constraints = [
            models.CheckConstraint(condition=Q(csat_at_most__lte=5), name="qa_policy_csat_le_5"),
            models.CheckConstraint(
                condition=Q(max_per_agent_week__gte=1, max_per_run__gte=1), name="qa_policy_caps_positive"
            ),
        ]

    def __str__(self) -> str:
        return "QA sampling policy"
