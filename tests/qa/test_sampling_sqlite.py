"""Sampling selects in one SQL query that PostgreSQL and the embedded default's SQLite both run:
the same calls picked, for the same reasons."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.qa import sampling_probe

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_samples_the_same_calls_as_postgresql(db, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"VAR_DIR": str(tmp_path), "DEBUG": "true", "DJANGO_ALLOW_ASYNC_UNSAFE": ""})
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "qa" / "sampling_probe.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    on_sqlite = json.loads(result.stdout.strip().splitlines()[-1])
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
