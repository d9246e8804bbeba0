"""Reads of tickets: who may see which, saved views and filters, one ticket for a user, its timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agents.models import Team
from callcenter.errors import ApplicationError, NotFoundError
from callcenter.formatting import format_datetime
from tickets.models import DONE_STATUSES, Priority, Status, Ticket, TicketComment, TicketEvent

# "Breaching soon": not done and a due time within this long, or already past.
BREACHING_SOON = timedelta(hours=2)

SAVED_VIEWS: dict[str, Any] = {
    "my_open": gettext_lazy("My open tickets"),
    "unassigned": gettext_lazy("Unassigned"),
    "team": gettext_lazy("My teams"),
    "breaching_soon": gettext_lazy("Breaching soon"),
    "all": gettext_lazy("All"),
}


# --- visibility ------------------------------------------------------------------------------------
def user_team_ids(user: AbstractBaseUser) -> QuerySet:
    """Ids of the teams `user` belongs to, as a subquery (no rows are fetched)."""
    return Team.members.through.objects.filter(user_id=user.pk).values("team_id")


def ticket_visible_q(user: AbstractBaseUser) -> Q:
    """Tickets `user` may see: all with `tickets.view_all_tickets`; else theirs, their teams',
    those they watch, and those with neither team nor assignee.

    Built from subqueries rather than joins, so it never repeats a ticket and the planner can
    use the assignee and team indexes.
    """
    if user.has_perm("tickets.view_all_tickets"):
        return Q()
    watched = Ticket.watchers.through.objects.filter(user_id=user.pk).values("ticket_id")
    return (
        Q(assignee_id=user.pk)
        | Q(team_id__in=user_team_ids(user))
        | Q(pk__in=watched)
        | Q(team__isnull=True, assignee__isnull=True)
    )


def tickets_visible_to(user: AbstractBaseUser) -> QuerySet[Ticket]:
    if not user.is_authenticated or not user.has_perm("tickets.view_ticket"):
        return Ticket.objects.none()
    return Ticket.objects.filter(ticket_visible_q(user))


def ticket_get_for_user(*, user: AbstractBaseUser, ticket_id: int) -> Ticket:
    """The ticket if `user` may see it; NotFoundError otherwise (its existence is not revealed)."""
    ticket = (
        tickets_visible_to(user)
        .select_related("customer", "team", "assignee", "category", "merged_into", "sla_policy")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFoundError(_("No ticket T-%(id)s, or not one you may see.") % {"id": ticket_id})
    return ticket


# --- lists -----------------------------------------------------------------------------------------
def ticket_views_for(user: AbstractBaseUser) -> list[tuple[str, str]]:
    """The saved views to offer `user` as (key, label); "all" says whose tickets it holds."""
    views = [(key, str(label)) for key, label in SAVED_VIEWS.items()]
    if not user.has_perm("tickets.view_all_tickets"):
        views[-1] = ("all", _("All I may see"))
    return views


def ticket_default_view(user: AbstractBaseUser) -> str:
    return "all" if user.has_perm("tickets.view_all_tickets") else "my_open"


def _not_done() -> Q:
    return ~Q(status__in=DONE_STATUSES)


def _view_q(*, user: AbstractBaseUser, view: str, now: datetime) -> Q:
    if view == "my_open":
        return Q(assignee_id=user.pk) & _not_done()
    if view == "unassigned":
        return Q(assignee__isnull=True) & _not_done()
    if view == "team":
        led = Team.objects.filter(supervisor_id=user.pk).values("pk")
        return (Q(team_id__in=user_team_ids(user)) | Q(team_id__in=led)) & _not_done()
    if view == "breaching_soon":
        soon = now + BREACHING_SOON
        return (
            _not_done()
            & Q(sla_paused_at__isnull=True)
            & (
                Q(first_responded_at__isnull=True, first_response_due_at__lte=soon)
                | Q(resolution_due_at__lte=soon)
            )
        )
    if view in ("all", ""):
        return Q()
    raise ApplicationError(
        _("Unknown view “%(view)s”; use one of: %(views)s.")
        % {"view": view, "views": ", ".join(SAVED_VIEWS)},
        fields={"view": [_("Not a saved view.")]},
    )


def ticket_search_q(text: str) -> Q:
    """Subject contains `text` (trigram index on PostgreSQL), or the ticket number "T-123" / "123"."""
    text = text.strip()
    number = text[2:] if text[:2].upper() == "T-" else text
    if number.isdigit() and len(number) < 12:
        return Q(pk=int(number)) | Q(subject__icontains=text)
    return Q(subject__icontains=text)


def ticket_list(
    *, user: AbstractBaseUser, view: str = "all", filters: dict[str, Any] | None = None
) -> QuerySet[Ticket]:
    """Tickets `user` may see in saved `view`, narrowed by `filters`, newest first.

    Filters (all optional): status (a value or a list), priority, channel, category (id),
    customer (id), team (id or "none"), assignee (id, "me" or "none"), q (subject or number).
    Raises ApplicationError for an unknown view.
    """
    filters = filters or {}
    queryset = tickets_visible_to(user).filter(_view_q(user=user, view=view or "all", now=timezone.now()))
    status = filters.get("status")
    if status:
        queryset = queryset.filter(status__in=status if isinstance(status, list | tuple) else [status])
    for name in ("priority", "channel", "category", "customer"):
        if filters.get(name) not in (None, ""):
            queryset = queryset.filter(
                **{f"{name}_id" if name in ("category", "customer") else name: filters[name]}
            )
    team = filters.get("team")
    if team == "none":
        queryset = queryset.filter(team__isnull=True)
    elif team not in (None, ""):
        queryset = queryset.filter(team_id=team)
    assignee = filters.get("assignee")
    if assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee == "me":
        queryset = queryset.filter(assignee_id=user.pk)
    elif assignee not in (None, ""):
        queryset = queryset.filter(assignee_id=assignee)
    if filters.get("q"):
        queryset = queryset.filter(ticket_search_q(str(filters["q"])))
    return queryset.select_related("customer", "team", "assignee", "category").order_by("-id")


# Columns of a list row (`ticket_list_rows`): what the list API shows and its SLA state needs.
TICKET_ROW_FIELDS = (
    "id",
    "subject",
    "channel",
    "status",
    "priority",
    "category_id",
    "category__name",
    "customer_id",
    "customer__name",
    "team_id",
    "team__name",
    "assignee_id",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "version",
    "merged_into_id",
    "created_at",
    "updated_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "first_response_due_at",
    "resolution_due_at",
    "sla_paused_at",
    "first_response_warn_at",
    "resolution_warn_at",
)


class TicketRow(dict):
    """A ticket of a list as plain values (`TICKET_ROW_FIELDS`); its keys also read as attributes,
    so `ticket_next_due` and `ticket_sla_state` serve rows and tickets alike."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def ticket_list_rows(
    *, user: AbstractBaseUser, view: str = "all", filters: dict[str, Any] | None = None
) -> QuerySet:
    """`ticket_list` as dicts of `TICKET_ROW_FIELDS` (one query, related names joined in): no
    model instances for the ticket, its customer, team, assignee and category on each row, which
    was most of a list request's CPU. Wrap each row in `TicketRow` to use the SLA helpers."""
    return ticket_list(user=user, view=view, filters=filters).values(*TICKET_ROW_FIELDS)


# --- SLA display -----------------------------------------------------------------------------------
def ticket_next_due(ticket: Ticket | TicketRow) -> datetime | None:
    """The SLA instant that matters now: first response until answered, then resolution."""
    if ticket.status in DONE_STATUSES or ticket.sla_paused_at:
        return None
    if ticket.first_responded_at is None and ticket.first_response_due_at:
        return ticket.first_response_due_at
    return ticket.resolution_due_at


def ticket_sla_state(ticket: Ticket | TicketRow, now: datetime | None = None) -> str | None:
    """How the SLA clock stands: "breached" (due passed), "warning" (past the warning mark or
    breaching soon), "ok", or None (no clock running)."""
    due = ticket_next_due(ticket)
    if due is None:
        return None
    now = now or timezone.now()
    if due <= now:
        return "breached"
    warn = ticket.first_response_warn_at if due == ticket.first_response_due_at else ticket.resolution_warn_at
    if (warn and warn <= now) or due <= now + BREACHING_SOON:
        return "warning"
    return "ok"


def ticket_sla_clocks(ticket: Ticket, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each SLA clock of `ticket` for people: label, due_at, state and (when it stopped) done_at.

    States: "met" (answered/resolved in time), "breached" (missed, or running past due), "warning"
    (running past its 80 % mark), "paused" (pending on the customer), "running"; a clock without a
    due time (no policy) is left out.
    """
    now = now or timezone.now()
    clocks = []
    for clock, done_at in (
        ("first_response", ticket.first_responded_at),
        ("resolution", ticket.resolved_at),
    ):
        due_at = getattr(ticket, f"{clock}_due_at")
        if due_at is None:
            continue
        if done_at is not None:
            state = "met" if done_at <= due_at and not getattr(ticket, f"{clock}_breached_at") else "breached"
        elif getattr(ticket, f"{clock}_breached_at") or due_at <= now:
            state = "breached"
        elif ticket.sla_paused_at is not None:
            state = "paused"
        elif getattr(ticket, f"{clock}_warn_at") <= now:
            state = "warning"
        else:
            state = "running"
        clocks.append(
            {
                "clock": clock,
                "label": SLA_CLOCK_LABELS[clock],
                "due_at": due_at,
                "state": state,
                "done_at": done_at,
            }
        )
    return clocks


# --- timeline --------------------------------------------------------------------------------------
def _field_label(name: str) -> str:
    extra = {
        "merged_from": _("merged from"),
        "comments_moved": _("comments moved"),
        "call_id": _("call"),
        "clock": _("SLA target"),
        "due_at": _("due"),
    }
    if name in extra:
        return str(extra[name])
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name.replace("_", " ")


def _display(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("name", value.get("id")))
    if name == "status" and value in Status.values:
        return str(Status(value).label)
    if name == "priority" and value in Priority.values:
        return str(Priority(value).label)
    if name in ("merged_into", "merged_from"):
        return f"T-{value}"
    if name == "clock":
        return str(SLA_CLOCK_LABELS.get(value, value))
    if name == "due_at" and isinstance(value, str):
        try:
            return format_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


SLA_CLOCK_LABELS = {
    "first_response": gettext_lazy("first response"),
    "resolution": gettext_lazy("resolution"),
}

EVENT_TITLES = {
    "created": gettext_lazy("opened the ticket"),
    "updated": gettext_lazy("changed"),
    "merged": gettext_lazy("merged this ticket into another"),
    "merged_from": gettext_lazy("merged another ticket into this one"),
    "watcher_added": gettext_lazy("added a watcher"),
    "watcher_removed": gettext_lazy("removed a watcher"),
    # Not %-formatted: the percent sign is text, not a placeholder.
    # xgettext:no-python-format
    "sla_warning": gettext_lazy("reached 80 % of an SLA target"),
    "sla_breached": gettext_lazy("breached an SLA target"),
    "call_linked": gettext_lazy("linked a call"),
    "call_unlinked": gettext_lazy("unlinked a call"),
}


def ticket_timeline(*, ticket: Ticket) -> list[dict[str, Any]]:
    """Events and comments of `ticket` in time order (two queries).

    Each entry: type ("event" or "comment"), at, actor (name or ""), and for events kind, title and
    changes [{field, label, before, after, before_display, after_display}]; for comments id, body,
    internal. Comment events are left out: the comment itself is the entry.
    """
    entries: list[dict[str, Any]] = []
    events = TicketEvent.objects.filter(ticket=ticket).exclude(kind="commented").select_related("actor")
    for event in events:
        changes = [
            {
                "field": name,
                "label": _field_label(name),
                "before": pair[0],
                "after": pair[1],
                "before_display": _display(name, pair[0]),
                "after_display": _display(name, pair[1]),
            }
            for name, pair in (event.changes or {}).items()
            if isinstance(pair, list | tuple) and len(pair) == 2
        ]
        entries.append(
            {
                "type": "event",
                "at": event.created_at,
                "actor": _actor_name(event.actor),
                "kind": event.kind,
                "title": str(EVENT_TITLES.get(event.kind, event.kind)),
                "changes": changes,
                "order": (event.created_at, 0, event.pk),
            }
        )
    for comment in TicketComment.objects.filter(ticket=ticket).select_related("author"):
        entries.append(
            {
                "type": "comment",
                "at": comment.created_at,
                "actor": _actor_name(comment.author),
                "id": comment.pk,
                "body": comment.body,
                "internal": comment.internal,
                "order": (comment.created_at, 1, comment.pk),
            }
        )
    entries.sort(key=lambda entry: entry["order"])
    for entry in entries:
        del entry["order"]
    return entries


def _actor_name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def ticket_watchers(*, ticket: Ticket) -> list:
    return list(ticket.watchers.order_by("username"))


def ticket_workers() -> QuerySet:
    """Active users who may work tickets (hold `tickets.change_ticket`): the people one may assign."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    permission = Permission.objects.filter(codename="change_ticket", content_type__app_label="tickets")
    users = get_user_model().objects.filter(is_active=True)
    return (
        users.filter(
            Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission)
        )
        .distinct()
        .order_by("first_name", "username")
    )
