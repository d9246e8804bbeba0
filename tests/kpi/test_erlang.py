"""Erlang B/C against published worked examples and an exact, independent factorial formula."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from kpi.erlang import agents_required, asa, erlang_b, erlang_c, occupancy, service_level


def exact_erlang_b(traffic: int | Fraction, agents: int) -> Fraction:
    """B = (A^N / N!) / Σ_{k=0..N} A^k / k!, in exact rational arithmetic."""
    a = Fraction(traffic)
    terms = [a**k / math.factorial(k) for k in range(agents + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(traffic: int | Fraction, agents: int) -> Fraction:
    """C = (A^N / N! · N/(N-A)) / (Σ_{k=0..N-1} A^k / k! + A^N / N! · N/(N-A)), exactly."""
    a = Fraction(traffic)
    top = a**agents / math.factorial(agents) * agents / (agents - a)
    return top / (sum(a**k / math.factorial(k) for k in range(agents)) + top)


def exact_erlang_c_large(traffic: int, agents: int) -> Fraction:
    """The same formula multiplied through by N!, so every term is an integer (fast for N = 500)."""
    factorial = math.factorial(agents)
    top = traffic**agents * Fraction(agents, agents - traffic)
    rest = 0
    falling = factorial  # N!/k!, from k = 0 upwards
    power = 1
    for k in range(agents):
        rest += power * falling
        power *= traffic
        falling //= k + 1
    return top / (rest + top)


# The classic worked example (Call Centre Helper, "Erlang C formula - made simple"): 100 calls in
# 30 minutes, AHT 180 s → 10 Erlangs; with 11 agents P(wait) = 0.6821, ASA = 122.8 s and 39.0 %
# answered within 20 s; 14 agents are the fewest that reach 80/20 (88.8 %).
CALLS, INTERVAL_S, AHT_S = 100, 1800, 180


def test_published_example_with_11_agents():
    assert erlang_c(10, 11) == pytest.approx(0.6821, abs=5e-5)
    assert asa(CALLS, INTERVAL_S, AHT_S, 11) == pytest.approx(122.8, abs=0.05)
    assert service_level(CALLS, INTERVAL_S, AHT_S, 11, 20) == pytest.approx(0.3896, abs=5e-5)


def test_published_example_needs_14_agents_for_80_percent_in_20_seconds():
    levels = {n: service_level(CALLS, INTERVAL_S, AHT_S, n, 20) for n in range(11, 16)}
    assert levels[13] == pytest.approx(0.7956, abs=5e-5)
    assert levels[14] == pytest.approx(0.8884, abs=5e-5)
    assert min(n for n, level in levels.items() if level >= 0.8) == 14


@pytest.mark.parametrize("agents", [11, 12, 13, 14, 15, 20, 30])
def test_erlang_c_matches_the_exact_factorial_formula(agents):
    expected = exact_erlang_c(10, agents)
    assert erlang_c(10.0, agents) == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize("agents", [13, 14])
def test_service_level_and_asa_match_the_exact_formula(agents):
    waiting = float(exact_erlang_c(10, agents))
    expected_sl = 1 - waiting * math.exp(-(agents - 10) * 20 / AHT_S)
    expected_asa = waiting * AHT_S / (agents - 10)
    assert service_level(CALLS, INTERVAL_S, AHT_S, agents, 20) == pytest.approx(expected_sl, rel=1e-12)
    assert asa(CALLS, INTERVAL_S, AHT_S, agents) == pytest.approx(expected_asa, rel=1e-12)


@pytest.mark.parametrize(("traffic", "agents"), [(1, 1), (2, 5), (10, 10), (Fraction(7, 2), 4), (25, 30)])
def test_erlang_b_matches_the_exact_factorial_formula(traffic, agents):
    assert erlang_b(float(traffic), agents) == pytest.approx(
        float(exact_erlang_b(traffic, agents)), rel=1e-12
    )


def test_erlang_b_published_table_value():
    # Erlang B tables: 10 Erlangs offered to 10 trunks are blocked 21.5 % of the time.
    assert erlang_b(10, 10) == pytest.approx(0.2146, abs=5e-5)


def test_large_center_does_not_overflow_and_matches_exact_arithmetic():
    waiting = erlang_c(480.0, 500)
    assert 0 < waiting < 1
    assert waiting == pytest.approx(float(exact_erlang_c_large(480, 500)), rel=1e-9)
    level = service_level(480 * 1800 / 180, 1800, 180, 500, 20)
    assert 0 < level < 1
    assert 0 < asa(480 * 1800 / 180, 1800, 180, 500) < math.inf
    assert 0 < erlang_b(480.0, 500) < 1


def test_too_few_agents_always_wait_and_never_meet_a_target():
    assert erlang_c(10, 10) == 1.0
    assert erlang_c(10, 9) == 1.0
    assert service_level(CALLS, INTERVAL_S, AHT_S, 10, 20) == 0.0
    assert asa(CALLS, INTERVAL_S, AHT_S, 10) == math.inf
    assert occupancy(CALLS, INTERVAL_S, AHT_S, 9) == 1.0


def test_no_traffic_never_waits():
    assert erlang_b(0, 3) == 0.0
    assert erlang_c(0, 3) == 0.0
    assert service_level(0, 1800, 180, 3, 20) == 1.0
    assert asa(0, 1800, 180, 3) == 0.0


def test_more_agents_never_lower_the_service_level():
    levels = [service_level(CALLS, INTERVAL_S, AHT_S, n, 20) for n in range(11, 40)]
    assert levels == sorted(levels)
    assert levels[-1] == pytest.approx(1.0, abs=1e-9)


def test_occupancy_is_traffic_over_agents():
    assert occupancy(CALLS, INTERVAL_S, AHT_S, 14) == pytest.approx(10 / 14)


@pytest.mark.parametrize(("traffic", "agents"), [(-1, 3), (math.nan, 3), (math.inf, 3), (5, -1)])
def test_bad_inputs_are_refused(traffic, agents):
    with pytest.raises(ValueError):
        erlang_c(traffic, agents)


def test_fractional_agents_are_refused():
    with pytest.raises(TypeError):
        erlang_b(5, 6.5)


def test_agents_required_for_the_published_example_is_14():
    assert agents_required(CALLS, INTERVAL_S, AHT_S, 0.8, 20) == 14


@pytest.mark.parametrize(
    ("calls", "aht", "target", "seconds"), [(100, 180, 0.8, 20), (7, 300, 0.9, 30), (2500, 240, 0.8, 15)]
)
def test_agents_required_is_the_fewest_that_meet_the_target(calls, aht, target, seconds):
    needed = agents_required(calls, 1800, aht, target, seconds)
    assert service_level(calls, 1800, aht, needed, seconds) >= target
    assert service_level(calls, 1800, aht, needed - 1, seconds) < target


def test_agents_required_is_zero_without_traffic():
    assert agents_required(0, 1800, 180, 0.8, 20) == 0
