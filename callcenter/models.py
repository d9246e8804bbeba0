"""Tables of the shell: role permissions, user preferences, and heartbeats of background parts."""

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
