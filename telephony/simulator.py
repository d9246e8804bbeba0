"""A deterministic discrete-event simulation of an inbound ACD that emits native feed events (DESIGN.md §2).

`simulate(config)` yields event dicts in time order. Everything random comes from one
`random.Random(config.seed)` and time is simulated (a heap of scheduled actions), so the same
configuration always gives the same events, and nothing here reads the wall clock.

The model: Poisson arrivals per queue; each call is offered and walks the IVR (`call.ivr`) — the
built-in menu, or a flow graph (telephony.ivr.graph) with time-of-day branches, messages, voicemail,
callback requests and hang-ups — pressing the keys that lead to the queue it called for (now and then
a wrong key or none, which the menu's retries and fallbacks handle); then it is queued. It rings the
free agent with the skill — the highest skill level first, then the one idle longest — or waits
until one is free: a free agent takes the oldest call of their highest-priority queue. A call that
has waited the queue's maximum wait overflows (`call.timeout`, then the overflow queue), and one
whose caller's patience (exponential) runs out is abandoned (`call.abandoned`). Handle time is
exponential with mean `aht_s` and split into talk, an optional hold and after-call work; an answered
call is sometimes transferred once to another queue. Agents log in at the start, take occasional
breaks, and log out when the simulated period is over and the last call has been wrapped up. With
no ring time, holds, transfers or breaks, one queue and no patience limit, this is exactly the
M/M/N queue of Erlang C (and with patience, Erlang A's M/M/N+M).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telephony.ivr.graph import (
    CALLBACK,
    DIGITS,
    HANGUP,
    MENU,
    MESSAGE,
    QUEUE,
    SCHEDULE,
    VOICEMAIL,
    distances_to,
    graph_from_menu,
    ivr_validate,
    menu_retries,
    menu_timeout_s,
    queues_of,
    schedule_branch,
)
from telephony.recordings import MAX_RECORDING_S, recording_write_wav

# An IVR menu: node name → {"prompt": str, "options": {digit: {"node": name} or {"queue": name}}}.
# Calls start at the node named "main".
IvrMenu = dict[str, dict[str, Any]]
IVR_ROOT = "main"
SL_THRESHOLD_S = 20.0
SHORT_ABANDON_S = 5.0
# Live agents (people on the desktop): an unanswered ring goes to the next agent and pauses this
# one (as Asterisk's autopause does); wrap-up that is never ended ends by itself.
LIVE_RING_TIMEOUT_S = 20.0
LIVE_WRAPUP_LIMIT_S = 600.0
# A caller who has been round the IVR this many times gives up (a flow only loops through menus).
IVR_MAX_STEPS = 40
# North American fictional numbers (555-0100…0199), so demo data never dials a real person.
AREA_CODES = ("212", "312", "415", "617", "206", "303", "512", "702")


@dataclass(frozen=True)
class QueueSpec:
    name: str
    calls_per_hour: float
    priority: int = 5  # 1-9: agents in several queues take the highest first
    max_wait_s: float | None = None  # then the call leaves (call.timeout) for `overflow`, or ends
    overflow: str | None = None


@dataclass(frozen=True)
class AgentSpec:
    code: str
    skills: frozenset[str]
    levels: dict[str, int] = field(default_factory=dict, compare=True, hash=False)  # queue → 1-5

    def level(self, queue: str) -> int:
        return self.levels.get(queue, 1)


@dataclass(frozen=True)
class SimConfig:
    """What to simulate. Times are in simulated seconds; probabilities are 0-1."""

    queues: tuple[QueueSpec, ...]
    agents: tuple[AgentSpec, ...]
    start: datetime  # aware; events are stamped start + simulated time, in UTC
    duration_s: float = 3600.0  # arrivals stop here; calls in progress are finished
    aht_s: float = 180.0  # mean of the exponential handle time (talk + hold + after-call work)
    patience_s: float = 60.0  # mean of the exponential patience while queued; 0 = never abandon
    seed: int = 1
    source: str = "simulator"
    ivr: IvrMenu | None = None  # None: the built-in two-level menu over the configured queues
    ivr_graph: dict[str, Any] | None = None  # a flow graph (telephony.ivr.graph); wins over `ivr`
    ivr_enabled: bool = True
    ivr_step_s: float = 5.0  # mean time to hear a prompt and press a digit
    ivr_invalid_probability: float = 0.0  # a caller presses a key that is not offered
    ivr_timeout_probability: float = 0.0  # a caller presses nothing before the menu times out
    # Queue skills of agents who may log in on the desktop during the run (code → {queue: level}).
    known_skills: dict[str, dict[str, int]] = field(default_factory=dict)
    ring_s: float = 4.0  # mean ring time before the agent answers; 0 = answered at once
    acw_share: float = 0.15  # share of the handle time spent in after-call work
    hold_probability: float = 0.15
    transfer_probability: float = 0.05  # answered calls transferred (once) to another queue
    breaks_per_hour: float = 1.0  # per agent, while the period lasts
    break_s: float = 300.0
    survey_probability: float = 0.3
    recordings: bool = True  # emit recording.ready for answered calls
    media_root: Path | None = None  # also write the WAV files under it (paths are relative to it)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError("start must be an aware datetime")
        if not self.queues:
            raise ValueError("configure at least one queue")
        names = [queue.name for queue in self.queues]
        if len(set(names)) != len(names):
            raise ValueError("queue names must be unique")
        codes = [agent.code for agent in self.agents]
        # No simulated agents is allowed: then only people logged in on the desktop take calls.
        if len(set(codes)) != len(codes):
            raise ValueError("agent codes must be unique")
        for agent in self.agents:
            unknown = agent.skills - set(names)
            if unknown:
                raise ValueError(f"agent {agent.code} has skills for unknown queues: {sorted(unknown)}")
        unserved = [
            queue.name
            for queue in self.queues
            if not any(queue.name in agent.skills for agent in self.agents)
            # Calls that leave by themselves (impatience, overflow) do not wait forever.
            and not (self.patience_s > 0 or queue.max_wait_s)
        ]
        if unserved and self.agents:
            raise ValueError(
                f"no agent has the skill for queue(s) {unserved}; their calls would wait forever"
            )
        if any(queue.calls_per_hour < 0 for queue in self.queues):
            raise ValueError("calls_per_hour must be 0 or more")
        if self.aht_s <= 0 or self.duration_s < 0 or self.patience_s < 0:
            raise ValueError("aht_s must be positive; duration_s and patience_s 0 or more")
        for queue in self.queues:
            if queue.overflow is not None and queue.overflow not in names:
                raise ValueError(
                    f"queue {queue.name} overflows into {queue.overflow}, which is not simulated"
                )
            if queue.max_wait_s is not None and queue.max_wait_s <= 0:
                raise ValueError(f"queue {queue.name}: max_wait_s must be positive")
        for name in (
            "hold_probability",
            "transfer_probability",
            "survey_probability",
            "acw_share",
            "ivr_invalid_probability",
            "ivr_timeout_probability",
        ):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if min(self.ivr_step_s, self.ring_s, self.breaks_per_hour, self.break_s) < 0:
            raise ValueError("ivr_step_s, ring_s, breaks_per_hour and break_s must be 0 or more")
        if self.ivr_graph is not None:
            result = ivr_validate(self.ivr_graph, queues=names)
            if not result.ok:
                problems = "; ".join(f"{i.node or 'flow'}: {i.message}" for i in result.errors[:5])
                raise ValueError(f"the IVR flow cannot be walked: {problems}")
        elif self.ivr is not None:
            ivr_paths(self.ivr)  # raises on a broken menu


def config_simple(
    *,
    queues: list[str],
    calls_per_hour: float,
    agents: int,
    start: datetime,
    skills: dict[str, frozenset[str]] | None = None,
    levels: dict[str, dict[str, int]] | None = None,
    routing: dict[str, Any] | None = None,
    extra_queues: list[str] | None = None,
    **options: Any,
) -> SimConfig:
    """A configuration with the same arrival rate in every queue and agents agent1..agentN who have
    the skills given for them in `skills`, else the queues of their `levels` ({queue: level}, as
    configured for them), else every queue's (codes match the demo usernames).

    `extra_queues` are simulated without arrivals of their own (IVR targets, overflow queues);
    `routing` gives queues their priority, maximum wait and overflow (objects with `priority`,
    `max_wait_s` and `overflow`, as telephony.routing.queue_routing_map returns).
    """
    names = list(dict.fromkeys([*queues, *(extra_queues or [])]))
    skills, levels, routing = skills or {}, levels or {}, routing or {}

    def spec(name: str) -> QueueSpec:
        rate = calls_per_hour if name in queues else 0.0
        settings = routing.get(name)
        if settings is None:
            return QueueSpec(name, rate)
        overflow = settings.overflow if settings.overflow in names else None
        return QueueSpec(
            name,
            rate,
            priority=settings.priority,
            max_wait_s=float(settings.max_wait_s)
            if settings.max_wait_s and overflow
            else settings.max_wait_s,
            overflow=overflow,
        )

    def agent(code: str) -> AgentSpec:
        own = {queue: level for queue, level in levels.get(code, {}).items() if queue in names}
        if code in skills:
            return AgentSpec(code, frozenset(skills[code]), {q: own.get(q, 1) for q in skills[code]})
        if code in levels:
            return AgentSpec(code, frozenset(own), own)
        return AgentSpec(code, frozenset(names))

    return SimConfig(
        queues=tuple(spec(name) for name in names),
        agents=tuple(agent(f"agent{n}") for n in range(1, agents + 1)),
        start=start,
        **options,
    )


def ivr_default(queues: list[str]) -> IvrMenu:
    """The built-in two-level menu: a language choice, then one digit per queue."""
    menu: IvrMenu = {
        IVR_ROOT: {
            "prompt": "Welcome. For English press 1. Para español oprima 2.",
            "options": {"1": {"node": "menu-en"}, "2": {"node": "menu-es"}},
        }
    }
    for node, word in (
        ("menu-en", "For {queue} press {digit}."),
        ("menu-es", "Para {queue} oprima {digit}."),
    ):
        options = {str(digit): {"queue": queue} for digit, queue in enumerate(queues[:9], start=1)}
        prompt = " ".join(
            word.format(queue=queue, digit=digit) for digit, queue in enumerate(queues[:9], start=1)
        )
        menu[node] = {"prompt": prompt, "options": options}
    return menu


def ivr_paths(menu: IvrMenu) -> dict[str, list[list[tuple[str, str]]]]:
    """Every way through the menu to each queue: queue → list of [(node, digit), ...] from the root.

    Raises ValueError for a menu without a root, an option that names an unknown node, or a loop.
    """
    if IVR_ROOT not in menu:
        raise ValueError(f"the IVR menu needs a root node named {IVR_ROOT!r}")
    paths: dict[str, list[list[tuple[str, str]]]] = {}

    def walk(node: str, trail: list[tuple[str, str]], seen: frozenset[str]) -> None:
        if node in seen:
            raise ValueError(f"the IVR menu loops back to {node!r}")
        if node not in menu:
            raise ValueError(f"the IVR menu has no node {node!r}")
        for digit, target in sorted(menu[node].get("options", {}).items()):
            step = [*trail, (node, str(digit))]
            if "queue" in target:
                paths.setdefault(target["queue"], []).append(step)
            elif "node" in target:
                walk(target["node"], step, seen | {node})
            else:
                raise ValueError(f"IVR option {node}/{digit} needs a `node` or a `queue`")

    walk(IVR_ROOT, [], frozenset())
    return paths


@dataclass
class _Call:
    n: int
    call_id: str
    caller: str
    callee: str
    queue: str
    token: int = 0  # bumped when the call leaves the queue, so a stale patience timer does nothing
    queued_at: float = 0.0
    first_answered_at: float | None = None
    waited_s: float = 0.0
    transferred: bool = False
    direction: str = "inbound"
    ended: bool = False
    ivr: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class _Agent:
    spec: AgentSpec
    order: int
    status: str = "idle"  # idle | busy | break | paused | out
    idle_since: float = 0.0
    break_pending: bool = False
    # A live agent is a person on the agent desktop: the engine rings them and waits for commands.
    live: bool = False
    call: _Call | None = None
    phase: str = ""  # live agents: ringing | talking | held | wrapup
    token: int = 0  # bumped on every phase change, so stale ring/wrap-up timers do nothing
    pause_pending: tuple[str, str] | None = None
    dials: list[dict[str, Any]] = field(default_factory=list)


@dataclass(order=True)
class _Action:
    at: float
    seq: int
    run: Callable[..., None] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False, default=())


class _Engine:
    def __init__(self, config: SimConfig):
        self.config = config
        self.rng = random.Random(config.seed)
        self.start = config.start.astimezone(UTC)
        self.run_key = f"{config.seed}-{self.start:%Y%m%dT%H%M%S}"
        self.now = 0.0
        self.heap: list[_Action] = []
        self.seq = 0
        self.out: list[dict[str, Any]] = []
        self.event_n = 0
        self.call_n = 0
        self.active_calls = 0
        self.draining = False
        self.queue_names = [queue.name for queue in config.queues]
        self.waiting: dict[str, dict[int, _Call]] = {name: {} for name in self.queue_names}
        self.agents = [_Agent(spec, order) for order, spec in enumerate(config.agents)]
        self.skilled = {name: [a for a in self.agents if name in a.spec.skills] for name in self.queue_names}
        self.queue_specs = {queue.name: queue for queue in config.queues}
        self.ivr: dict[str, Any] | None = None
        self.toward: dict[str, dict[str, int]] = {}
        if config.ivr_enabled:
            self.ivr_use(
                config.ivr_graph
                if config.ivr_graph is not None
                else graph_from_menu(config.ivr if config.ivr is not None else ivr_default(self.queue_names))
            )
        self.callers = [f"+1{area}5550{n}" for area in AREA_CODES for n in range(100, 200)]
        self.dids = {name: f"+1800555{100 + i:04d}" for i, name in enumerate(self.queue_names)}

    # --- plumbing ------------------------------------------------------------------------------
    def at(self, delay: float, run: Callable[..., None], *args: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, _Action(self.now + max(0.0, delay), self.seq, run, args))

    def stamp(self, seconds: float) -> str:
        moment = self.start + timedelta(milliseconds=round(seconds * 1000))
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def emit(
        self, type_: str, *, call: _Call | None = None, agent: _Agent | None = None, **extra: Any
    ) -> None:
        self.event_n += 1
        event: dict[str, Any] = {
            "source": self.config.source,
            "event_id": f"{self.run_key}-{self.event_n}",
            "ts": self.stamp(self.now),
            "type": type_,
            "call_id": call.call_id if call else "",
            "queue": extra.pop("queue", call.queue if call else ""),
            "agent": agent.spec.code if agent else "",
            "caller": call.caller if call else "",
            "callee": call.callee if call else "",
            "direction": call.direction if call else "",
            "data": extra.pop("data", {}),
        }
        self.out.append(event)

    def spread(self, mean: float) -> float:
        """A duration around `mean` (±50 %, uniform): for rings, prompts and the like."""
        return mean * self.rng.uniform(0.5, 1.5) if mean > 0 else 0.0

    def run(self) -> Iterator[dict[str, Any]]:
        self.begin()
        yield from self.flush()
        while self.heap:
            self.step()
            yield from self.flush()
        self.logout_all()  # a no-op when all went well; never leave an agent logged in
        yield from self.flush()

    def begin(self) -> None:
        for agent in self.agents:
            self.emit("agent.login", agent=agent)
            if self.config.breaks_per_hour > 0:
                self.at(self.rng.expovariate(self.config.breaks_per_hour / 3600), self.break_due, agent)
        for queue in self.config.queues:
            if queue.calls_per_hour > 0:
                self.at(self.rng.expovariate(queue.calls_per_hour / 3600), self.arrive, queue)
        self.at(self.config.duration_s, self.period_end)

    def next_at(self) -> float | None:
        return self.heap[0].at if self.heap else None

    def live_busy(self) -> bool:
        """A person on the desktop still has a call to finish (the run waits for their commands)."""
        return any(agent.live and agent.phase for agent in self.agents)

    def step(self) -> None:
        action = heapq.heappop(self.heap)
        self.now = action.at
        action.run(*action.args)

    def flush(self) -> Iterator[dict[str, Any]]:
        out, self.out = self.out, []
        yield from out

    # --- calls ---------------------------------------------------------------------------------
    def arrive(self, spec: QueueSpec) -> None:
        if self.now >= self.config.duration_s:
            return
        self.at(self.rng.expovariate(spec.calls_per_hour / 3600), self.arrive, spec)
        self.call_n += 1
        self.active_calls += 1
        call = _Call(
            n=self.call_n,
            call_id=f"{self.run_key}-c{self.call_n}",
            caller=self.rng.choice(self.callers),
            callee=self.dids[spec.name],
            queue="",
        )
        self.emit("call.offered", call=call)
        if self.ivr is None:
            self.enqueue(call, spec.name)
        else:
            call.ivr = self.ivr  # the call finishes the flow it started in, even if it is replaced
            self.ivr_visit(call, spec.name, self.ivr["start"], 0, 0)

    # --- the IVR ---------------------------------------------------------------------------------
    def ivr_use(self, graph: dict[str, Any]) -> None:
        """Walk this flow graph from now on (calls already in the IVR finish the one they started)."""
        unknown = queues_of(graph) - set(self.queue_names)
        if unknown:
            raise ValueError(f"the IVR sends calls to queues that are not simulated: {sorted(unknown)}")
        self.ivr = graph
        self.toward = {name: distances_to(graph["nodes"], name) for name in self.queue_names}

    def ivr_event(self, call: _Call, node: str, digits: str = "", **data: Any) -> None:
        self.emit("call.ivr", call=call, data={"node": node, "digits": digits, **data})

    def ivr_visit(self, call: _Call, intent: str, node_id: str, tries: int, steps: int) -> None:
        """The call arrives at `node_id` of the flow; `intent` is the queue the caller wants."""
        node = call.ivr["nodes"][node_id]
        kind = node["type"]
        if steps >= IVR_MAX_STEPS:
            self.ivr_leave(call, {"by": "caller"})
        elif kind == MENU:
            config = self.config
            draw = self.rng.random()
            if draw < config.ivr_timeout_probability:
                delay = self.spread(config.ivr_step_s) + menu_timeout_s(node)
                self.at(delay, self.ivr_failed, call, intent, node_id, tries, steps, "timeout")
                return
            wrong = [digit for digit in DIGITS if digit not in node["options"]]
            if wrong and draw < config.ivr_timeout_probability + config.ivr_invalid_probability:
                digit = self.rng.choice(wrong)
                self.at(
                    self.spread(config.ivr_step_s),
                    self.ivr_failed,
                    call,
                    intent,
                    node_id,
                    tries,
                    steps,
                    digit,
                )
                return
            options = sorted(node["options"].items())
            distance = self.toward.get(intent, {})
            nearest = min(
                (distance[target] for _digit, target in options if target in distance), default=None
            )
            helpful = [item for item in options if nearest is not None and distance.get(item[1]) == nearest]
            digit, target = self.rng.choice(helpful or options)
            self.at(
                self.spread(config.ivr_step_s), self.ivr_pressed, call, intent, node_id, digit, target, steps
            )
        elif kind == MESSAGE:
            self.at(
                self.spread(self.config.ivr_step_s),
                self.ivr_played,
                call,
                intent,
                node_id,
                node["next"],
                steps,
            )
        elif kind == SCHEDULE:
            moment = self.start + timedelta(seconds=self.now)
            # A moment later, so the branch's event never shares a timestamp with the next node's.
            self.at(0.2, self.ivr_branched, call, intent, node_id, schedule_branch(node, moment), steps)
        elif kind == QUEUE:
            self.enqueue(call, node["queue"])
        elif kind == VOICEMAIL:
            self.ivr_event(call, node_id, action="voicemail", mailbox=node.get("mailbox", ""))
            self.at(self.rng.uniform(15, 60), self.ivr_leave, call, {"by": "caller"})
        elif kind == CALLBACK:
            self.ivr_event(call, node_id, action="callback", callback_queue=node.get("queue", ""))
            self.at(self.spread(self.config.ivr_step_s), self.ivr_leave, call, {"by": "caller"})
        elif kind == HANGUP:
            self.ivr_event(call, node_id, action="hangup")
            self.at(self.spread(self.config.ivr_step_s), self.ivr_leave, call, {"by": "ivr"})

    def ivr_pressed(
        self, call: _Call, intent: str, node_id: str, digit: str, target: str, steps: int
    ) -> None:
        self.ivr_event(call, node_id, digit)
        self.ivr_visit(call, intent, target, 0, steps + 1)

    def ivr_failed(self, call: _Call, intent: str, node_id: str, tries: int, steps: int, digit: str) -> None:
        """A wrong key (`digit`) or silence ("timeout"): try again, or after the last try, the fallback."""
        node = call.ivr["nodes"][node_id]
        timeout = digit == "timeout"
        self.ivr_event(call, node_id, "" if timeout else digit, result="timeout" if timeout else "invalid")
        if tries + 1 <= menu_retries(node):
            self.ivr_visit(call, intent, node_id, tries + 1, steps + 1)
            return
        fallback = node.get("on_timeout" if timeout else "on_invalid")
        if fallback:
            self.ivr_visit(call, intent, fallback, 0, steps + 1)
        else:
            # The polite goodbye after the last try (what the dialplan export does too).
            self.at(self.spread(self.config.ivr_step_s), self.ivr_leave, call, {"by": "ivr"})

    def ivr_played(self, call: _Call, intent: str, node_id: str, target: str, steps: int) -> None:
        self.ivr_event(call, node_id)
        self.ivr_visit(call, intent, target, 0, steps + 1)

    def ivr_branched(self, call: _Call, intent: str, node_id: str, branch: str, steps: int) -> None:
        node = call.ivr["nodes"][node_id]
        target = (node.get("holiday") or node["closed"]) if branch == "holiday" else node[branch]
        self.ivr_event(call, node_id, branch=branch)
        self.ivr_visit(call, intent, target, 0, steps + 1)

    def ivr_leave(self, call: _Call, data: dict[str, Any]) -> None:
        """The call ends in the IVR (voicemail left, callback asked for, hung up, or gave up)."""
        self.emit("call.ended", call=call, data=data)
        self.call_done()

    def enqueue(self, call: _Call, queue: str) -> None:
        call.queue = queue
        call.queued_at = self.now
        call.token += 1
        self.emit("call.queued", call=call)
        agent = self.longest_idle(queue)
        if agent is not None:
            self.offer(call, agent)
            return
        self.waiting[queue][call.n] = call
        if self.config.patience_s > 0:
            self.at(self.rng.expovariate(1 / self.config.patience_s), self.patience_end, call, call.token)
        max_wait = self.queue_specs[queue].max_wait_s
        if max_wait:
            self.at(max_wait, self.max_wait_end, call, call.token)

    def longest_idle(self, queue: str, *, other_than: _Agent | None = None) -> _Agent | None:
        """The free agent for a call of `queue`: the highest skill level, then the longest idle."""
        idle = [agent for agent in self.skilled[queue] if agent.status == "idle" and agent is not other_than]
        return (
            min(idle, key=lambda agent: (-agent.spec.level(queue), agent.idle_since, agent.order))
            if idle
            else None
        )

    def max_wait_end(self, call: _Call, token: int) -> None:
        """The call has waited its queue's maximum: it leaves for the overflow queue, or is ended."""
        if call.token != token or call.n not in self.waiting[call.queue]:
            return
        del self.waiting[call.queue][call.n]
        call.token += 1
        spec = self.queue_specs[call.queue]
        self.emit(
            "call.timeout",
            call=call,
            data={"wait_s": round(self.now - call.queued_at, 3), "reason": "max_wait"},
        )
        if spec.overflow:
            self.at(0.5, self.enqueue, call, spec.overflow)
        else:
            self.at(self.spread(self.config.ivr_step_s), self.ivr_leave, call, {"by": "ivr"})

    def patience_end(self, call: _Call, token: int) -> None:
        if call.token != token or call.n not in self.waiting[call.queue]:
            return
        del self.waiting[call.queue][call.n]
        call.token += 1
        wait = self.now - call.queued_at
        self.emit("call.abandoned", call=call, data={"wait_s": round(wait, 3)})
        if call.first_answered_at is not None:
            self.recorded(call, None)  # abandoned after a transfer: the talk before it was recorded
        self.call_done()

    def offer(self, call: _Call, agent: _Agent) -> None:
        agent.status = "busy"
        call.token += 1  # no longer waiting: the patience timer is void
        self.emit("call.ringing", call=call, agent=agent)
        if agent.live:
            agent.call, agent.phase = call, "ringing"
            agent.token += 1
            self.at(LIVE_RING_TIMEOUT_S, self.ring_timeout, call, agent, agent.token)
            return
        self.at(self.spread(self.config.ring_s), self.answer, call, agent)

    def answer(self, call: _Call, agent: _Agent) -> None:
        config = self.config
        wait = self.now - call.queued_at
        call.waited_s += wait
        if call.first_answered_at is None:
            call.first_answered_at = self.now
        self.emit("call.answered", call=call, agent=agent, data={"wait_s": round(wait, 3)})
        handle = self.rng.expovariate(1 / config.aht_s)
        acw = handle * config.acw_share
        talk = handle - acw  # including any hold
        others = [name for name in self.queue_names if name != call.queue]
        if others and not call.transferred and self.rng.random() < config.transfer_probability:
            self.at(
                talk * self.rng.uniform(0.2, 0.6), self.transfer, call, agent, self.rng.choice(others), acw
            )
            return
        if self.rng.random() < config.hold_probability:
            hold = talk * self.rng.uniform(0.1, 0.3)
            begin = (talk - hold) * self.rng.uniform(0.2, 0.8)
            self.at(begin, self.emit_later, "call.hold", call, agent)
            self.at(begin + hold, self.emit_later, "call.unhold", call, agent)
        self.at(talk, self.end, call, agent, acw)

    def emit_later(self, type_: str, call: _Call, agent: _Agent) -> None:
        self.emit(type_, call=call, agent=agent)

    def transfer(self, call: _Call, agent: _Agent, target: str, acw: float) -> None:
        call.transferred = True
        self.emit("call.transferred", call=call, agent=agent, data={"to_queue": target})
        self.at(acw, self.wrapup_end, call, agent, call.queue, False)
        # The new queue picks the call up a moment later: a transfer takes a little while to set up,
        # and a distinct time keeps "left the first queue" before "entered the second" in any order.
        self.at(0.5, self.enqueue, call, target)

    def end(self, call: _Call, agent: _Agent, acw: float) -> None:
        config = self.config
        by = "caller" if self.rng.random() < 0.6 else "agent"
        self.emit("call.ended", call=call, agent=agent, data={"by": by})
        self.at(acw, self.wrapup_end, call, agent, call.queue, True)
        self.recorded(call, agent)
        if self.rng.random() < config.survey_probability:
            self.at(self.rng.uniform(30, 120), self.survey, call)

    def wrapup_end(self, call: _Call, agent: _Agent, queue: str, last_leg: bool) -> None:
        self.emit("call.wrapup_ended", call=call, agent=agent, queue=queue)
        if last_leg:
            self.active_calls -= 1
        if agent.live:
            agent.call, agent.phase = None, ""
            agent.token += 1
            if agent.pause_pending:
                # The pause asked for during the call starts now (the feed already said so).
                agent.pause_pending = None
                agent.status = "paused"
                self.logout_when_done()
                return
        self.agent_free(agent)
        self.logout_when_done()

    def call_done(self) -> None:
        self.active_calls -= 1
        self.logout_when_done()

    def recorded(self, call: _Call, agent: _Agent | None) -> None:
        """The call is over: its recording is ready a few seconds later."""
        if self.config.recordings and call.first_answered_at is not None:
            self.at(self.rng.uniform(1, 3), self.recording, call, agent, self.now - call.first_answered_at)

    def recording(self, call: _Call, agent: _Agent | None, length_s: float) -> None:
        day = self.start + timedelta(seconds=call.first_answered_at or 0)
        path = f"recordings/{self.config.source}/{day:%Y/%m/%d}/{call.call_id}.wav"
        seconds = min(length_s, MAX_RECORDING_S)  # the stand-in clip is capped; duration_s is the clip's
        if self.config.media_root is not None:
            seconds = recording_write_wav(
                Path(self.config.media_root) / path,
                duration_s=seconds,
                seed=self.config.seed * 1_000_003 + call.n,
            )
        self.emit(
            "recording.ready", call=call, agent=agent, data={"path": path, "duration_s": round(seconds, 3)}
        )

    def survey(self, call: _Call) -> None:
        # Long waits make unhappy customers: the score leans lower after a minute in the queue.
        weights = (5, 7, 13, 35, 40) if call.waited_s <= 60 else (15, 15, 25, 25, 20)
        csat = self.rng.choices(range(1, 6), weights=weights)[0]
        data: dict[str, Any] = {"csat": csat}
        if self.rng.random() < 0.8:
            data["nps"] = max(0, min(10, round(csat * 2 + self.rng.gauss(0, 1.5))))
        self.emit("survey.response", call=call, data=data)

    # --- agents --------------------------------------------------------------------------------
    def agent_free(self, agent: _Agent) -> None:
        if agent.status == "out":
            return
        if agent.dials and not self.draining:
            self.dial(agent, agent.dials.pop(0))
            return
        if agent.break_pending and not self.draining and not agent.live:
            agent.break_pending = False
            agent.status = "break"
            # A second later, so a feed sorted by time shows the wrap-up ending before the break.
            self.at(1.0, self.break_start, agent)
            return
        agent.break_pending = False
        waiting = [
            next(iter(self.waiting[name].values())) for name in agent.spec.skills if self.waiting[name]
        ]
        if waiting:
            # The highest-priority queue first, then the call that has waited longest.
            call = min(waiting, key=lambda c: (-self.queue_specs[c.queue].priority, c.queued_at, c.n))
            del self.waiting[call.queue][call.n]
            self.offer(call, agent)
            return
        agent.status = "idle"
        agent.idle_since = self.now

    def break_due(self, agent: _Agent) -> None:
        if self.draining or agent.status == "out" or agent.live:
            return
        self.at(self.rng.expovariate(self.config.breaks_per_hour / 3600), self.break_due, agent)
        if agent.status == "idle":
            agent.status = "break"
            self.break_start(agent)
        elif agent.status == "busy":
            agent.break_pending = True

    def break_start(self, agent: _Agent) -> None:
        if agent.status == "out" or agent.live:
            return
        self.emit("agent.state", agent=agent, data={"state": "not_ready", "reason": "break"})
        self.at(self.spread(self.config.break_s), self.break_end, agent)

    def break_end(self, agent: _Agent) -> None:
        if agent.status == "out" or agent.live:
            return
        self.emit("agent.state", agent=agent, data={"state": "available", "reason": ""})
        self.agent_free(agent)

    def period_end(self) -> None:
        self.draining = True
        self.logout_when_done()

    def logout_when_done(self) -> None:
        if not self.draining or self.active_calls > 0:
            return
        if any(agent.status == "busy" for agent in self.agents):
            return  # someone is still wrapping up a transferred leg
        self.logout_all()

    def logout_all(self) -> None:
        for agent in self.agents:
            if agent.status != "out":
                agent.status = "out"
                self.emit("agent.logout", agent=agent)

    # --- live agents: commands from the agent desktop --------------------------------------------
    def command(self, action: str, code: str, call_id: str = "", data: dict[str, Any] | None = None) -> str:
        """Apply one desktop command at the current simulated time; returns "" or why it was ignored."""
        data = data or {}
        agent = next((a for a in self.agents if a.spec.code == code), None)
        # A state change from someone the engine does not know as live (a simulated agent with the
        # person's code, or a desk that was logged in before this run began) is a login.
        if action == "login" or (
            action == "state" and (agent is None or not agent.live or agent.status == "out")
        ):
            return self.live_login(agent, code, data)
        if agent is None or not agent.live or agent.status == "out":
            return f"{code} is not logged in on the desktop"
        call = agent.call
        if call_id and action != "dial" and (call is None or call.call_id != call_id):
            return f"{code} has no call {call_id}"
        match action:
            case "state":
                return self.live_state(
                    agent, str(data.get("state", "available")), str(data.get("reason", ""))
                )
            case "logout":
                if agent.phase not in ("", "ringing"):
                    return f"{code} is on a call: hang up and end wrap-up first"
                if agent.phase == "ringing" and call is not None:
                    self.ring_lost(call, agent)
                agent.status = "out"
                self.emit("agent.logout", agent=agent)
                return ""
            case "answer" if call is not None and agent.phase == "ringing":
                agent.phase = "talking"
                agent.token += 1
                wait = self.now - call.queued_at
                call.waited_s += wait
                if call.first_answered_at is None:
                    call.first_answered_at = self.now
                self.emit("call.answered", call=call, agent=agent, data={"wait_s": round(wait, 3)})
                return ""
            case "hold" if call is not None and agent.phase == "talking":
                agent.phase = "held"
                self.emit("call.hold", call=call, agent=agent)
                return ""
            case "unhold" if call is not None and agent.phase == "held":
                agent.phase = "talking"
                self.emit("call.unhold", call=call, agent=agent)
                return ""
            case "hangup" if call is not None and agent.phase in ("talking", "held"):
                if agent.phase == "held":
                    self.emit("call.unhold", call=call, agent=agent)
                call.ended = True
                self.emit("call.ended", call=call, agent=agent, data={"by": "agent"})
                self.recorded(call, agent)
                if call.direction == "inbound" and self.rng.random() < self.config.survey_probability:
                    self.at(self.rng.uniform(30, 120), self.survey, call)
                self.live_wrapup(agent, call)
                return ""
            case "transfer" if call is not None and agent.phase in ("talking", "held"):
                target = str(data.get("to_queue", ""))
                if target not in self.queue_names or target == call.queue:
                    return f"cannot transfer to {target!r}"
                if agent.phase == "held":
                    self.emit("call.unhold", call=call, agent=agent)
                call.transferred = True
                self.emit("call.transferred", call=call, agent=agent, data={"to_queue": target})
                self.live_wrapup(agent, call)
                self.at(0.5, self.enqueue, call, target)
                return ""
            case "wrapup_end" if call is not None and agent.phase == "wrapup":
                self.wrapup_end(call, agent, call.queue, call.ended)
                return ""
            case "dial":
                if not data.get("number"):
                    return "dial needs a number"
                agent.dials.append({**data, "call_id": data.get("call_id") or call_id})
                if agent.status == "idle":
                    self.agent_free(agent)
                return ""
        return f"{action} does not apply to {code} now ({agent.phase or agent.status})"

    def live_login(self, agent: _Agent | None, code: str, data: dict[str, Any]) -> str:
        if agent is None:
            known = self.config.known_skills.get(code)
            if known is not None and not data.get("queues"):
                levels = {queue: level for queue, level in known.items() if queue in self.queue_names}
                spec = AgentSpec(code, frozenset(levels), levels)
            else:
                skills = frozenset(data.get("queues") or self.queue_names) & frozenset(self.queue_names)
                spec = AgentSpec(code, skills)
            agent = _Agent(spec, order=len(self.agents), status="out")
            self.agents.append(agent)
            for name in skills:
                self.skilled[name].append(agent)
        agent.live = True
        agent.break_pending = False
        if agent.status == "out":
            self.emit("agent.login", agent=agent)
            agent.status, agent.idle_since = "idle", self.now
        state = str(data.get("state", "available"))
        if agent.status == "busy" and agent.phase == "":
            # A simulated agent taken over mid-call: the call finishes as simulated, then the person works.
            if state != "available":
                return self.live_state(agent, state, str(data.get("reason", "")))
            return ""
        return self.live_state(agent, state, str(data.get("reason", "")))

    def live_state(self, agent: _Agent, state: str, reason: str) -> str:
        if state not in ("available", "not_ready", "break"):
            return f"unknown state {state!r}"
        self.emit("agent.state", agent=agent, data={"state": state, "reason": reason})
        if agent.status == "busy":
            agent.pause_pending = None if state == "available" else (state, reason)
            return ""
        if state == "available":
            agent.status, agent.idle_since = "idle", self.now
            self.agent_free(agent)
        else:
            agent.status = "paused"
        return ""

    def live_wrapup(self, agent: _Agent, call: _Call) -> None:
        agent.phase = "wrapup"
        agent.token += 1
        self.at(LIVE_WRAPUP_LIMIT_S, self.wrapup_limit, call, agent, agent.token)

    def wrapup_limit(self, call: _Call, agent: _Agent, token: int) -> None:
        if agent.token == token and agent.phase == "wrapup" and agent.call is call:
            self.wrapup_end(call, agent, call.queue, call.ended)

    def ring_timeout(self, call: _Call, agent: _Agent, token: int) -> None:
        if agent.token != token or agent.phase != "ringing" or agent.call is not call:
            return
        self.ring_lost(call, agent)
        # Asterisk's autopause: an agent who does not answer is paused until they say otherwise.
        self.emit("agent.state", agent=agent, data={"state": "not_ready", "reason": "no_answer"})
        agent.status = "paused"

    def ring_lost(self, call: _Call, agent: _Agent) -> None:
        """The live agent did not take the call: it goes back to the queue, first in line again."""
        self.emit("call.ringing", call=call, agent=agent, data={"answered": False})
        agent.call, agent.phase = None, ""
        agent.token += 1
        agent.status = "idle"
        if call.direction == "outbound":
            self.emit("call.ended", call=call, agent=agent, data={"by": "agent", "wrapup": False})
            self.call_done()
            return
        call.token += 1
        self.waiting[call.queue][call.n] = call
        self.waiting[call.queue] = dict(
            sorted(self.waiting[call.queue].items(), key=lambda kv: kv[1].queued_at)
        )
        if self.config.patience_s > 0:
            self.at(self.rng.expovariate(1 / self.config.patience_s), self.patience_end, call, call.token)
        max_wait = self.queue_specs[call.queue].max_wait_s
        if max_wait:
            self.at(max(0.0, max_wait - (self.now - call.queued_at)), self.max_wait_end, call, call.token)
        other = self.longest_idle(call.queue, other_than=agent)
        if other is not None:
            del self.waiting[call.queue][call.n]
            self.offer(call, other)

    def dial(self, agent: _Agent, request: dict[str, Any]) -> None:
        """An outbound call (a callback): the agent's phone rings first, then the customer is dialled."""
        self.call_n += 1
        self.active_calls += 1
        queue = str(request.get("queue") or "")
        call = _Call(
            n=self.call_n,
            call_id=str(request.get("call_id") or f"{self.run_key}-o{self.call_n}"),
            caller=self.dids.get(queue, next(iter(self.dids.values()))),
            callee=str(request["number"]),
            queue=queue,
            direction="outbound",
        )
        call.queued_at = self.now
        self.emit("call.offered", call=call, agent=agent)
        self.offer(call, agent)


def simulate(config: SimConfig) -> Iterator[dict[str, Any]]:
    """Yield the simulated feed's events (DESIGN.md §2 dicts), in time order, until every call and
    agent has finished. Deterministic: the same config gives the same events, ids included."""
    return _Engine(config).run()


def simulation(config: SimConfig) -> _Engine:
    """The engine to drive step by step in real time, taking desktop commands as they come:
    `begin()`, then `step()` while `next_at()` is due, `command(...)` at `now`, `flush()` for events."""
    return _Engine(config)


def event_seconds(event: dict[str, Any], start: datetime) -> float:
    """Simulated seconds from `start` to the event's time."""
    return (datetime.fromisoformat(event["ts"]) - start).total_seconds()


@dataclass
class FeedStats:
    """Running counts of a generated feed, for the command's summary: visits count as in DESIGN §3."""

    sl_threshold_s: float = SL_THRESHOLD_S
    short_abandon_s: float = SHORT_ABANDON_S
    events: int = 0
    calls: int = 0
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    transferred: int = 0
    within_sl: int = 0
    total_wait_s: float = 0.0
    _queued_at: dict[str, datetime] = field(default_factory=dict, repr=False)

    def observe(self, event: dict[str, Any]) -> None:
        self.events += 1
        kind, call_id = event["type"], event["call_id"]
        if kind == "call.offered":
            self.calls += 1
        elif kind == "call.queued":
            self.offered += 1
            self._queued_at[call_id] = datetime.fromisoformat(event["ts"])
        elif kind in ("call.answered", "call.abandoned") and call_id in self._queued_at:
            wait = (datetime.fromisoformat(event["ts"]) - self._queued_at.pop(call_id)).total_seconds()
            if kind == "call.answered":
                self.answered += 1
                self.total_wait_s += wait
                self.within_sl += wait <= self.sl_threshold_s
            else:
                self.abandoned += 1
                self.short_abandoned += wait < self.short_abandon_s
        elif kind == "call.transferred":
            self.transferred += 1

    @property
    def asa_s(self) -> float | None:
        return self.total_wait_s / self.answered if self.answered else None

    @property
    def service_level(self) -> float | None:
        """Answered within the threshold / (offered - short abandoned), a fraction 0-1."""
        base = self.offered - self.short_abandoned
        return self.within_sl / base if base > 0 else None

    def lines(self) -> list[str]:
        asa = "n/a" if self.asa_s is None else f"{self.asa_s:.1f} s"
        level = "n/a" if self.service_level is None else f"{100 * self.service_level:.1f} %"
        return [
            f"calls: {self.calls}  queue visits: {self.offered}  answered: {self.answered}  "
            f"abandoned: {self.abandoned}  transferred: {self.transferred}",
            f"events: {self.events}",
            f"ASA: {asa}  service level (≤ {self.sl_threshold_s:g} s): {level}",
        ]
