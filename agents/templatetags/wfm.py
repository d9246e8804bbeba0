"""Template helpers of the console and workforce pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`{{ counts|get_item:queue.name }}`: a dict lookup by a variable key (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def hours_minutes(minutes: float | None) -> str:
    """`7h 30m` for 450 minutes; an em dash for None."""
    if minutes is None:
        return "—"
    total = round(minutes)
    hours, rest = divmod(abs(total), 60)
    sign = "-" if total < 0 else ""
    return f"{sign}{hours}h {rest:02d}m" if hours else f"{sign}{rest}m"


@register.filter
def local_time(value: Any) -> str:
    """`14:05` in the center's zone."""
    from callcenter.formatting import EMPTY, to_local

    if value is None:
        return EMPTY
    return to_local(value).strftime("%H:%M")


@register.filter
def activity_label(kind: str) -> str:
    from agents.models import ActivityKind

    try:
        return str(ActivityKind(kind).label)
    except ValueError:
        return kind


@register.filter
def state_label(state: str) -> str:
    from agents.models import AgentState

    try:
        return str(AgentState(state).label)
    except ValueError:
        return state


@register.filter
def breaks_text(breaks: list[dict[str, Any]]) -> str:
    """`break 2h 00m +15m, lunch 4h 00m +30m`: when each break starts (after the shift) and its length."""
    return ", ".join(
        f"{activity_label(item['kind']).lower()} {hours_minutes(item['offset_minutes'])} +{item['minutes']}m"
        for item in breaks
    )


@register.filter
def scale(value: float, factor: float) -> float:
    return value * factor


@register.filter
def sub(value: float, other: float) -> float:
    return round(float(value) - float(other), 2)


@register.filter
def agent_hours(plan: Any, attribute: str) -> float:
    return plan.agent_hours(attribute)


@register.filter
def minutes_since(row: Any, now: Any) -> float:
    return row.minutes(now)


ACTIONS = {
    "created": _("Created"),
    "updated": _("Changed"),
    "deleted": _("Deleted"),
    "removed": _("Removed"),
    "scheduled": _("Scheduled"),
    "generated": _("Generated"),
    "requested": _("Requested"),
    "approved": _("Approved"),
    "rejected": _("Rejected"),
    "cancelled": _("Withdrawn"),
    "draft_saved": _("Draft saved"),
    "published": _("Published"),
    "rolled_back": _("Rolled back"),
    "made_default": _("Made the default"),
}


@register.filter
def change_action(action: str) -> str:
    """The history's verb for people ("draft_saved" → "Draft saved")."""
    return str(ACTIONS.get(action, action.replace("_", " ").capitalize()))
