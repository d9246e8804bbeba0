"""Erlang A (M/M/N+M) against independent computations of the same model, its Erlang C limit,
and the staffing answer of DESIGN §4 built on top of it."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext
from fractions import Fraction

import pytest

from kpi.erlang import (
    agents_required,
    agents_required_a,
    erlang_a,
    erlang_c,
    scheduled_for,
    service_level,
    staffing,
)

CALLS, INTERVAL_S, AHT_S = 100, 1800, 180  # the published 10-Erlang example of test_erlang.py


def stationary(calls: int, interval_s: int, aht_s: int, agents: int, patience_s: int, states: int = 400):
    """pi_j of the birth-death chain (birth lambda, death min(j, N)·mu + max(j - N, 0)·theta), exactly."""
    arrival = Fraction(calls, interval_s)
    mu, theta = Fraction(1, aht_s), Fraction(1, patience_s)
    weights = [Fraction(1)]
    for j in range(1, agents + states):
        death = min(j, agents) * mu + max(j - agents, 0) * theta
        weights.append(weights[-1] * arrival / death)
    total = sum(weights)
    return [w / total for w in weights]


def served_within(rates: list[Decimal], theta: Decimal, t: Decimal) -> Decimal:
    """P(all phases done by t and the caller never left): the caller's patience is a competing
    exponential at each phase, so each phase has total rate r + theta and goes on with
    probability r / (r + theta); the total time is hypoexponential with those distinct rates."""
    totals = [r + theta for r in rates]
    onward = Decimal(1)
    for r, total in zip(rates, totals, strict=True):
        onward *= r / total
    cdf = Decimal(1)
    for i, rate in enumerate(totals):
        coefficient = Decimal(1)
        for j, other in enumerate(totals):
            if j != i:
                coefficient *= other / (other - rate)
        cdf -= coefficient * (-rate * t).exp()
    return onward * cdf


@pytest.mark.parametrize(("agents", "patience_s"), [(9, 60), (11, 120), (14, 300)])
def test_waiting_and_abandoning_match_the_exact_birth_death_chain(agents, patience_s):
    pi = stationary(CALLS, INTERVAL_S, AHT_S, agents, patience_s)
    p_wait = float(sum(pi[agents:]))
    x = Fraction(agents * patience_s, AHT_S)  # N·mu / theta
    p_abandon = float(sum(p * (m + 1) / (x + m + 1) for m, p in enumerate(pi[agents:])))
    queue_length = float(sum(m * p for m, p in enumerate(pi[agents:])))
    result = erlang_a(CALLS, INTERVAL_S, AHT_S, agents, patience_s, 20)
    assert result.p_wait == pytest.approx(p_wait, rel=1e-10)
    assert result.p_abandon == pytest.approx(p_abandon, rel=1e-10)
    # Little's law on the queue: mean time in queue = mean queue length / arrival rate.
    assert result.asa_s == pytest.approx(queue_length / (CALLS / INTERVAL_S), rel=1e-9)
    assert result.occupancy == pytest.approx(10 * (1 - p_abandon) / agents, rel=1e-10)


@pytest.mark.parametrize(("agents", "patience_s", "target_s"), [(9, 60, 20), (11, 120, 20), (12, 90, 45)])
def test_service_level_matches_the_hypoexponential_answer_time(agents, patience_s, target_s):
    getcontext().prec = 80
    pi = stationary(CALLS, INTERVAL_S, AHT_S, agents, patience_s, states=70)
    theta = Decimal(1) / patience_s
    service = Decimal(agents) / AHT_S
    level = Decimal(sum(pi[:agents]).numerator) / Decimal(sum(pi[:agents]).denominator)
    for m, p in enumerate(pi[agents:]):
        # A caller with m ahead waits for m + 1 departures; with k ahead, they come at N·mu + k·theta.
        rates = [service + k * theta for k in range(m, -1, -1)]
        level += (
            Decimal(p.numerator) / Decimal(p.denominator) * served_within(rates, theta, Decimal(target_s))
        )
    result = erlang_a(CALLS, INTERVAL_S, AHT_S, agents, patience_s, target_s)
    assert result.service_level == pytest.approx(float(level), rel=1e-9)


def test_very_patient_callers_give_erlang_c():
    # The gap shrinks as 1 / patience; a patience of 30 years leaves about one part in a million.
    for agents in (11, 14, 20):
        result = erlang_a(CALLS, INTERVAL_S, AHT_S, agents, 1e9, 20)
        assert result.p_wait == pytest.approx(erlang_c(10, agents), rel=1e-5)
        assert result.service_level == pytest.approx(
            service_level(CALLS, INTERVAL_S, AHT_S, agents, 20), rel=1e-5
        )
        assert result.p_abandon < 1e-6


def test_too_few_agents_is_still_an_answer_because_callers_leave():
    result = erlang_a(CALLS, INTERVAL_S, AHT_S, 8, 120, 20)  # 10 Erlangs on 8 agents
    assert 0 < result.p_abandon < 1
    assert 0 < result.service_level < 1
    assert result.occupancy < 1
    # What is carried is what the agents can do: the abandons take away the rest.
    assert 10 * (1 - result.p_abandon) <= 8


def test_large_center_does_not_overflow():
    result = erlang_a(4800, 1800, 180, 480, 120, 20)  # 480 Erlangs on 480 agents
    assert 0 < result.p_wait < 1 and 0 < result.p_abandon < 0.1 and 0 < result.service_level < 1
    assert math.isfinite(result.asa_s)


def test_no_traffic_and_no_agents():
    assert erlang_a(0, 1800, 180, 3, 60, 20).service_level == 1.0
    nobody = erlang_a(10, 1800, 180, 0, 60, 20)
    assert (nobody.p_abandon, nobody.service_level, nobody.asa_s) == (1.0, 0.0, 60)


def test_zero_target_time_counts_only_calls_answered_at_once():
    result = erlang_a(CALLS, INTERVAL_S, AHT_S, 12, 120, 0)
    assert result.service_level == pytest.approx(1 - result.p_wait, rel=1e-12)


@pytest.mark.parametrize("patience_s", [0, -5, math.inf, math.nan])
def test_patience_must_be_a_positive_number(patience_s):
    with pytest.raises(ValueError, match="patience_s"):
        erlang_a(CALLS, INTERVAL_S, AHT_S, 12, patience_s, 20)


@pytest.mark.parametrize(
    ("calls", "aht", "patience", "target", "seconds"),
    [(100, 180, 120, 0.8, 20), (7, 300, 60, 0.9, 30), (2500, 240, 90, 0.8, 15), (50, 200, 20, 0.8, 20)],
)
def test_agents_required_a_is_the_fewest_that_meet_the_target(calls, aht, patience, target, seconds):
    needed = agents_required_a(calls, 1800, aht, patience, target, seconds)
    assert erlang_a(calls, 1800, aht, needed, patience, seconds).service_level >= target
    assert erlang_a(calls, 1800, aht, needed - 1, patience, seconds).service_level < target


def test_impatient_callers_need_fewer_agents_than_erlang_c_says():
    assert agents_required_a(CALLS, INTERVAL_S, AHT_S, 120, 0.8, 20) == 12
    assert agents_required(CALLS, INTERVAL_S, AHT_S, 0.8, 20) == 14


# --- the staffing answer ---------------------------------------------------------------------------
def test_staffing_for_the_published_example():
    answer = staffing(
        calls_per_interval=CALLS,
        interval_s=INTERVAL_S,
        aht_s=AHT_S,
        target_sl=0.8,
        target_time_s=20,
        shrinkage=0.3,
    )
    assert answer.agents == 14
    assert answer.scheduled_agents == 20  # 14 / 0.7, exactly 20: no rounding up to 21
    assert answer.service_level == pytest.approx(0.8884, abs=5e-5)
    assert answer.occupancy == pytest.approx(10 / 14)
    assert answer.p_wait == pytest.approx(erlang_c(10, 14))
    assert answer.asa_s == pytest.approx(erlang_c(10, 14) * 180 / 4)
    assert set(answer.as_json()) == {
        "agents",
        "scheduled_agents",
        "service_level",
        "occupancy",
        "p_wait",
        "asa_s",
    }


def test_staffing_with_patience_uses_erlang_a():
    answer = staffing(
        calls_per_interval=CALLS,
        interval_s=INTERVAL_S,
        aht_s=AHT_S,
        target_sl=0.8,
        target_time_s=20,
        shrinkage=0.3,
        patience_s=120,
    )
    expected = erlang_a(CALLS, INTERVAL_S, AHT_S, 12, 120, 20)
    assert (answer.agents, answer.scheduled_agents) == (12, 18)
    assert answer.service_level == expected.service_level and answer.p_abandon == expected.p_abandon


@pytest.mark.parametrize(
    ("agents", "shrinkage", "scheduled"), [(14, 0.3, 20), (14, 0.0, 14), (10, 0.25, 14), (0, 0.3, 0)]
)
def test_scheduled_agents_add_shrinkage(agents, shrinkage, scheduled):
    assert scheduled_for(agents, shrinkage) == scheduled


@pytest.mark.parametrize("shrinkage", [-0.1, 1.0, 1.5])
def test_shrinkage_must_be_a_fraction_below_one(shrinkage):
    with pytest.raises(ValueError, match="shrinkage"):
        scheduled_for(10, shrinkage)
