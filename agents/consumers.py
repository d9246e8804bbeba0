"""`/ws/desktop/`: the agent's one socket — their state changes and screen pops, pushed as they happen."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from agents.desktop import agent_code_for, agent_now
from callcenter.consumers import AuthenticatedJsonConsumer


class DesktopConsumer(AuthenticatedJsonConsumer):
    permission = "callcenter.use_agent_desktop"

    async def on_connected(self, user: Any) -> None:
        # A (re)connecting desktop gets the state now, so nothing missed while away stays wrong.
        await self.send_json(await database_sync_to_async(_snapshot)(user))


def _snapshot(user: Any) -> dict[str, Any]:
    return agent_now(code=agent_code_for(user)).as_message()
