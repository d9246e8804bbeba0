"""Agent profiles (who is who at the PBX), teams, skills, the presence log (state segments with start and
end), and workforce management: shift templates, scheduled shifts, time off and their change history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AgentProfile(models.Model):
    """Links a user to the agent code the PBX uses for them (by default their username)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    code = models.CharField(_("agent code at the PBX"), max_length=128, unique=True)
    max_week_minutes = models.PositiveIntegerField(_("maximum scheduled minutes a week"), default=40 * 60)

    def __str__(self) -> str:
        return self.code


class Team(models.Model):
    """A group of agents led by a supervisor; tickets are routed to teams and escalate to the lead."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
        verbose_name=_("supervisor"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentState(models.TextChoices):
    LOGGED_OUT = "logged_out", _("Logged out")
    AVAILABLE = "available", _("Available")
    RINGING = "ringing", _("Ringing")
    ON_CALL = "on_call", _("On call")
    WRAP_UP = "wrap_up", _("Wrap-up")
    NOT_READY = "not_ready", _("Not ready")
    BREAK = "break", _("Break")


class PresenceSegment(models.Model):
    """One stretch of one agent in one state; the open segment (no end) is the current state."""

    agent_code = models.CharField(max_length=128)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="presence"
    )
    state = models.CharField(max_length=16, choices=AgentState.choices)
    reason = models.CharField(max_length=64, blank=True)
    call_id = models.CharField(max_length=128, blank=True)
    queue = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # A state the agent asked for while busy on a call (e.g. a pause); it starts when the call is done.
    pending_state = models.CharField(max_length=16, choices=AgentState.choices, blank=True)
    pending_reason = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agent_code", "started_at"], name="presence_agent_idx"),
            # Finds open segments and the segment covering an instant without scanning history.
            models.Index(fields=["agent_code", "ended_at"], name="presence_agent_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="presence_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_code} {self.state} {self.started_at:%H:%M:%S}"


class PresenceCursor(models.Model):
    """The newest feed instant applied to an agent's presence: later events apply incrementally,
    earlier ones (late arrivals) make the presence be rebuilt from their instant."""

    agent_code = models.CharField(max_length=128, unique=True)
    last_event_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.agent_code} @ {self.last_event_at:%Y-%m-%d %H:%M:%S}"


class Skill(models.Model):
    """What an agent can do; the calls of the skill's queues go to agents who have it.

    Levels (1 to 5) say how good an agent is at it: routing prefers the highest level among the
    free agents, then the one idle longest.
    """

    name = models.SlugField(_("name"), max_length=64, unique=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    queues = models.ManyToManyField(
        "telephony.Queue", blank=True, related_name="skills", verbose_name=_("queues")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name or self.name


SKILL_LEVELS = [(n, str(n)) for n in range(1, 6)]


class AgentSkill(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agents")
    level = models.PositiveSmallIntegerField(_("level"), choices=SKILL_LEVELS, default=3)

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="agentskill_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="agentskill_level_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.skill_id}:{self.level}"


class ActivityKind(models.TextChoices):
    WORK = "work", _("On the phones")
    BREAK = "break", _("Break")
    LUNCH = "lunch", _("Lunch")


class ShiftTemplate(models.Model):
    """A shift pattern: starts at `start_time` (the center's local time), lasts `length_minutes`, with
    breaks at offsets from the start: [{"kind": "break"|"lunch", "offset_minutes": n, "minutes": n}]."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    start_time = models.TimeField(_("starts at"))
    length_minutes = models.PositiveIntegerField(_("length (minutes)"))
    breaks = models.JSONField(_("breaks"), default=list, blank=True)
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)  # 0 = Monday; empty = every day
    color = models.CharField(_("colour"), max_length=7, default="#1f5fbf")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["start_time", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(length_minutes__gte=15, length_minutes__lte=16 * 60),
                name="shifttemplate_length_15m_16h",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScheduledShift(models.Model):
    """One agent's shift on one day, with its breaks (offsets from the start, copied from the template
    so later template edits never move a published shift)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts")
    day = models.DateField(_("day"))  # the local date the shift starts on
    template = models.ForeignKey(
        ShiftTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="shifts"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    breaks = models.JSONField(default=list, blank=True)
    generated = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["agent", "starts_at"], name="shift_agent_start_idx"),
            models.Index(fields=["starts_at", "ends_at"], name="shift_window_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.starts_at:%Y-%m-%d %H:%M}"


class TimeOffKind(models.TextChoices):
    VACATION = "vacation", _("Vacation")
    SICK = "sick", _("Sick leave")
    PERSONAL = "personal", _("Personal")
    TRAINING = "training", _("Training")


class TimeOffStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class TimeOffRequest(models.Model):
    """An agent's request to be off from `starts_at` to `ends_at`; a supervisor approves or rejects it."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off")
    kind = models.CharField(
        _("kind"), max_length=12, choices=TimeOffKind.choices, default=TimeOffKind.VACATION
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=TimeOffStatus.choices, default=TimeOffStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("reply"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        permissions = [
            ("plan_workforce", _("Can plan forecasts, staffing and schedules")),
            ("approve_time_off", _("Can approve or reject time-off requests")),
            ("view_adherence", _("Can watch schedule adherence")),
        ]
        indexes = [models.Index(fields=["agent", "starts_at"], name="timeoff_agent_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="timeoff_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.kind} {self.starts_at:%Y-%m-%d}"


class PlanChange(models.Model):
    """Who changed which skill, team, shift template, shift or time-off request, when, and how
    ({field: [before, after]}): the history shown next to each object (and the start of the audit log)."""

    object_type = models.CharField(
        max_length=32
    )  # skill | agent_skills | team | shift_template | shift | time_off
    object_id = models.PositiveBigIntegerField()
    object_label = models.CharField(max_length=200)
    action = models.CharField(max_length=32)
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="planchange_object_idx")]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.action}"
