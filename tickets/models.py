"""CRM and ticketing tables: customers and their contact points, tickets with their timeline,
SLA policies and business hours, callbacks, dispositions, call scripts and agents' call logs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


# --- CRM ------------------------------------------------------------------------------------------
class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    consent_calls = models.BooleanField(_("may be called"), default=True)
    consent_email = models.BooleanField(_("may be e-mailed"), default=True)
    consent_sms = models.BooleanField(_("may receive SMS"), default=False)
    consent_recording = models.BooleanField(_("calls may be recorded"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: an update names the version it read and loses if it changed since.
    version = models.PositiveIntegerField(default=1)
    # Set when the customer's personal data was erased (retention or right to erasure); the row
    # stays so that calls, tickets and KPIs (FCR) keep their customer.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        # Supervisors and admins (tickets.*): a CSV of customers at once (tickets.services.customer_import).
        permissions = [("import_customers", "Can import customers from a CSV file")]
        # Search pages go newest first by id (the primary key index). Trigram indexes for `icontains`
        # search live in migration 0002, the name-prefix one in 0005 (PostgreSQL only).

    def __str__(self) -> str:
        return self.name


class CustomerPhone(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number (E.164)"), max_length=20)
    label = models.CharField(_("label"), max_length=20, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "number"], name="customer_phone_unique"),
        ]
        indexes = [models.Index(fields=["number"], name="customer_phone_number_idx")]

    def __str__(self) -> str:
        return self.number


class CustomerEmail(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("e-mail"))  # stored lower-case by the services
    label = models.CharField(_("label"), max_length=20, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="customer_email_unique"),
        ]
        indexes = [models.Index(fields=["email"], name="customer_email_idx")]

    def __str__(self) -> str:
        return self.email


class CustomerEvent(models.Model):
    """One change to a customer: who, when, what (`changes` maps field → [before, after]).

    Kinds: "created", "updated". The conflict message of a lost update and the audit trail read these.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=32)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="customer_event_idx"),
            # The audit log reads every customer's changes newest first.
            models.Index(fields=["created_at", "id"], name="customer_event_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on customer {self.customer_id}"


# --- Tickets ---------------------------------------------------------------------------------------
class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    WEB = "web", _("Web form")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending on customer")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class BusinessSchedule(models.Model):
    """Opening hours and holidays; SLA clocks only run inside them. The default serves teams without one."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    team = models.OneToOneField(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="business_schedule",
        verbose_name=_("team"),
    )
    is_default = models.BooleanField(_("default schedule"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_schedule"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BusinessHours(models.Model):
    """One opening span on one weekday (0 = Monday), in the schedule's time zone."""

    schedule = models.ForeignKey(BusinessSchedule, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=[(n, n) for n in range(7)])
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = _("business hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="hours_close_after_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Holiday(models.Model):
    schedule = models.ForeignKey(BusinessSchedule, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["schedule", "date"], name="holiday_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SlaPolicy(models.Model):
    """Targets for tickets of a priority (and optionally a category); the most specific match wins."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("category")
    )
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))
    escalate_raise_priority = models.BooleanField(_("on breach, raise the priority"), default=True)
    escalate_to_supervisor = models.BooleanField(
        _("on breach, reassign to the team's supervisor"), default=False
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "category"], condition=models.Q(active=True), name="one_active_policy"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.PHONE)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("category")
    )
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    watchers = models.ManyToManyField(
        USER, blank=True, related_name="watched_tickets", verbose_name=_("watchers")
    )
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # SLA clock: due and 80 % warning instants in wall time, recomputed on pause/resume and policy change.
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sla_started_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_paused_business_s = models.PositiveIntegerField(default=0)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    # Each alert is raised once: the scan sets these with a conditional UPDATE.
    first_response_warned_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("view_all_tickets", "Can see and work tickets of every team")]
        indexes = [
            models.Index(fields=["status", "-id"], name="ticket_status_idx"),
            # Rare filter combinations (pending + urgent) would otherwise walk the id index backwards.
            models.Index(fields=["status", "priority", "-id"], name="ticket_status_priority_idx"),
            models.Index(fields=["assignee", "status", "-id"], name="ticket_assignee_idx"),
            models.Index(fields=["team", "status", "-id"], name="ticket_team_idx"),
            models.Index(fields=["customer", "-id"], name="ticket_customer_idx"),
            models.Index(fields=["resolution_due_at"], name="ticket_resolution_due_idx"),
            models.Index(fields=["first_response_due_at"], name="ticket_first_response_due_idx"),
            # The SLA scan reads only running clocks not yet marked: partial indexes keep a million
            # finished tickets out of its way.
            *[
                models.Index(
                    fields=[f"{clock}_{instant}_at"],
                    condition=models.Q(**{f"{clock}_{mark}_at__isnull": True}, sla_paused_at__isnull=True)
                    & ~models.Q(status__in=[Status.PENDING, *DONE_STATUSES]),
                    name=f"ticket_sla_{clock[:5]}_{instant}_idx",
                )
                for clock in ("first_response", "resolution")
                for instant, mark in (("warn", "warned"), ("due", "breached"))
            ],
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return f"T-{self.pk}"

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES


class TicketComment(models.Model):
    """A reply to the customer, or an internal note only staff see."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("text"))
    internal = models.BooleanField(_("internal note"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{'note' if self.internal else 'reply'} on T-{self.ticket_id}"


class TicketEvent(models.Model):
    """One change to a ticket: who, when, what (`changes` maps field → [before, after])."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=32)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="ticket_event_idx"),
            # The audit log reads every ticket's changes newest first.
            models.Index(fields=["created_at", "id"], name="ticket_event_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on T-{self.ticket_id}"


# --- Calls: dispositions, scripts, agents' logs, callbacks ----------------------------------------
class Disposition(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=80)
    requires_ticket = models.BooleanField(_("a ticket must be linked"), default=False)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label


class CallScript(models.Model):
    """What to say on calls of a queue (or any queue) and direction; the most specific active one is shown."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    queue = models.CharField(_("queue"), max_length=64, blank=True, help_text=_("Empty: every queue."))
    direction = models.CharField(
        _("direction"),
        max_length=8,
        blank=True,
        choices=[("inbound", _("Inbound")), ("outbound", _("Outbound"))],
        help_text=_("Empty: both."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CallScriptStep(models.Model):
    script = models.ForeignKey(CallScript, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("what to say or do"))

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class CallLog(models.Model):
    """What the agent recorded about a call: customer, notes, disposition, linked ticket."""

    call_id = models.CharField(max_length=128)
    agent = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="call_logs")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_logs"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_logs"
    )
    disposition = models.ForeignKey(
        Disposition, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    caller = models.CharField(max_length=64, blank=True)
    queue = models.CharField(max_length=64, blank=True)
    direction = models.CharField(max_length=8, default="inbound")
    notes = models.TextField(_("notes"), blank=True)
    wrapup_s = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["call_id", "agent"], name="call_log_unique")]
        indexes = [models.Index(fields=["customer", "-created_at"], name="call_log_customer_idx")]

    def __str__(self) -> str:
        return f"{self.call_id} by {self.agent_id}"


class CallbackStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OFFERED = "offered", _("Offered to the ACD")
    COMPLETED = "completed", _("Completed")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class Callback(models.Model):
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    phone = models.CharField(_("phone (E.164)"), max_length=20)
    due_at = models.DateTimeField(_("call back at"))
    agent = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    queue = models.CharField(_("queue"), max_length=64, blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(max_length=10, choices=CallbackStatus.choices, default=CallbackStatus.SCHEDULED)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    call_id = models.CharField(max_length=128, blank=True)  # the outbound attempt, once dialled

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="callback_due_idx"),
            models.Index(fields=["agent", "status", "due_at"], name="callback_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} at {self.due_at:%Y-%m-%d %H:%M}"
