"""Erlang B, C and A queueing formulas for staffing and for checking the simulated ACD against theory.

Pure functions of floats. Erlang B and C use the Erlang B recursion, which stays between 0 and 1 at
every step, so hundreds of agents and hundreds of Erlangs never overflow (no factorials and no
powers of the traffic). Erlang A (M/M/N+M: callers with exponential patience) sums the queue's
birth-death chain in log space and uses a positive series for the incomplete beta function, so it
is equally safe for large centers.

Units: `traffic` is offered load in Erlangs (arrival rate * mean handle time), `agents` a whole
number of agents, times in seconds. Results are fractions 0-1 (probabilities, service level) or
seconds (ASA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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


# --- Erlang A: callers who abandon -----------------------------------------------------------------
# The queue of waiting callers is summed until its terms are this much (in log) below the largest:
# e^-40 ≈ 4e-18, below a double's resolution of the total.
_LOG_NEGLIGIBLE = -40.0
_MAX_QUEUE_TERMS = 1_000_000


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    high, low = (a, b) if a >= b else (b, a)
    return high + math.log1p(math.exp(low - high))


def _log_inverse_erlang_b(traffic: float, agents: int) -> float:
    """log(1 / B(agents, traffic)) by the recursion 1/B(n) = 1 + (n/A)·1/B(n-1), in log space."""
    log_inverse = 0.0
    log_traffic = math.log(traffic)
    for n in range(1, agents + 1):
        log_inverse = _logaddexp(0.0, math.log(n) - log_traffic + log_inverse)
    return log_inverse


@dataclass(frozen=True)
class ErlangA:
    """What M/M/N+M (Erlang A) predicts for one interval. Fractions are 0-1 of all offered calls.

    `service_level`: answered within the target time (a caller who abandons, even quickly, counts
    against it). `asa_s`: mean time in the queue over all calls (waiting or not, answered or
    abandoned), which equals P(abandon) x patience. `occupancy`: carried load / agents.
    """

    p_wait: float
    p_abandon: float
    service_level: float
    asa_s: float
    occupancy: float


def erlang_a(
    calls_per_interval: float,
    interval_s: float,
    aht_s: float,
    agents: int,
    patience_s: float,
    target_time_s: float,
    *,
    _log_inverse_b: float | None = None,
) -> ErlangA:
    """Erlang A (Palm's M/M/N+M) with exponential patience of mean `patience_s`.

    Arrivals see the stationary state (PASTA). A caller finding m others waiting is answered if
    their patience outlasts the m + 1 departures ahead of them; with x = N·mu/theta, that happens
    with probability x / (x + m + 1), and the time it takes T_m satisfies exp(-theta·T_m) ~
    Beta(x + 1, m + 1), so P(T_m <= t) = 1 - I_z(x + 1, m + 1) with z = exp(-theta·t). Always
    stable (callers leave), so any number of agents, even fewer than the traffic, has an answer.
    """
    traffic = offered_traffic(calls_per_interval=calls_per_interval, interval_s=interval_s, aht_s=aht_s)
    _check(traffic, agents)
    if not math.isfinite(patience_s) or patience_s <= 0:
        raise ValueError(f"patience_s must be a positive number of seconds, got {patience_s!r}")
    if target_time_s < 0:
        raise ValueError(f"target_time_s must be 0 or more, got {target_time_s!r}")
    if aht_s <= 0:
        raise ValueError(f"aht_s must be positive, got {aht_s!r}")
    if traffic == 0:
        return ErlangA(p_wait=0.0, p_abandon=0.0, service_level=1.0, asa_s=0.0, occupancy=0.0)
    if agents == 0:
        # Nobody answers: every caller waits until their patience runs out.
        return ErlangA(p_wait=1.0, p_abandon=1.0, service_level=0.0, asa_s=patience_s, occupancy=0.0)
    arrival = calls_per_interval / interval_s  # lambda, calls per second
    service = agents / aht_s  # N·mu
    theta = 1.0 / patience_s
    x = service / theta

    # log q_m: the chance of m waiting relative to all agents busy and nobody waiting (m = 0).
    log_terms = [0.0]
    log_q = 0.0
    peak = 0.0
    m = 0
    while True:
        m += 1
        ratio = arrival / (service + m * theta)
        log_q += math.log(ratio)
        log_terms.append(log_q)
        if log_q > peak:
            peak = log_q
        elif ratio < 1.0 and log_q - peak < _LOG_NEGLIGIBLE:
            break
        if m >= _MAX_QUEUE_TERMS:
            raise ValueError("the queue does not settle: patience is too long for Erlang A, use Erlang C")

    # Scaled sums over the waiting states (relative to exp(peak)).
    # z = exp(-theta·t); log(1 - z) from expm1, exact even when theta·t is tiny (patient callers).
    log_one_minus_z = math.log(-math.expm1(-theta * target_time_s)) if target_time_s > 0 else -math.inf
    a = x + 1.0
    log_t = -a * theta * target_time_s  # log of z^a, the first term of I_z(a, m + 1)
    beta_sum = 0.0  # I_z(a, m + 1), built up term by term (all terms positive)
    waiting = abandoning = answered_in_time = 0.0
    for m, log_q in enumerate(log_terms):
        if m > 0:
            # t_m = t_(m-1) · (1 - z) · (a + m - 1) / m: the next term of the incomplete beta series.
            log_t = (log_t + log_one_minus_z + math.log((a + m - 1) / m)) if target_time_s > 0 else -math.inf
        if log_t > -745.0:
            beta_sum += math.exp(log_t)
        weight = math.exp(log_q - peak)
        waiting += weight
        abandoning += weight * (m + 1) / (x + m + 1)
        if beta_sum < 1.0:
            answered_in_time += weight * x / (x + m + 1) * (1.0 - beta_sum)

    # Normalise against the states with a free agent: sum over j < N of pi_j / pi_N = 1/B - 1.
    log_inverse_b = _log_inverse_erlang_b(traffic, agents) if _log_inverse_b is None else _log_inverse_b
    log_free = log_inverse_b + math.log(-math.expm1(-log_inverse_b)) if log_inverse_b > 0 else -math.inf
    log_busy = peak + math.log(waiting)
    log_total = _logaddexp(log_free, log_busy)
    p_wait = math.exp(log_busy - log_total)
    scale = math.exp(peak - log_total)
    p_abandon = abandoning * scale
    immediate = 1.0 - p_wait
    level = immediate + answered_in_time * scale
    return ErlangA(
        p_wait=p_wait,
        p_abandon=p_abandon,
        service_level=min(1.0, max(0.0, level)),
        asa_s=p_abandon * patience_s,
        occupancy=min(1.0, traffic * (1.0 - p_abandon) / agents),
    )


def agents_required_a(
    calls_per_interval: float,
    interval_s: float,
    aht_s: float,
    patience_s: float,
    target_sl: float,
    target_time_s: float,
    *,
    max_agents: int = 100_000,
) -> int:
    """The fewest agents whose Erlang A service level reaches `target_sl` (a fraction 0-1).

    The service level grows with the agents, so this is a binary search. It starts from the Erlang C
    answer, which is usually enough (callers who give up lighten the load), and widens the upper end
    when it is not (a caller who abandons within the target time counts as a miss).
    """
    traffic = offered_traffic(calls_per_interval=calls_per_interval, interval_s=interval_s, aht_s=aht_s)
    _check(traffic, 0)
    if not 0 <= target_sl < 1:
        raise ValueError(f"target_sl must be a fraction from 0 up to (not including) 1, got {target_sl!r}")
    if traffic == 0:
        return 0

    # log(1/B(n)) for every n tried, extended as the search widens (one recursion for the whole search).
    log_inverse_b = [0.0]
    log_traffic = math.log(traffic)

    def meets(agents: int) -> bool:
        while len(log_inverse_b) <= agents:
            n = len(log_inverse_b)
            log_inverse_b.append(_logaddexp(0.0, math.log(n) - log_traffic + log_inverse_b[-1]))
        level = erlang_a(
            calls_per_interval,
            interval_s,
            aht_s,
            agents,
            patience_s,
            target_time_s,
            _log_inverse_b=log_inverse_b[agents],
        )
        return level.service_level >= target_sl

    if target_sl == 0:
        return 0
    start = max(1, agents_required(calls_per_interval, interval_s, aht_s, target_sl, target_time_s))
    if meets(start):
        # Gallop down from the Erlang C answer: the Erlang A answer is usually a few agents below it.
        high, step = start, 1
        while True:
            low = max(0, high - step)
            if low == 0 or not meets(low):
                break
            high, step = low, step * 2
    else:
        low, high = start, start
        while not meets(high):
            if high >= max_agents:
                raise ValueError(f"more than {max_agents} agents would be needed for {traffic:.1f} Erlangs")
            low, high = high, min(max_agents, high * 2)
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


@dataclass(frozen=True)
class Staffing:
    """The staffing answer of DESIGN §4 (`python manage.py staffing`): keys as in its JSON."""

    agents: int
    scheduled_agents: int
    service_level: float
    occupancy: float
    p_wait: float
    asa_s: float
    p_abandon: float | None = None  # Erlang A only

    def as_json(self) -> dict[str, float | int]:
        return {
            "agents": self.agents,
            "scheduled_agents": self.scheduled_agents,
            "service_level": self.service_level,
            "occupancy": self.occupancy,
            "p_wait": self.p_wait,
            "asa_s": self.asa_s,
        }


def scheduled_for(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that `agents` are on the phones: ceil(agents / (1 - shrinkage))."""
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage must be a fraction from 0 up to (not including) 1, got {shrinkage!r}")
    # Rounded first so that 14 / 0.7 = 20.000000000000004 does not become 21.
    return math.ceil(round(agents / (1.0 - shrinkage), 9))


def staffing(
    *,
    calls_per_interval: float,
    interval_s: float,
    aht_s: float,
    target_sl: float,
    target_time_s: float,
    shrinkage: float = 0.0,
    patience_s: float | None = None,
) -> Staffing:
    """Required agents for one interval: Erlang C, or Erlang A when `patience_s` is given.

    `agents` is the fewest whose service level reaches `target_sl`; the figures are those of that
    many agents; `scheduled_agents` adds shrinkage (breaks, meetings, absence).
    """
    if aht_s <= 0:
        raise ValueError(f"aht_s must be positive, got {aht_s!r}")
    scheduled_for(0, shrinkage)  # validates shrinkage before the work
    if patience_s is None:
        agents = agents_required(calls_per_interval, interval_s, aht_s, target_sl, target_time_s)
        if agents == 0:
            return Staffing(0, 0, 1.0, 0.0, 0.0, 0.0)
        traffic = offered_traffic(calls_per_interval=calls_per_interval, interval_s=interval_s, aht_s=aht_s)
        return Staffing(
            agents=agents,
            scheduled_agents=scheduled_for(agents, shrinkage),
            service_level=service_level(calls_per_interval, interval_s, aht_s, agents, target_time_s),
            occupancy=occupancy(calls_per_interval, interval_s, aht_s, agents),
            p_wait=erlang_c(traffic, agents),
            asa_s=asa(calls_per_interval, interval_s, aht_s, agents),
        )
    agents = agents_required_a(calls_per_interval, interval_s, aht_s, patience_s, target_sl, target_time_s)
    result = erlang_a(calls_per_interval, interval_s, aht_s, agents, patience_s, target_time_s)
    return Staffing(
        agents=agents,
        scheduled_agents=scheduled_for(agents, shrinkage),
        service_level=result.service_level,
        occupancy=result.occupancy,
        p_wait=result.p_wait,
        asa_s=result.asa_s,
        p_abandon=result.p_abandon,
    )
