"""Time off: agents ask, supervisors approve or reject. An approved request takes the agent off the
schedule: their shifts that overlap it are removed (and say so in the history)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.history import plan_change_record
from agents.models import ScheduledShift, TimeOffKind, TimeOffRequest, TimeOffStatus
from callcenter.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError

MAX_DAYS = 60
BACKDATE_DAYS = 14  # sick leave is often entered after the fact


@transaction.atomic
def time_off_request(
    *, agent: AbstractBaseUser, kind: str, starts_at: datetime, ends_at: datetime, note: str = ""
) -> TimeOffRequest:
    """An agent's request, pending until a supervisor decides. Raises ApplicationError with fields."""
    errors: dict[str, list[str]] = {}
    if kind not in TimeOffKind.values:
        errors["kind"] = [_("Choose a kind of time off.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must come after the start.")]
    elif ends_at - starts_at > timedelta(days=MAX_DAYS):
        errors["ends_at"] = [_("Ask for at most %(n)d days at a time.") % {"n": MAX_DAYS}]
    if starts_at < timezone.now() - timedelta(days=BACKDATE_DAYS):
        errors["starts_at"] = [_("Time off can start at most %(n)d days ago.") % {"n": BACKDATE_DAYS}]
    if errors:
        raise ApplicationError(_("Some fields are not valid."), fields=errors)
    overlapping = TimeOffRequest.objects.filter(
        agent=agent,
        status__in=[TimeOffStatus.PENDING, TimeOffStatus.APPROVED],
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).first()
    if overlapping is not None:
        raise ApplicationError(
            _("You already asked for time off then (%(status)s).")
            % {"status": overlapping.get_status_display()},
            fields={"starts_at": [_("Overlaps another request.")]},
        )
    request = TimeOffRequest.objects.create(
        agent=agent, kind=kind, starts_at=starts_at, ends_at=ends_at, note=note[:300]
    )
    plan_change_record(
        actor=agent,
        object_type="time_off",
        obj=request,
        action="requested",
        changes={
            "kind": [None, kind],
            "starts_at": [None, starts_at.isoformat()],
            "ends_at": [None, ends_at.isoformat()],
        },
    )
    return request


@transaction.atomic
def time_off_cancel(*, agent: AbstractBaseUser, request_id: int) -> TimeOffRequest:
    """The agent withdraws a pending request, or an approved one that has not started yet."""
    request = TimeOffRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None or request.agent_id != agent.pk:
        raise NotFoundError(_("You have no such request."))
    if request.status not in (TimeOffStatus.PENDING, TimeOffStatus.APPROVED):
        raise ApplicationError(
            _("This request is already %(status)s.") % {"status": request.get_status_display()}
        )
    if request.status == TimeOffStatus.APPROVED and request.starts_at <= timezone.now():
        raise ApplicationError(
            _("Approved time off that has begun cannot be withdrawn here; ask your supervisor.")
        )
    before = request.status
    request.status = TimeOffStatus.CANCELLED
    request.save(update_fields=["status"])
    plan_change_record(
        actor=agent,
        object_type="time_off",
        obj=request,
        action="cancelled",
        changes={"status": [before, "cancelled"]},
    )
    return request


@transaction.atomic
def time_off_decide(
    *, actor: AbstractBaseUser, request_id: int, approve: bool, note: str = ""
) -> tuple[TimeOffRequest, int]:
    """Approve or reject a pending request; returns it and how many shifts approval removed.

    Decided with a conditional update, so two supervisors deciding at once cannot both win.
    """
    if not actor.has_perm("agents.approve_time_off"):
        raise ForbiddenError(_("Your role may not decide time off."))
    request = TimeOffRequest.objects.filter(pk=request_id).select_related("agent").first()
    if request is None:
        raise NotFoundError(_("There is no such request."))
    if request.agent_id == actor.pk:
        raise ForbiddenError(_("Someone else has to decide your own time off."))
    status = TimeOffStatus.APPROVED if approve else TimeOffStatus.REJECTED
    now = timezone.now()
    won = TimeOffRequest.objects.filter(pk=request_id, status=TimeOffStatus.PENDING).update(
        status=status, decided_by=actor, decided_at=now, decision_note=note[:300]
    )
    if not won:
        request.refresh_from_db()
        raise ConflictError(
            _("This request was already %(status)s.") % {"status": request.get_status_display()}
        )
    request.refresh_from_db()
    removed = 0
    if approve:
        shifts = list(
            ScheduledShift.objects.filter(
                agent_id=request.agent_id, starts_at__lt=request.ends_at, ends_at__gt=request.starts_at
            )
        )
        for shift in shifts:
            plan_change_record(
                actor=actor,
                object_type="shift",
                obj=shift,
                action="removed",
                changes={"starts_at": [shift.starts_at.isoformat(), None]},
                note=_("Time off approved"),
            )
        removed = len(shifts)
        ScheduledShift.objects.filter(pk__in=[shift.pk for shift in shifts]).delete()
    plan_change_record(
        actor=actor,
        object_type="time_off",
        obj=request,
        action="approved" if approve else "rejected",
        changes={"status": ["pending", status]},
        note=note,
    )
    return request, removed


def time_off_for_agent(*, agent: AbstractBaseUser) -> QuerySet[TimeOffRequest]:
    return TimeOffRequest.objects.filter(agent=agent).select_related("decided_by").order_by("-starts_at")


def time_off_pending() -> QuerySet[TimeOffRequest]:
    return (
        TimeOffRequest.objects.filter(status=TimeOffStatus.PENDING)
        .select_related("agent")
        .prefetch_related("agent__teams")
        .order_by("starts_at")
    )


def time_off_recent_decisions(limit: int = 30) -> QuerySet[TimeOffRequest]:
    return (
        TimeOffRequest.objects.exclude(status=TimeOffStatus.PENDING)
        .exclude(decided_at=None)
        .select_related("agent", "decided_by")
        .order_by("-decided_at")[:limit]
    )
