"""PostgreSQL rolls up in SQL; the embedded default (`make run`) has SQLite and the Python engine:
the same rollup rows and reports."""

from __future__ import annotations

from pathlib import Path

from tests.kpi import rollup_probe
from tests.sqlite_run import answers_on_sqlite


def test_sqlite_rolls_up_and_reports_like_postgresql(db, tmp_path):
    on_sqlite = answers_on_sqlite(Path(rollup_probe.__file__), tmp_path)
    rollup_probe.build()
    on_postgresql = rollup_probe.answers()
    (total,) = on_postgresql["total"]
    # The probe really rolled up: the random calls, with QA scores and FCR counted.
    assert total["offered"] > 300 and total["qa_score"] is not None and total["fcr"] is not None
    assert on_sqlite["total"] == on_postgresql["total"]
    for by in ("queue", "agent", "day"):
        assert on_sqlite[by] == on_postgresql[by], by
    assert on_sqlite["visit_rollups"] == on_postgresql["visit_rollups"]
    assert on_sqlite["presence_rollups"] == on_postgresql["presence_rollups"]
