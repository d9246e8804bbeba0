"""Channels group names (the only place they are built) and pushing messages to them.

Pushes are live effects of something already committed: when Redis is down they raise
ChannelLayerUnavailableError (an OSError, which every caller catches) and the change itself stands;
sockets get the whole state again when they (re)connect.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from redis.exceptions import RedisError


class ChannelLayerUnavailableError(OSError):
    """The channel layer (Redis) cannot be reached: this push is lost, nothing stored is."""


# What a broken Redis raises from the channel layer or the cache (redis-py's errors are not OSErrors).
REDIS_UNAVAILABLE = (OSError, RedisError)


def user_group(user_id: int) -> str:
    """Every socket of one user joins this group: personal pushes (screen pops, alerts)."""
    return f"user.{user_id}"


def _event(payload: dict[str, Any]) -> dict[str, Any]:
    # "push" names the handler method on AuthenticatedJsonConsumer.
    return {"type": "push", "payload": payload}


async def group_push_async(group: str, payload: dict[str, Any]) -> None:
    """Raises ChannelLayerUnavailableError when Redis cannot be reached."""
    try:
        await get_channel_layer().group_send(group, _event(payload))
    except RedisError as error:
        raise ChannelLayerUnavailableError(str(error)) from error


def group_push(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` to every socket in `group`; from sync code (views, tasks, services).
    Raises ChannelLayerUnavailableError (an OSError) when Redis cannot be reached."""
    async_to_sync(group_push_async)(group, payload)


async def group_push_texts_async(messages: list[tuple[str, str]]) -> None:
    layer = get_channel_layer()
    try:
        for group, text in messages:
            await layer.group_send(group, {"type": "push_text", "text": text})
    except RedisError as error:
        raise ChannelLayerUnavailableError(str(error)) from error


def group_push_texts(messages: list[tuple[str, str]]) -> None:
    """Send JSON already encoded once, (group, text) pairs, to every socket of each group
    (consumers with a `push_text` handler): a large broadcast costs one encoding, not one per
    socket, and one trip into the event loop for all the groups. Raises ChannelLayerUnavailableError
    (an OSError) when Redis cannot be reached."""
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
