"""Agent profiles (who is who at the PBX) and the presence log (state segments with start and end)."""

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
