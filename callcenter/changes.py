"""What changed between two snapshots of an object, for the per-object history pages (and the audit
log): {field: [before, after]} with values as JSON (dates as ISO text, objects as their label)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Model


def json_value(value: Any) -> Any:
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(json_value(item) for item in value)
    if isinstance(value, list):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    return value


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields whose values differ, as {name: [before, after]}; a field missing on one side is None."""
    changed = {}
    for name in [*before, *(key for key in after if key not in before)]:
        old, new = json_value(before.get(name)), json_value(after.get(name))
        if old != new:
            changed[name] = [old, new]
    return changed
