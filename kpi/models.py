"""KPI tables: interval and daily rollups (queue visits, agent presence), their bookkeeping,
per-queue wallboard colour thresholds, and the daily e-mail report."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Grain(models.TextChoices):
    INTERVAL = "interval", _("15 minutes")
    DAY = "day", _("Day")
    # The same sums per queue over all agents: queue, day and total figures read a few rows.
    QUEUE_INTERVAL = "q_interval", _("15 minutes, whole queue")
    QUEUE_DAY = "q_day", _("Day, whole queue")


AGENT_GRAINS = {"interval": Grain.INTERVAL, "day": Grain.DAY}
QUEUE_GRAINS = {"interval": Grain.QUEUE_INTERVAL, "day": Grain.QUEUE_DAY}


class VisitRollup(models.Model):
    """Sums over the queue visits queued in one period, for one queue and one agent.

    `period_start` is the UTC instant the 15-minute interval starts, or the call center's local
    midnight for a day row. In the `interval` and `day` grains a row is one queue and one agent
    (`agent_code` "" for visits no agent answered: abandons, timeouts); the `q_interval` and
    `q_day` grains hold the same sums per queue over every agent, so queue, day and total figures
    read a few rows. Every column adds up, so any grouping is a sum of rows (`kpi.totals.Totals`).
    """

    grain = models.CharField(max_length=10, choices=Grain.choices)
    period_start = models.DateTimeField()
    queue = models.CharField(max_length=64, blank=True)
    agent_code = models.CharField(max_length=128, blank=True)
    offered = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    abandoned = models.PositiveIntegerField(default=0)
    timed_out = models.PositiveIntegerField(default=0)
    transferred = models.PositiveIntegerField(default=0)
    departed = models.PositiveIntegerField(default=0)  # left the queue: answered, abandoned, timed out
    handled = models.PositiveIntegerField(default=0)
    # Answered within the default T and abandoned under the default S (kpi.definitions), so reports
    # with the default thresholds read plain columns; the histograms serve any other threshold.
    answered_within_default = models.PositiveIntegerField(default=0)
    short_abandoned_default = models.PositiveIntegerField(default=0)
    answered_wait_sum_s = models.FloatField(default=0)
    wait_sum_s = models.FloatField(default=0)
    wait_max_s = models.FloatField(null=True, blank=True)
    talk_sum_s = models.FloatField(default=0)
    hold_sum_s = models.FloatField(default=0)
    acw_sum_s = models.FloatField(default=0)
    # {"<ceil(wait) s>": visits} of answered visits and {"<floor(wait) s>": visits} of abandoned
    # ones: any whole-second service-level or short-abandon threshold applies to stored rows.
    answered_hist = models.JSONField(default=dict, blank=True)
    abandoned_hist = models.JSONField(default=dict, blank=True)
    csat_answers = models.PositiveIntegerField(default=0)
    csat_satisfied = models.PositiveIntegerField(default=0)
    nps_answers = models.PositiveIntegerField(default=0)
    nps_promoters = models.PositiveIntegerField(default=0)
    nps_detractors = models.PositiveIntegerField(default=0)
    fcr_first = models.PositiveIntegerField(default=0)
    fcr_resolved = models.PositiveIntegerField(default=0)
    qa_sum = models.FloatField(default=0)
    qa_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        # On PostgreSQL the day rows here and in PresenceRollup also have covering indexes
        # (migration 0003, raw SQL: SQLite has no INCLUDE), so that reports over many days do not
        # read the wide rows themselves; a test checks they carry every column the sums read.
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "period_start", "queue", "agent_code"], name="visit_rollup_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.period_start:%Y-%m-%d %H:%M} {self.queue}/{self.agent_code}"


class PresenceRollup(models.Model):
    """Seconds one agent spent in each presence state within one period (occupancy, logged-in time)."""

    grain = models.CharField(max_length=10, choices=Grain.choices)
    period_start = models.DateTimeField()
    agent_code = models.CharField(max_length=128)
    available_s = models.FloatField(default=0)
    ringing_s = models.FloatField(default=0)
    on_call_s = models.FloatField(default=0)
    wrap_up_s = models.FloatField(default=0)
    not_ready_s = models.FloatField(default=0)
    break_s = models.FloatField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "period_start", "agent_code"], name="presence_rollup_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.period_start:%Y-%m-%d %H:%M} {self.agent_code}"


class RollupInterval(models.Model):
    """Whether one 15-minute interval's rollup rows are current.

    Late data bumps `generation`; a rollup run records the generation it read before computing
    in `computed_generation`. Rows are current when the two are equal; otherwise reports compute
    the interval from the raw visits instead and the next run recomputes it.
    """

    start = models.DateTimeField(unique=True)
    generation = models.PositiveIntegerField(default=1)
    computed_generation = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["computed_generation", "start"], name="rollup_interval_state_idx")]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} gen {self.generation}/{self.computed_generation}"

    @property
    def current(self) -> bool:
        return self.computed_generation == self.generation


class RollupDay(models.Model):
    """A local day whose day rows have been summed from its intervals (kept in step after that)."""

    day = models.DateField(unique=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class QueueThresholds(models.Model):
    """Wallboard colours of one queue (green / amber / red) and its long-wait alert.

    A queue without a row uses `DEFAULTS` (the service-level green mark is then the queue's own
    service-level target).
    """

    queue = models.OneToOneField(
        "telephony.Queue", on_delete=models.CASCADE, related_name="kpi_thresholds", verbose_name=_("queue")
    )
    sl_green_percent = models.PositiveSmallIntegerField(_("service level green from %"), default=80)
    sl_amber_percent = models.PositiveSmallIntegerField(_("service level amber from %"), default=70)
    abandon_amber_percent = models.PositiveSmallIntegerField(_("abandon rate amber from %"), default=5)
    abandon_red_percent = models.PositiveSmallIntegerField(_("abandon rate red from %"), default=10)
    waiting_amber = models.PositiveIntegerField(_("calls waiting amber from"), default=3)
    waiting_red = models.PositiveIntegerField(_("calls waiting red from"), default=6)
    wait_amber_s = models.PositiveIntegerField(_("longest wait amber from (s)"), default=30)
    wait_red_s = models.PositiveIntegerField(_("longest wait red from (s)"), default=60)
    asa_amber_s = models.PositiveIntegerField(_("ASA amber from (s)"), default=20)
    asa_red_s = models.PositiveIntegerField(_("ASA red from (s)"), default=40)
    long_wait_alert_s = models.PositiveIntegerField(
        _("alert supervisors when a caller waits (s)"), default=120, help_text=_("0 turns the alert off.")
    )

    class Meta:
        verbose_name = _("queue wallboard thresholds")
        verbose_name_plural = _("queue wallboard thresholds")
        ordering = ["queue__name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sl_green_percent__lte=100)
                & models.Q(sl_amber_percent__lte=models.F("sl_green_percent")),
                name="thresholds_sl_order",
            ),
            models.CheckConstraint(
                condition=models.Q(abandon_amber_percent__lte=models.F("abandon_red_percent"))
                & models.Q(waiting_amber__lte=models.F("waiting_red"))
                & models.Q(wait_amber_s__lte=models.F("wait_red_s"))
                & models.Q(asa_amber_s__lte=models.F("asa_red_s")),
                name="thresholds_amber_before_red",
            ),
        ]

    def __str__(self) -> str:
        return str(self.queue)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.sl_green_percent > 100:
            errors["sl_green_percent"] = _("A percentage is at most 100.")
        if self.sl_amber_percent > self.sl_green_percent:
            errors["sl_amber_percent"] = _("Amber must start at or below green.")
        for amber, red in (
            ("abandon_amber_percent", "abandon_red_percent"),
            ("waiting_amber", "waiting_red"),
            ("wait_amber_s", "wait_red_s"),
            ("asa_amber_s", "asa_red_s"),
        ):
            if getattr(self, amber) > getattr(self, red):
                errors[amber] = _("Amber must start at or below red.")
        if errors:
            raise ValidationError(errors)


class ReportSubscription(models.Model):
    """A manager who gets the daily KPI report by e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kpi_subscription"
    )
    daily_email = models.BooleanField(_("e-mail me the daily report"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} daily={self.daily_email}"


class DailyReportRun(models.Model):
    """The daily report of one local day, claimed once so two workers never send it twice."""

    day = models.DateField(unique=True)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} sent to {self.recipients}"
