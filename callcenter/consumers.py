"""Websocket consumers of the shell. Consumers authenticate, join groups and forward; nothing more."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from callcenter.realtime import supervisor_alerts_group, user_group, wallboard_group

# Close codes in the application range (4000-4999): the browser sees why it was refused.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class AuthenticatedJsonConsumer(AsyncJsonWebsocketConsumer):
    """Refuses anonymous users and users without `permission`; joins `groups_for()` on connect."""

    permission: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if self.permission and not await self._has_perm(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.joined = self.groups_for(user)
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.on_connected(user)

    async def _has_perm(self, user: Any) -> bool:
        from channels.db import database_sync_to_async

        return await database_sync_to_async(user.has_perm)(self.permission)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    def groups_for(self, user: Any) -> list[str]:
        return [user_group(user.id)]

    async def on_connected(self, user: Any) -> None:
        """Hook: send the first message (a snapshot) after the socket is accepted."""

    async def push(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])


class PingConsumer(AuthenticatedJsonConsumer):
    """`/ws/ping/`: proves the realtime path end to end; answers pings and forwards pushes."""

    async def on_connected(self, user: Any) -> None:
        await self.send_json({"type": "hello", "user": user.get_username()})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "message": 'Send {"type": "ping"}.'})


class WallboardConsumer(AuthenticatedJsonConsumer):
    """`/ws/wallboard/`: supervisors get coalesced queue activity and supervisor alerts (SLA, long waits)."""

    permission = "callcenter.view_wallboard"

    def groups_for(self, user: Any) -> list[str]:
        return [*super().groups_for(user), wallboard_group(None), supervisor_alerts_group()]
