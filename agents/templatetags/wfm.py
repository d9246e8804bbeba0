"""Template helpers of the console and workforce pages."""

from __future__ import annotations

from typing import Any

from django import template

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
