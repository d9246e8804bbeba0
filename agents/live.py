"""Live effects of presence: each agent whose state changed gets it on their desktop socket."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from agents.desktop import agents_now
from agents.selectors import agent_users_by_code
from callcenter.realtime import group_push, user_group

logger = logging.getLogger(__name__)


def presence_publish(codes: Iterable[str], *, users: dict[str, int] | None = None) -> None:
    """Push the current state of each agent in `codes` to their user's group (after commit);
    `users` maps codes to user ids when the caller has looked them up already."""
    codes = sorted({code for code in codes if code})
    users = agent_users_by_code(codes) if users is None else users
    wanted = [code for code in codes if code in users]
    if not wanted:
        return
    for code, now in agents_now(codes=wanted).items():
        try:
            group_push(user_group(users[code]), now.as_message())
        except OSError:
            logger.warning("state of agent %s not pushed: channel layer unreachable", code)
            return
