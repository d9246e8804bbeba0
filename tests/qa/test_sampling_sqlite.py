"""Sampling selects in one SQL query that PostgreSQL and the embedded default's SQLite both run:
the same calls picked, for the same reasons."""

from __future__ import annotations

from pathlib import Path

from tests.qa import sampling_probe
from tests.sqlite_run import answers_on_sqlite


def test_sqlite_samples_the_same_calls_as_postgresql(db, tmp_path):
    on_sqlite = answers_on_sqlite(Path(sampling_probe.__file__), tmp_path)
    sampling_probe.build()
    on_postgresql = sampling_probe.answers()
    first, second = (run["result"] for run in on_postgresql["runs"])
    # The probe really sampled: the first run stops at its cap, the two pick by every rule.
    assert first["run_cap_reached"] and second["created"] > 0
    assert set(first["by_reason"]) | set(second["by_reason"]) == {
        "low_csat",
        "transfer",
        "long_hold",
        "random",
    }
    assert on_sqlite == on_postgresql
