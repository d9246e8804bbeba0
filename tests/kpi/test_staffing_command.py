"""python manage.py staffing exactly as DESIGN §4: flags, JSON keys and the published example's figures."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kpi.erlang import erlang_a, erlang_c

EXAMPLE = ["--calls", "100", "--interval", "30", "--aht", "180", "--target-sl", "0.8", "--target-time", "20"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("staffing", *args, stdout=out)
    return out.getvalue()


def test_json_has_exactly_the_design_keys_and_the_published_figures():
    answer = json.loads(run(*EXAMPLE, "--shrinkage", "0.3", "--format", "json"))
    assert set(answer) == {"agents", "scheduled_agents", "service_level", "occupancy", "p_wait", "asa_s"}
    assert answer["agents"] == 14
    assert answer["scheduled_agents"] == 20
    assert answer["service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert answer["occupancy"] == pytest.approx(10 / 14)
    assert answer["p_wait"] == pytest.approx(erlang_c(10, 14))
    assert answer["asa_s"] == pytest.approx(erlang_c(10, 14) * 180 / (14 - 10))


def test_shrinkage_defaults_to_30_percent():
    assert json.loads(run(*EXAMPLE, "--format", "json"))["scheduled_agents"] == 20


def test_patience_switches_to_erlang_a():
    answer = json.loads(run(*EXAMPLE, "--patience", "120", "--shrinkage", "0", "--format", "json"))
    expected = erlang_a(100, 1800, 180, 12, 120, 20)
    assert (answer["agents"], answer["scheduled_agents"]) == (12, 12)
    assert answer["service_level"] == pytest.approx(expected.service_level)
    assert answer["p_wait"] == pytest.approx(expected.p_wait)


def test_table_is_for_people():
    text = run(*EXAMPLE)
    assert "Erlang C" in text and "88.8%" in text and "scheduled agents (shrinkage 30%)" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--target-sl", "80"], "--target-sl must be a fraction"),
        (["--interval", "0"], "--interval"),
        (["--aht", "-3"], "--aht"),
        (["--calls", "-1"], "--calls"),
        (["--shrinkage", "1"], "--shrinkage"),
        (["--patience", "0"], "--patience"),
    ],
)
def test_bad_flags_say_what_is_wrong(change, message):
    args = list(EXAMPLE)
    flag, value = change
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_required_flags_are_required():
    with pytest.raises(CommandError, match="--aht"):
        call_command(
            "staffing", "--calls", "10", "--interval", "30", "--target-sl", "0.8", "--target-time", "20"
        )
