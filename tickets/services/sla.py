"""SLA clocks of tickets: due times in business time, pause while pending, warning/breach scan.

A ticket's clocks start when it is opened. The policy is the active SlaPolicy for its priority and
category (one for the category wins over one for the priority alone); the calendar is its team's
business schedule, else the default schedule, else around the clock. Both clocks stop while the
ticket is pending on the customer or done (resolved/closed): that time is kept in
`sla_paused_business_s` and pushes the due instants back when work resumes. The first-response
clock stops for good at the first reply to the customer.

The scan (`sla_scan`, run by Celery beat) marks each ticket once at 80 % of a target (warning) and
once past it (breach), escalates breaches by the policy's rule and alerts supervisors over Channels.
Marks are set on rows locked with SKIP LOCKED, so two scans at once, a scan run twice or late never
raise an alert twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError
from callcenter.formatting import format_datetime
from callcenter.realtime import group_push, supervisor_alerts_group, user_group
from tickets.business_time import BusinessCalendar, business_add, business_seconds
from tickets.models import DONE_STATUSES, BusinessSchedule, Priority, SlaPolicy, Status, Ticket, TicketEvent

logger = logging.getLogger(__name__)

WARNING_FRACTION = 0.8
CLOCKS = ("first_response", "resolution")
SCAN_BATCH = 500


# --- policies and calendars ------------------------------------------------------------------------
def _calendar(schedule: BusinessSchedule) -> BusinessCalendar:
    spans: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    for hours in sorted(schedule.hours.all(), key=lambda h: (h.weekday, h.opens)):
        day = spans[hours.weekday]
        # Overlapping or touching spans merge, so no minute counts twice.
        if day and hours.opens <= day[-1][1]:
            day[-1] = (day[-1][0], max(day[-1][1], hours.closes))
        else:
            day.append((hours.opens, hours.closes))
    return BusinessCalendar(
        time_zone=schedule.time_zone,
        spans={weekday: tuple(day) for weekday, day in spans.items()},
        holidays=frozenset(holiday.date for holiday in schedule.holidays.all()),
    )


@dataclass
class SlaContext:
    """Active policies and business calendars, loaded once (four queries) for many tickets."""

    policies: dict[tuple[int, int | None], SlaPolicy] = field(default_factory=dict)
    policies_by_id: dict[int, SlaPolicy] = field(default_factory=dict)
    team_calendars: dict[int, BusinessCalendar] = field(default_factory=dict)
    default_calendar: BusinessCalendar = field(default_factory=BusinessCalendar)

    @classmethod
    def load(cls) -> SlaContext:
        context = cls()
        for policy in SlaPolicy.objects.filter(active=True):
            context.policies[(policy.priority, policy.category_id)] = policy
            context.policies_by_id[policy.pk] = policy
        for schedule in BusinessSchedule.objects.prefetch_related("hours", "holidays"):
            calendar = _calendar(schedule)
            if schedule.team_id:
                context.team_calendars[schedule.team_id] = calendar
            if schedule.is_default:
                context.default_calendar = calendar
        return context

    def policy_for(self, ticket: Ticket) -> SlaPolicy | None:
        return self.policies.get((ticket.priority, ticket.category_id)) or self.policies.get(
            (ticket.priority, None)
        )

    def calendar_for(self, ticket: Ticket) -> BusinessCalendar:
        return self.team_calendars.get(ticket.team_id, self.default_calendar)


def _is_clock_stopped(ticket: Ticket) -> bool:
    return ticket.status == Status.PENDING or ticket.status in DONE_STATUSES


# --- keeping one ticket's clocks right --------------------------------------------------------------
def sla_ticket_sync(*, ticket: Ticket, now: datetime, context: SlaContext | None = None) -> list[str]:
    """Bring `ticket`'s SLA fields in line with its current status, priority, category and team.

    Called by the ticket services after they change a ticket in memory and before they save it
    (on creation too). Changes only the ticket in memory and returns the names
    of the fields it changed. A warning or breach mark is cleared when its instant moves into the
    future again (say the priority was lowered), so the scan can raise it anew; marks of instants
    still past, or of a clock no policy times any more, are kept, so nothing alerts twice.
    """
    context = context or SlaContext.load()
    calendar = context.calendar_for(ticket)
    changed: list[str] = []

    def put(name: str, value: Any) -> None:
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed.append(name)

    if ticket.sla_started_at is None:
        put("sla_started_at", now)
    if _is_clock_stopped(ticket):
        if ticket.sla_paused_at is None:
            put("sla_paused_at", now)
    elif ticket.sla_paused_at is not None:
        paused = business_seconds(calendar, ticket.sla_paused_at, now)
        put("sla_paused_business_s", ticket.sla_paused_business_s + round(paused))
        put("sla_paused_at", None)

    policy = context.policy_for(ticket)
    if ticket.sla_policy_id != (policy.pk if policy else None):
        ticket.sla_policy = policy
        changed.append("sla_policy")
    for clock in CLOCKS:
        warn_at, due_at = None, None
        if policy is not None:
            target_s = getattr(policy, f"{clock}_minutes") * 60
            start, offset = ticket.sla_started_at, ticket.sla_paused_business_s
            warn_at = business_add(calendar, start, target_s * WARNING_FRACTION + offset)
            due_at = business_add(calendar, start, target_s + offset)
        put(f"{clock}_warn_at", warn_at)
        put(f"{clock}_due_at", due_at)
        # With no policy left the marks stay as a record of what happened under the old one.
        if warn_at is not None and warn_at > now:
            put(f"{clock}_warned_at", None)
        if due_at is not None and due_at > now:
            put(f"{clock}_breached_at", None)
    return changed


def sla_open_tickets_recompute(*, now: datetime, batch: int = 1000) -> int:
    """Re-time the clocks of every ticket not done, after a policy or business calendar changed.

    Works in batches of locked rows, one transaction each, so it never holds a million locks; the
    version of each changed ticket moves on. Returns how many tickets changed.
    """
    context = SlaContext.load()
    changed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update()
                .filter(~Q(status__in=DONE_STATUSES), pk__gt=last_id)
                .order_by("pk")[:batch]
            )
            if not tickets:
                return changed
            dirty: list[Ticket] = []
            fields: set[str] = set()
            for ticket in tickets:
                names = sla_ticket_sync(ticket=ticket, now=now, context=context)
                if names:
                    fields.update(names)
                    ticket.version += 1
                    dirty.append(ticket)
            if dirty:
                Ticket.objects.bulk_update(dirty, sorted(fields | {"version"}))
            changed += len(dirty)
            last_id = tickets[-1].pk


# --- the scan --------------------------------------------------------------------------------------
@dataclass
class SlaAlert:
    ticket_id: int
    kind: str  # sla_warning | sla_breach
    clock: str
    due_at: datetime
    subject: str
    recipients: set[int]
    escalation: list[str] = field(default_factory=list)

    def payload(self, now: datetime) -> dict[str, Any]:
        clock_label = _("first response") if self.clock == "first_response" else _("resolution")
        if self.kind == "sla_breach":
            title = _("T-%(id)s breached its %(clock)s target") % {"id": self.ticket_id, "clock": clock_label}
        else:
            title = _("T-%(id)s is close to its %(clock)s target") % {
                "id": self.ticket_id,
                "clock": clock_label,
            }
        message = _("“%(subject)s”, due %(due)s.") % {
            "subject": self.subject,
            "due": format_datetime(self.due_at),
        }
        if self.escalation:
            message += " " + " ".join(self.escalation)
        return {
            "type": "alert",
            "kind": self.kind,
            "title": title,
            "message": message,
            "url": f"/tickets/{self.ticket_id}/",
            "at": now.isoformat(),
            "ticket": self.ticket_id,
            "clock": self.clock,
            "due_at": self.due_at.isoformat(),
        }


@dataclass
class SlaScanResult:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    alerts: list[SlaAlert] = field(default_factory=list)


def _running(clock: str) -> Q:
    running = ~Q(status__in=(Status.PENDING, *DONE_STATUSES)) & Q(sla_paused_at__isnull=True)
    running &= Q(merged_into__isnull=True)
    if clock == "first_response":
        running &= Q(first_responded_at__isnull=True)
    return running


def _escalate(ticket: Ticket, policy: SlaPolicy | None) -> list[str]:
    """Apply the policy's breach rule to `ticket` in memory; returns what it did, in words."""
    from tickets.services.tickets import check_assignee  # the ticket services own who may work tickets

    done: list[str] = []
    if policy is None:
        return done
    if policy.escalate_raise_priority and ticket.priority < Priority.URGENT:
        ticket.priority += 1
        done.append(_("Priority raised to %(priority)s.") % {"priority": Priority(ticket.priority).label})
    supervisor = ticket.team.supervisor if policy.escalate_to_supervisor and ticket.team_id else None
    if supervisor is not None and ticket.assignee_id != supervisor.pk:
        try:
            check_assignee(supervisor)
        except ApplicationError:
            done.append(_("The team's supervisor cannot work tickets; not reassigned."))
        else:
            ticket.assignee = supervisor
            done.append(_("Reassigned to %(who)s.") % {"who": _person(supervisor)["name"]})
    return done


def _recipients(ticket: Ticket) -> set[int]:
    people = {ticket.assignee_id} if ticket.assignee_id else set()
    if ticket.team_id and ticket.team.supervisor_id:
        people.add(ticket.team.supervisor_id)
    return people


def _mark_batch(
    *, clock: str, breach: bool, now: datetime, context: SlaContext, result: SlaScanResult
) -> tuple[int, list[SlaAlert]]:
    """Mark (and for breaches escalate) one batch of locked tickets; returns how many it marked and
    the alerts to push once the batch commits."""
    instant = f"{clock}_due_at" if breach else f"{clock}_warn_at"
    mark = f"{clock}_breached_at" if breach else f"{clock}_warned_at"
    tickets = list(
        Ticket.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("team__supervisor", "assignee")
        .filter(_running(clock), **{f"{instant}__lte": now, f"{mark}__isnull": True})
        .order_by(instant)[:SCAN_BATCH]
    )
    events: list[TicketEvent] = []
    alerts: list[SlaAlert] = []
    for ticket in tickets:
        due_at = getattr(ticket, f"{clock}_due_at")
        if not breach and due_at <= now:
            # Past due as well: the breach alert says it all, so the warning is marked silently.
            Ticket.objects.filter(pk=ticket.pk).update(**{mark: now})
            continue
        setattr(ticket, mark, now)
        fields = [mark]
        changes: dict[str, list[Any]] = {"clock": [None, clock], "due_at": [None, due_at.isoformat()]}
        alert = SlaAlert(
            ticket_id=ticket.pk,
            kind="sla_breach" if breach else "sla_warning",
            clock=clock,
            due_at=due_at,
            subject=ticket.subject,
            recipients=_recipients(ticket),
        )
        if breach:
            before_priority, before_assignee = ticket.priority, ticket.assignee
            alert.escalation = _escalate(ticket, context.policies_by_id.get(ticket.sla_policy_id))
            if ticket.priority != before_priority:
                changes["priority"] = [before_priority, ticket.priority]
                fields.append("priority")
            if ticket.assignee != before_assignee:
                changes["assignee"] = [_person(before_assignee), _person(ticket.assignee)]
                fields.append("assignee")
                alert.recipients |= _recipients(ticket)
            if len(fields) > 1:
                fields += sla_ticket_sync(ticket=ticket, now=now, context=context)
                result.escalated.append(ticket.pk)
            result.breached.append(ticket.pk)
        else:
            result.warned.append(ticket.pk)
        values = {name: getattr(ticket, name) for name in dict.fromkeys(fields)}
        # The version moves on so anyone holding the ticket open reapplies their change on top.
        Ticket.objects.filter(pk=ticket.pk).update(**values, version=F("version") + 1, updated_at=now)
        kind = "sla_breached" if breach else "sla_warning"
        events.append(TicketEvent(ticket=ticket, actor=None, kind=kind, changes=changes))
        alerts.append(alert)
    TicketEvent.objects.bulk_create(events)
    return len(tickets), alerts


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def sla_scan(*, now: datetime) -> SlaScanResult:
    """Mark tickets that reached 80 % of a target or passed it, escalate breaches, alert supervisors.

    Safe to run twice, late or concurrently: each mark is set once on a locked row, and alerts are
    pushed after the commit that set their mark. Breaches go first, so a ticket that passed both its
    warning and its due instant since the last scan gets one (breach) alert, not two. Returns the
    ids marked and the alerts sent.
    """
    context = SlaContext.load()
    result = SlaScanResult()
    for clock in CLOCKS:
        for breach in (True, False):
            marked = SCAN_BATCH
            while marked == SCAN_BATCH:
                with transaction.atomic():
                    marked, alerts = _mark_batch(
                        clock=clock, breach=breach, now=now, context=context, result=result
                    )
                    transaction.on_commit(lambda alerts=alerts: _publish(alerts, now))
                result.alerts += alerts
    return result


def _publish(alerts: list[SlaAlert], now: datetime) -> None:
    for alert in alerts:
        payload = alert.payload(now)
        try:
            group_push(supervisor_alerts_group(), payload)
            for user_id in alert.recipients:
                group_push(user_group(user_id), payload)
        except OSError:
            # The mark is stored and shows on the ticket and in "breaching soon"; a push lost to a
            # broken Redis is logged, not retried (it would alert twice).
            logger.warning("SLA alert for T-%s not delivered: channel layer unreachable", alert.ticket_id)
