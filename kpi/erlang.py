"""Erlang B and Erlang C queueing formulas for staffing and for checking the simulated ACD against theory.

Pure functions of floats. Everything is computed with the Erlang B recursion, which stays between 0
and 1 at every step, so hundreds of agents and hundreds of Erlangs never overflow (no factorials and
no powers of the traffic).

Units: `traffic` is offered load in Erlangs (arrival rate * mean handle time), `agents` a whole
number of agents, times in seconds. Results are fractions 0-1 (probabilities, service level) or
seconds (ASA).
"""

from __future__ import annotations

import math


def _check(traffic: float, agents: int) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int):
        raise TypeError(f"agents must be a whole number, got {agents!r}")
    if agents < 0:
        raise ValueError(f"agents must be 0 or more, got {agents}")
    if not math.isfinite(traffic) or traffic < 0:
        raise ValueError(f"traffic must be a finite number of Erlangs, 0 or more, got {traffic!r}")


def offered_traffic(*, calls_per_interval: float, interval_s: float, aht_s: float) -> float:
    """Offered load in Erlangs: calls per interval * AHT / interval length."""
    if interval_s <= 0:
        raise ValueError(f"interval_s must be positive, got {interval_s!r}")
    if calls_per_interval < 0 or aht_s < 0:
        raise ValueError("calls_per_interval and aht_s must be 0 or more")
    return calls_per_interval * aht_s / interval_s


def erlang_b(traffic_erlangs: float, agents: int) -> float:
    """Blocking probability of an M/M/N/N system (lost calls cleared) with `traffic_erlangs` offered.

    Uses the recursion B(0) = 1, B(n) = A·B(n-1) / (n + A·B(n-1)), which is exact and numerically
    stable for any size. Returns 1.0 for 0 agents and 0.0 for no traffic with at least one agent.
    """
    _check(traffic_erlangs, agents)
    blocking = 1.0
    for n in range(1, agents + 1):
        load = traffic_erlangs * blocking
        blocking = load / (n + load)
    return blocking


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a call waits (M/M/N, FIFO, infinite patience): Erlang C.

    C = N·B / (N - A·(1 - B)) with B = Erlang B for the same traffic and agents. Returns 1.0 when
    agents ≤ traffic: the queue grows without bound and every call waits.
    """
    _check(traffic, agents)
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(traffic, agents)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(
    calls_per_interval: float, interval_s: float, aht_s: float, agents: int, target_time_s: float
) -> float:
    """Fraction of calls answered within `target_time_s`: 1 - C·exp(-(N - A)·T / AHT).

    Returns 0.0 when agents ≤ traffic (an unstable queue meets no target) and 1.0 when there is no
    traffic at all.
    """
    traffic = offered_traffic(calls_per_interval=calls_per_interval, interval_s=interval_s, aht_s=aht_s)
    _check(traffic, agents)
    if target_time_s < 0:
        raise ValueError(f"target_time_s must be 0 or more, got {target_time_s!r}")
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waiting = erlang_c(traffic, agents)
    return max(0.0, 1.0 - waiting * math.exp(-(agents - traffic) * target_time_s / aht_s))


def asa(calls_per_interval: float, interval_s: float, aht_s: float, agents: int) -> float:
    """Average speed of answer in seconds over all calls (waiting or not): C·AHT / (N - A).

    Returns math.inf when agents ≤ traffic (the wait grows without bound).
    """
    traffic = offered_traffic(calls_per_interval=calls_per_interval, interval_s=interval_s, aht_s=aht_s)
    _check(traffic, agents)
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * aht_s / (agents - traffic)


def occupancy(calls_per_interval: float, interval_s: float, aht_s: float, agents: int) -> float:
    """Fraction of agent time spent handling calls: A / N (1.0 when agents ≤ traffic)."""
    traffic = offered_traffic(calls_per_interval=calls_per_interval, interval_s=interval_s, aht_s=aht_s)
    _check(traffic, agents)
    if agents <= traffic:
        return 1.0
    return traffic / agents


def agents_required(
    calls_per_interval: float,
    interval_s: float,
    aht_s: float,
    target_sl: float,
    target_time_s: float,
    *,
    max_agents: int = 100_000,
) -> int:
    """The fewest agents whose Erlang C service level reaches `target_sl` (a fraction 0-1).

    Walks N upwards from just above the traffic, extending the Erlang B recursion one agent at a
    time, so the whole search costs O(N) rather than O(N^2): 96 intervals of a large center stay
    fast. Returns 0 when there is no traffic; raises ValueError when `max_agents` is not enough.
    """
    traffic = offered_traffic(calls_per_interval=calls_per_interval, interval_s=interval_s, aht_s=aht_s)
    _check(traffic, 0)
    if not 0 <= target_sl < 1:
        raise ValueError(f"target_sl must be a fraction from 0 up to (not including) 1, got {target_sl!r}")
    if traffic == 0:
        return 0
    blocking = 1.0
    for agents in range(1, max_agents + 1):
        load = traffic * blocking
        blocking = load / (agents + load)
        if agents <= traffic:
            continue
        waiting = agents * blocking / (agents - traffic * (1.0 - blocking))
        if 1.0 - waiting * math.exp(-(agents - traffic) * target_time_s / aht_s) >= target_sl:
            return agents
    raise ValueError(f"more than {max_agents} agents would be needed for {traffic:.1f} Erlangs")
