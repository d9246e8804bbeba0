"""Template helpers of the QA pages: recording timecodes and sampling reasons for people."""

from __future__ import annotations

from django import template

from qa.models import SampleReason

register = template.Library()


@register.filter
def clock(seconds: float | None) -> str:
    """A moment of a recording as a player shows it: `0:04`, `12:30`, `1:02:03`."""
    if seconds is None:
        return ""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def reason_label(value: str) -> str:
    try:
        return str(SampleReason(value).label)
    except ValueError:
        return value
