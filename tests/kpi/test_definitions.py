"""The KPI formulas of DESIGN §3 on plain numbers: thresholds, zero denominators, histograms."""

from __future__ import annotations

import pytest

from kpi import definitions as d
from kpi.totals import Totals


def test_service_level_counts_answered_within_t_over_offered_less_short_abandons():
    assert d.service_level(answered_within_t=6, offered=10, short_abandoned=2) == pytest.approx(75.0)


def test_zero_denominators_give_none_not_zero():
    assert d.service_level(answered_within_t=0, offered=3, short_abandoned=3) is None
    assert d.abandon_rate(abandoned=0, short_abandoned=0, offered=0) is None
    assert d.asa_s(answered_wait_sum_s=0, answered=0) is None
    assert d.aht_s(talk_sum_s=0, hold_sum_s=0, acw_sum_s=0, handled=0) is None
    assert d.csat(satisfied=0, answers=0) is None
    assert d.nps(promoters=0, detractors=0, answers=0) is None
    assert d.fcr(resolved_first_contacts=0, first_contacts=0) is None
    assert d.occupancy(handle_s=0, idle_s=0) is None
    assert d.adherence(in_adherence_s=0, scheduled_s=0) is None
    assert d.qa_score(score_sum=0, evaluations=0) is None
    assert d.max_wait_s(wait_max_s=None, departed=0) is None


def test_abandon_rate_leaves_short_abandons_out_of_both_sides():
    assert d.abandon_rate(abandoned=3, short_abandoned=1, offered=11) == pytest.approx(20.0)


def test_nps_is_promoters_minus_detractors_in_points():
    assert d.nps(promoters=5, detractors=2, answers=10) == pytest.approx(30.0)


def test_csat_counts_fours_and_fives():
    assert [d.csat_satisfied(score) for score in (1, 2, 3, 4, 5)] == [False, False, False, True, True]


def test_wait_equal_to_t_is_within_service_level():
    assert d.within_service_level(20.0, 20)
    assert not d.within_service_level(20.001, 20)


def test_wait_equal_to_s_is_not_a_short_abandon():
    assert d.is_short_abandon(4.999, 5)
    assert not d.is_short_abandon(5.0, 5)


@pytest.mark.parametrize("wait", [0.0, 0.4, 4.999, 5.0, 19.2, 20.0, 20.0001, 59.9])
@pytest.mark.parametrize("threshold", [0, 5, 19, 20, 21, 60])
def test_histogram_buckets_give_the_exact_threshold_rules(wait, threshold):
    answered = d.answered_within({d.answered_bucket(wait): 1}, threshold)
    short = d.short_abandoned({d.abandoned_bucket(wait): 1}, threshold)
    assert answered == int(d.within_service_level(wait, threshold))
    assert short == int(d.is_short_abandon(wait, threshold))


def test_params_refuse_fractional_or_negative_thresholds():
    with pytest.raises(ValueError, match="whole number"):
        d.Params(sl_threshold_s=2.5)
    with pytest.raises(ValueError, match="whole number"):
        d.Params(short_abandon_s=-1)


def test_every_design_kpi_has_a_definition_in_order():
    assert d.KPI_KEYS == (
        "offered",
        "answered",
        "abandoned",
        "short_abandoned",
        "timed_out",
        "service_level",
        "abandon_rate",
        "asa_s",
        "avg_wait_s",
        "max_wait_s",
        "aht_s",
        "avg_talk_s",
        "avg_hold_s",
        "avg_acw_s",
        "fcr",
        "csat",
        "nps",
        "occupancy",
        "adherence",
        "qa_score",
    )


def test_totals_of_no_calls_give_zero_counts_and_no_ratios():
    kpis = Totals().kpis()
    assert list(kpis) == list(d.KPI_KEYS)
    assert (kpis["offered"], kpis["answered"], kpis["abandoned"]) == (0, 0, 0)
    assert all(kpis[key] is None for key in ("service_level", "asa_s", "aht_s", "csat", "occupancy"))


def test_totals_count_one_visit_of_each_outcome():
    totals = Totals()
    totals.add_visit(outcome="answered", wait_s=12, talk_s=88, hold_s=10, acw_s=30, ended=True)
    totals.add_visit(outcome="answered", wait_s=30, talk_s=None, hold_s=None, acw_s=None, ended=False)
    totals.add_visit(outcome="abandoned", wait_s=3, talk_s=None, hold_s=None, acw_s=None, ended=False)
    totals.add_visit(outcome="timed_out", wait_s=60, talk_s=None, hold_s=None, acw_s=None, ended=False)
    totals.add_visit(outcome="transferred", wait_s=8, talk_s=None, hold_s=None, acw_s=None, ended=False)
    kpis = totals.kpis(d.Params(sl_threshold_s=20, short_abandon_s=5))
    assert (kpis["offered"], kpis["answered"], kpis["abandoned"], kpis["timed_out"]) == (5, 2, 1, 1)
    assert kpis["short_abandoned"] == 1
    assert kpis["service_level"] == pytest.approx(100 * 1 / 4)
    assert kpis["abandon_rate"] == pytest.approx(0.0)
    assert kpis["asa_s"] == pytest.approx(21.0)
    # Avg and max wait cover answered, abandoned and timed-out visits, not the transfer.
    assert kpis["avg_wait_s"] == pytest.approx((12 + 30 + 3 + 60) / 4)
    assert kpis["max_wait_s"] == pytest.approx(60)
    # AHT covers the answered visit that has ended only.
    assert kpis["aht_s"] == pytest.approx(128.0)
    assert (kpis["avg_talk_s"], kpis["avg_hold_s"], kpis["avg_acw_s"]) == (88, 10, 30)


def test_totals_add_up_histograms_and_keep_the_longer_wait():
    one, two = Totals(), Totals()
    one.add_visit(outcome="answered", wait_s=10, talk_s=1, hold_s=0, acw_s=0, ended=True)
    two.add_visit(outcome="answered", wait_s=25, talk_s=1, hold_s=0, acw_s=0, ended=True)
    total = Totals().add(one).add(two)
    assert total.answered == 2
    assert total.wait_max_s == 25
    assert total.answered_within(d.Params(sl_threshold_s=20)) == 1


def test_a_copy_of_totals_is_equal_and_adding_to_it_leaves_the_original_alone():
    original = Totals()
    original.add_visit(outcome="answered", wait_s=12.0, talk_s=60.0, hold_s=None, acw_s=None, ended=True)
    original.add_visit(outcome="abandoned", wait_s=3.0, talk_s=None, hold_s=None, acw_s=None, ended=False)
    twin = original.copy()
    assert twin == original and twin is not original
    assert type(twin.answered_hist) is type(original.answered_hist)
    twin.add(original)
    assert twin.answered_hist != original.answered_hist  # the histograms are not shared
    assert (original.offered, dict(original.answered_hist), dict(original.abandoned_hist)) == (
        2,
        {12: 1},
        {3: 1},
    )
    assert twin.answered_hist.most_common(1) == [(12, 2)]
