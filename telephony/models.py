"""Telephony tables: feed sources, queues, raw call events, derived calls and queue visits, quarantine,
IVR flows and their versions, and the history of configuration changes."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_feed_secret() -> str:
    """A random secret that never starts with "-": command lines (`--token SECRET`) would read one
    that does as an option."""
    while (secret := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return secret


class FeedSource(models.Model):
    """A PBX or simulator allowed to send events; authenticates with its secret (token or HMAC)."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    secret = models.CharField(_("secret"), max_length=128, default=new_feed_secret, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Queue(models.Model):
    """An ACD queue; created on first sight in the feed, then tuned by admins.

    Routing: a free agent takes the waiting call of their highest-`priority` queue first (oldest
    call first within it); a call that has waited `max_wait_s` leaves the queue (`call.timeout`)
    for the `overflow_queue`, or is ended with a message when there is none.
    """

    name = models.SlugField(_("name"), max_length=64, unique=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    sl_target_percent = models.PositiveSmallIntegerField(_("service level target %"), default=80)
    sl_threshold_s = models.PositiveIntegerField(_("service level threshold (s)"), default=20)
    max_wait_s = models.PositiveIntegerField(
        _("maximum wait (s)"),
        null=True,
        blank=True,
        help_text=_("After this long in the queue a call overflows; empty means no limit."),
    )
    overflow_queue = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="overflow_from",
        verbose_name=_("overflow queue"),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=5,
        help_text=_("1 (lowest) to 9 (highest): agents in several queues take the highest first."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sl_target_percent__lte=100), name="queue_sl_target_le_100"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=9), name="queue_priority_1_to_9"
            ),
            models.CheckConstraint(
                condition=~models.Q(overflow_queue=models.F("id")), name="queue_overflow_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.name


class CallEvent(models.Model):
    """One event exactly as the feed sent it (validated); the source of truth for every summary."""

    # No index of its own: the unique (source, event_id) index serves lookups by source. No
    # database constraint on the feed-path foreign keys to sources, queues and calls: PostgreSQL
    # checks each at commit, a lookup per row that cost the queue_log import an eighth of its time;
    # the rows they point at are made before the rows that point (feed_source_ensure,
    # queues_ensure, the call before its visits) and never deleted under them (PROTECT and CASCADE
    # are the ORM's, which every delete here goes through).
    source = models.ForeignKey(
        FeedSource, on_delete=models.PROTECT, related_name="events", db_index=False, db_constraint=False
    )
    event_id = models.CharField(max_length=128)
    ts = models.DateTimeField()
    type = models.CharField(max_length=32)
    call_id = models.CharField(max_length=128, blank=True)
    queue = models.CharField(max_length=64, blank=True)
    agent = models.CharField(max_length=128, blank=True)
    caller = models.CharField(max_length=64, blank=True)
    callee = models.CharField(max_length=64, blank=True)
    direction = models.CharField(max_length=8, blank=True)
    data = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="callevent_unique_per_source"),
        ]
        indexes = [
            models.Index(fields=["source", "call_id", "ts"], name="callevent_call_idx"),
            # Presence follows an agent code across feeds, so this one leads with the agent. Only
            # events naming an agent: a third of a feed's do not, and the readers ask for agents.
            models.Index(fields=["agent", "ts"], name="callevent_agent_ts_idx", condition=~Q(agent="")),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.event_id} {self.type}"


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    ABANDONED = "abandoned", _("Abandoned")
    TIMED_OUT = "timed_out", _("Timed out")
    TRANSFERRED = "transferred", _("Transferred")


class Call(models.Model):
    """The summary of one call, derived from all its events in time order (never edited by hand)."""

    # Indexes every insert must maintain are few on purpose: the unique (source, call_id) serves the
    # source, call_agent_idx the agent.
    # No database constraints on source and queue: see CallEvent.source.
    source = models.ForeignKey(
        FeedSource, on_delete=models.PROTECT, related_name="calls", db_index=False, db_constraint=False
    )
    call_id = models.CharField(max_length=128)
    direction = models.CharField(max_length=8, default="inbound")
    caller = models.CharField(max_length=64, blank=True)
    callee = models.CharField(max_length=64, blank=True)
    # No index on queue: nothing reads calls by queue (queue figures come from the visits).
    queue = models.ForeignKey(
        Queue,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
        db_constraint=False,
        db_index=False,
    )
    agent_code = models.CharField(max_length=128, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        db_index=False,
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    wrapup_ended_at = models.DateTimeField(null=True, blank=True)
    wait_s = models.FloatField(null=True, blank=True)
    talk_s = models.FloatField(null=True, blank=True)
    hold_s = models.FloatField(null=True, blank=True)
    acw_s = models.FloatField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    ended_by = models.CharField(max_length=8, blank=True)
    transfers = models.PositiveSmallIntegerField(default=0)
    ivr_path = models.JSONField(default=list, blank=True)
    recording_url = models.CharField(max_length=500, blank=True)
    recording_duration_s = models.FloatField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    first_event_at = models.DateTimeField()
    last_event_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "call_id"], name="call_unique_per_source"),
        ]
        indexes = [
            models.Index(fields=["queued_at"], name="call_queued_idx"),
            models.Index(fields=["agent", "answered_at"], name="call_agent_idx"),
            models.Index(fields=["caller"], name="call_caller_idx"),
            models.Index(fields=["call_id"], name="call_call_id_idx"),
            models.Index(fields=["callee"], name="call_callee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.outcome or 'in progress'}"


class QueueVisit(models.Model):
    """One stay of a call in one queue; KPIs count visits (a transferred call is offered in each queue)."""

    # Served by the unique (call, seq) and by visit_queue_idx: no single-column indexes to maintain.
    # No database constraints on call and queue: see CallEvent.source.
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="visits", db_index=False, db_constraint=False
    )
    seq = models.PositiveSmallIntegerField()
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, related_name="visits", db_index=False, db_constraint=False
    )
    queued_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    agent_code = models.CharField(max_length=128, blank=True)
    wait_s = models.FloatField(null=True, blank=True)
    talk_s = models.FloatField(null=True, blank=True)
    hold_s = models.FloatField(null=True, blank=True)
    acw_s = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "seq"], name="visit_unique_seq")]
        indexes = [models.Index(fields=["queue", "queued_at"], name="visit_queue_idx")]

    def __str__(self) -> str:
        return f"{self.call_id}#{self.seq} {self.queue_id} {self.outcome}"


class QuarantinedEvent(models.Model):
    """An event or line that failed validation, kept whole with the reason so nothing is lost.

    Build rows with `QuarantinedEvent.of(...)`: it makes NUL characters visible as `\\x00`, which
    PostgreSQL text cannot hold (a hostile line must not fail the batch that quarantines it).
    """

    source_name = models.CharField(max_length=64, blank=True)
    origin = models.CharField(max_length=16, default="api")  # api | queue_log | simulator
    index = models.PositiveIntegerField(null=True, blank=True)
    raw = models.TextField()
    error = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["received_at"], name="quarantine_received_idx")]

    def __str__(self) -> str:
        return f"{self.origin}:{self.source_name} {self.error[:60]}"

    @classmethod
    def of(
        cls, *, source_name: str, origin: str, index: int | None, raw: str, error: str
    ) -> QuarantinedEvent:
        def visible(text: str) -> str:
            return text.replace("\x00", "\\x00")

        return cls(
            source_name=visible(source_name),
            origin=origin,
            index=index,
            raw=visible(raw),
            error=visible(error),
        )


class AcdAction(models.TextChoices):
    LOGIN = "login", _("Log in")
    LOGOUT = "logout", _("Log out")
    STATE = "state", _("Change state")
    ANSWER = "answer", _("Answer")
    HOLD = "hold", _("Hold")
    UNHOLD = "unhold", _("Resume")
    TRANSFER = "transfer", _("Transfer")
    HANGUP = "hangup", _("Hang up")
    WRAPUP_END = "wrapup_end", _("End wrap-up")
    DIAL = "dial", _("Dial out")


class AcdCommand(models.Model):
    """An action for the ACD from the agent desktop (answer, hold, pause, dial…).

    The ACD picks its commands up (`GET /api/telephony/commands`) and reports what happened as feed
    events, exactly as a real PBX does after an AMI action: the desktop never changes presence itself.
    """

    source = models.ForeignKey(FeedSource, on_delete=models.CASCADE, related_name="commands")
    agent_code = models.CharField(max_length=128)
    action = models.CharField(max_length=12, choices=AcdAction.choices)
    call_id = models.CharField(max_length=128, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["source", "taken_at", "id"], name="acd_command_pending_idx")]

    def __str__(self) -> str:
        return f"{self.agent_code} {self.action} {self.call_id}"


class IvrFlow(models.Model):
    """An IVR call flow; what callers hear is its published version, edited through a draft version.

    The default flow is the one calls start in when their number names no other (and the one the
    simulated ACD walks).
    """

    # 30 characters: Asterisk context names (ivr-<flow>-<node>) must stay under 80.
    name = models.SlugField(_("name"), max_length=30, unique=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default flow"), default=False)
    published = models.ForeignKey(
        "IvrVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="ivrflow_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.name


class IvrVersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class IvrVersion(models.Model):
    """One version of a flow's node graph (see telephony.ivr.graph for its shape and rules).

    A flow has at most one draft, which is edited in place (`revision` guards against two editors
    overwriting each other); publishing freezes it with the next `number`. Published and retired
    versions never change: a rollback publishes a copy of an old one.
    """

    flow = models.ForeignKey(IvrFlow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(null=True, blank=True)  # set when published
    status = models.CharField(max_length=12, choices=IvrVersionStatus.choices, default=IvrVersionStatus.DRAFT)
    graph = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=1)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["flow", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "number"], name="ivrversion_unique_number"),
            models.UniqueConstraint(
                fields=["flow"], condition=models.Q(status="draft"), name="ivrversion_one_draft"
            ),
            models.UniqueConstraint(
                fields=["flow"], condition=models.Q(status="published"), name="ivrversion_one_published"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.flow_id} v{self.number or 'draft'}"


class ConfigChange(models.Model):
    """Who changed which queue or IVR flow, when, and how ({field: [before, after]}): the history shown
    next to each object (and the start of the audit log)."""

    object_type = models.CharField(max_length=32)  # queue | ivr_flow
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
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="configchange_object_idx")]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.action}"
