"""Tables of the shell: role permissions, user preferences, heartbeats of background parts, and the
audit records of data-care actions (retention purges, erasures) that no app keeps itself."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessPolicy(models.Model):  # noqa: DJ008 - never instantiated: it has no table and no rows
    """Carries the page-level permissions that the role groups hold; it has no rows."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("use_agent_desktop", _("Can use the agent desktop")),
            ("view_wallboard", _("Can watch live wallboards")),
            ("view_reports", _("Can read KPI reports")),
            ("use_qa", _("Can evaluate recorded calls")),
            ("use_admin_console", _("Can configure the call center")),
            ("view_audit_log", _("Can read the audit log")),
        ]


class UserPreference(models.Model):
    class Calendar(models.TextChoices):
        GREGORIAN = "gregorian", _("Gregorian")
        JALALI = "jalali", _("Persian (Jalali)")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    calendar = models.CharField(
        _("calendar"), max_length=16, choices=Calendar.choices, default=Calendar.GREGORIAN
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.language}, {self.calendar})"


class Heartbeat(models.Model):
    """Last sign of life of a background component (Celery worker, beat, simulator)."""

    component = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.component}@{self.hostname} {self.last_seen:%Y-%m-%d %H:%M:%S}"


class AuditRecord(models.Model):
    """An entry of the audit log that no app keeps itself: a retention purge, a customer's erasure,
    a scorecard change.

    The apps keep their own change records (TicketEvent, CustomerEvent, EvaluationEvent, ConfigChange,
    PlanChange); callcenter.audit reads them together with these. `changes` never holds the personal
    data that was erased: only field names, counts and ids.
    """

    object_type = models.CharField(max_length=32)  # customer | retention | scorecard
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
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
        indexes = [models.Index(fields=["at"], name="auditrecord_at_idx")]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.action}"
