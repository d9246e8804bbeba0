"""Template helpers that format values for people (see callcenter.formatting)."""

from __future__ import annotations

from typing import Any

from django import template

from callcenter import formatting

register = template.Library()


@register.simple_tag(takes_context=True)
def local_datetime(context: dict[str, Any], value: Any, with_time: bool = True) -> str:
    """`{% local_datetime call.started_at %}`: in the center's zone and the user's calendar."""
    calendar = context.get("user_calendar", "gregorian")
    return formatting.format_datetime(value, calendar=calendar, with_time=with_time)


@register.filter
def duration(seconds: float | None) -> str:
    return formatting.format_duration(seconds)


@register.filter
def percent(value: float | None) -> str:
    return formatting.format_percent(value)


@register.simple_tag(takes_context=True)
def now_datetime(context: dict[str, Any]) -> str:
    """The current time in the center's zone and the user's calendar."""
    from django.utils import timezone

    return local_datetime(context, timezone.now())


@register.filter
def role_label(group_name: str) -> str:
    """The translated label of a role group ("qa" → "QA analyst"); other groups keep their name."""
    from callcenter.roles import ROLE_LABELS, Role

    try:
        return str(ROLE_LABELS[Role(group_name)])
    except ValueError:
        return group_name
