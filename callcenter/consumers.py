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
        self.joined = await self.groups_for_async(user)
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

    async def groups_for_async(self, user: Any) -> list[str]:
        """Override instead of groups_for when the groups depend on the database (permissions)."""
        return self.groups_for(user)

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


class AlertsConsumer(AuthenticatedJsonConsumer):
    """`/ws/alerts/`: the alert toasts on every page; personal alerts for everyone, and the floor's
    alerts (SLA warnings and breaches, long waits) for users who may watch the wallboard."""

    async def groups_for_async(self, user: Any) -> list[str]:
        from channels.db import database_sync_to_async

        groups = self.groups_for(user)
        if await database_sync_to_async(user.has_perm)("callcenter.view_wallboard"):
            groups.append(supervisor_alerts_group())
        return groups

    async def push(self, event: dict[str, Any]) -> None:
        # The personal group carries screen pops and desk notices too; this socket shows alerts only.
        if event["payload"].get("type") == "alert":
            await self.send_json(event["payload"])
