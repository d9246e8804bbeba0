"""PostgreSQL searches with trigram indexes; the embedded default (`make run`) has SQLite: same answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.tickets import search_probe

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_gives_the_same_answers_as_postgresql(db, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"VAR_DIR": str(tmp_path), "DEBUG": "true", "DJANGO_ALLOW_ASYNC_UNSAFE": ""})
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "tickets" / "search_probe.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    on_sqlite = json.loads(result.stdout.strip().splitlines()[-1])
    on_postgresql = search_probe.answers(*search_probe.build())
    assert on_postgresql["hopp"] == ["Grace Hopper"]  # the probe really searched
    assert on_sqlite == on_postgresql
