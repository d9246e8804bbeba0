"""Channels group names (the only place they are built) and pushing messages to them."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(user_id: int) -> str:
    """Every socket of one user joins this group: personal pushes (screen pops, alerts)."""
    return f"user.{user_id}"


def _event(payload: dict[str, Any]) -> dict[str, Any]:
    # "push" names the handler method on AuthenticatedJsonConsumer.
    return {"type": "push", "payload": payload}


async def group_push_async(group: str, payload: dict[str, Any]) -> None:
    await get_channel_layer().group_send(group, _event(payload))


def group_push(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` to every socket in `group`; from sync code (views, tasks, services)."""
    async_to_sync(group_push_async)(group, payload)


async def group_push_texts_async(messages: list[tuple[str, str]]) -> None:
    layer = get_channel_layer()
    for group, text in messages:
        await layer.group_send(group, {"type": "push_text", "text": text})


def group_push_texts(messages: list[tuple[str, str]]) -> None:
    """Send JSON already encoded once, (group, text) pairs, to every socket of each group
    (consumers with a `push_text` handler): a large broadcast costs one encoding, not one per
    socket, and one trip into the event loop for all the groups."""
    async_to_sync(group_push_texts_async)(messages)


def wallboard_group(queue: str | None = None) -> str:
    """Wallboards of one queue, or (None) the floor-wide wallboards."""
    return f"wallboard.q.{queue}" if queue else "wallboard.all"


def supervisor_alerts_group() -> str:
    """Every supervisor socket (wallboards and other supervisor pages) joins this group.

    Alerts pushed here have the shape {"type": "alert", "kind": "sla_warning" | "sla_breach" |
    "long_wait" | …, "title", "message", "url" (may be ""), "at" (ISO instant), plus kind-specific keys}.
    """
    return "alerts.supervisors"
