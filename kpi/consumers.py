"""`/ws/wallboard/`: supervisors' live wallboard. Authenticates, joins the groups, sends the current
snapshot on connect (so a reconnecting board is whole again at once), then forwards pushes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from callcenter.consumers import WallboardConsumer as ShellWallboardConsumer
from callcenter.realtime import supervisor_alerts_group, user_group, wallboard_group
from kpi.live import snapshot_current, wallboard_publisher

QUEUE_NAME = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
CLOSE_BAD_REQUEST = 4400


class WallboardConsumer(ShellWallboardConsumer):
    """`?queue=<name>` narrows the board to one queue (its slice of each snapshot)."""

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.queue = (query.get("queue") or [""])[0] or None
        self.watching = False
        if self.queue is not None and not QUEUE_NAME.match(self.queue):
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        await super().connect()

    def groups_for(self, user: Any) -> list[str]:
        return [user_group(user.id), wallboard_group(self.queue), supervisor_alerts_group()]

    async def on_connected(self, user: Any) -> None:
        wallboard_publisher.viewer_joined(self.queue)
        self.watching = True
        await self.send_json(await database_sync_to_async(snapshot_current)(queue=self.queue))

    async def disconnect(self, code: int) -> None:
        if getattr(self, "watching", False):
            wallboard_publisher.viewer_left(self.queue)
            self.watching = False
        await super().disconnect(code)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, a hop to the one
        # database thread; snapshots touch no database, and 500 boards x 2 snapshots a second
        # queued on that thread were the wallboard's latency.
        if message.get("type") == "push_text":
            await self.push_text(message)
            return
        await super().dispatch(message)

    async def push_text(self, event: dict[str, Any]) -> None:
        # Snapshots arrive encoded once for the whole group (callcenter.realtime.group_push_texts).
        await self.send(text_data=event["text"])

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The board never polls; a client that thinks it missed something asks once for the whole state.
        if isinstance(content, dict) and content.get("type") == "snapshot":
            await self.send_json(await database_sync_to_async(snapshot_current)(queue=self.queue))
