"""Services of the agent desktop: state changes and call actions, sent to the ACD as commands.

The desktop never writes presence or calls itself: the ACD carries the action out and reports it
in the feed, and presence follows from there — the same path a real PBX takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from agents.models import AgentProfile, AgentState, PresenceSegment
from callcenter.errors import ApplicationError, ConflictError
from telephony.acd import acd_command_send, acd_source
from telephony.models import AcdAction, AcdCommand, Queue
from telephony.selectors import agent_call_step

SELECTABLE_STATES = (AgentState.AVAILABLE, AgentState.NOT_READY, AgentState.BREAK, AgentState.LOGGED_OUT)
NOT_READY_REASONS = ("meeting", "training", "coaching", "admin", "technical")

# Which of the agent's latest call events each action may follow.
ACTION_AFTER: dict[str, tuple[str, ...]] = {
    "answer": ("call.ringing",),
    "hold": ("call.answered", "call.unhold"),
    "unhold": ("call.hold",),
    "hangup": ("call.answered", "call.hold", "call.unhold"),
    "transfer": ("call.answered", "call.hold", "call.unhold"),
    "wrapup_end": ("call.ended", "call.transferred"),
}


@dataclass(frozen=True)
class AgentNow:
    """The agent's current presence: state, reason, since when, and the call they are busy with."""

    code: str
    state: str
    reason: str
    since: datetime | None
    call_id: str
    queue: str
    pending_state: str

    def as_message(self) -> dict[str, Any]:
        return {
            "type": "agent_state",
            "state": self.state,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since else None,
            "call_id": self.call_id,
            "queue": self.queue,
            "pending_state": self.pending_state,
        }


def agent_code_for(user: AbstractBaseUser) -> str:
    """The user's code at the PBX: their profile's, else their username."""
    code = AgentProfile.objects.filter(user=user).values_list("code", flat=True).first()
    return code or user.get_username()


def agent_now(*, code: str) -> AgentNow:
    segment = (
        PresenceSegment.objects.filter(agent_code=code, ended_at__isnull=True).order_by("-started_at").first()
    )
    return _agent_now(code, segment)


def _agent_now(code: str, segment: PresenceSegment | None) -> AgentNow:
    if segment is None:
        return AgentNow(code, AgentState.LOGGED_OUT, "", None, "", "", "")
    return AgentNow(
        code,
        segment.state,
        segment.reason,
        segment.started_at,
        segment.call_id,
        segment.queue,
        segment.pending_state,
    )


def agents_now(*, codes: list[str]) -> dict[str, AgentNow]:
    """Current presence of several agents in one query."""
    segments = PresenceSegment.objects.filter(agent_code__in=codes, ended_at__isnull=True).order_by(
        "started_at"
    )
    found = {segment.agent_code: segment for segment in segments}
    return {code: _agent_now(code, found.get(code)) for code in codes}


def desktop_state_set(*, user: AbstractBaseUser, state: str, reason: str = "") -> AcdCommand:
    """Ask the ACD to put the agent in `state` (logging them in first when they are logged out).

    Raises ApplicationError for an unknown state or reason; ConflictError when logging out mid-call.
    """
    if state not in SELECTABLE_STATES:
        raise ApplicationError(
            _("Choose available, not ready, break or logged out."), fields={"state": [_("Unknown state.")]}
        )
    if state == AgentState.NOT_READY and reason not in NOT_READY_REASONS:
        raise ApplicationError(
            _("Say why you are not ready."), fields={"reason": [_("Choose one of the listed reasons.")]}
        )
    code = agent_code_for(user)
    now = agent_now(code=code)
    data = {"state": state, "reason": reason if state == AgentState.NOT_READY else ""}
    if state == AgentState.LOGGED_OUT:
        if now.state in (AgentState.ON_CALL, AgentState.WRAP_UP):
            raise ConflictError(_("Finish the call and its wrap-up before logging out."))
        return acd_command_send(agent_code=code, action="logout")
    if now.state == AgentState.LOGGED_OUT:
        return acd_command_send(agent_code=code, action="login", data=data)
    return acd_command_send(agent_code=code, action="state", data=data)


def desktop_call_action(
    *, user: AbstractBaseUser, call_id: str, action: str, to_queue: str = ""
) -> AcdCommand:
    """Ask the ACD to answer, hold, resume, transfer or hang up the agent's call, or end its wrap-up.

    Checked against the agent's own latest event on the call, so an action on a call that is not
    theirs, or out of step (hold before answer), is refused with a message saying why.
    """
    if action not in ACTION_AFTER:
        raise ApplicationError(_("Unknown call action “%(action)s”.") % {"action": action})
    code = agent_code_for(user)
    step = agent_call_step(source=acd_source(), agent_code=code, call_id=call_id)
    if step is None:
        raise ConflictError(_("This call is not yours: it never rang on your desk."))
    if step.type == "call.ringing" and (step.data or {}).get("answered") is False:
        raise ConflictError(_("The call stopped ringing before you answered; it went back to the queue."))
    if step.type not in ACTION_AFTER[action]:
        raise ConflictError(
            _("You cannot %(action)s now: the call is at “%(step)s”.")
            # The action's own label (translated), not its API name.
            % {"action": str(AcdAction(action).label).lower(), "step": step.type.removeprefix("call.")}
        )
    data: dict[str, Any] = {}
    if action == "transfer":
        if not Queue.objects.filter(name=to_queue).exists():
            raise ApplicationError(
                _("Choose a queue to transfer to."), fields={"to_queue": [_("Unknown queue.")]}
            )
        if to_queue == step.queue:
            raise ApplicationError(
                _("The call is already in that queue."), fields={"to_queue": [_("Choose another queue.")]}
            )
        data["to_queue"] = to_queue
    return acd_command_send(agent_code=code, action=action, call_id=call_id, data=data)


def desktop_dial(
    *, agent_code: str, number: str, call_id: str, queue: str = "", callback_id: int | None = None
) -> AcdCommand:
    """Ask the ACD to place an outbound call for the agent (it rings their desk first)."""
    data: dict[str, Any] = {"number": number, "call_id": call_id, "queue": queue}
    if callback_id is not None:
        data["callback_id"] = callback_id
    return acd_command_send(agent_code=agent_code, action="dial", call_id=call_id, data=data)
