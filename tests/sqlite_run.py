"""What the SQLite parity tests share: a probe module run as a script on a fresh SQLite database
(the embedded default of `make run`) in a subprocess, and the probe's own side of that run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def answers_on_sqlite(probe: Path, tmp_path: Path, *, timeout: float = 120) -> Any:
    """Run `probe` as a script without DATABASE_URL and REDIS_URL (SQLite in `tmp_path`, in-process
    layers) and return the JSON it prints last."""
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")
    }
    environment.update({"VAR_DIR": str(tmp_path), "DEBUG": "true", "DJANGO_ALLOW_ASYNC_UNSAFE": ""})
    result = subprocess.run(
        [sys.executable, str(probe)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def probe_main(build: Callable[[], Any], answers: Callable[..., Any]) -> None:
    """A probe's script side: Django on the configured (SQLite) database, migrated, `build()` the
    data, then print `answers(*what build returned)` as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    made = build()
    print(json.dumps(answers(*(made or ()))))
