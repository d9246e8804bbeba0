"""PostgreSQL rolls up in SQL; the embedded default (`make run`) has SQLite and the Python engine:
the same rollup rows and reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.kpi import rollup_probe

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_rolls_up_and_reports_like_postgresql(db, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"VAR_DIR": str(tmp_path), "DEBUG": "true", "DJANGO_ALLOW_ASYNC_UNSAFE": ""})
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "kpi" / "rollup_probe.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    on_sqlite = json.loads(result.stdout.strip().splitlines()[-1])
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
