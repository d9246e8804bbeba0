"""Shared set-up for benchmarks: Django against the database named by DATABASE_URL, and helpers."""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-key-0123456789abcdefghijklmnopqrstuvwxyz")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the targets are for PostgreSQL.")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    # A running system has planner statistics (autovacuum); a freshly filled bench database not yet.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def session_key_for(user) -> str:
    """A logged-in session for `user`, made as Django's login makes one: the configured session
    engine and the first authentication backend (a session naming another backend is anonymous)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(*, workers: int = 2) -> tuple[subprocess.Popen, str]:
    """uvicorn on a free loopback port with the current environment; returns (process, base URL)."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own server, argv built here
        [
            sys.executable,
            "-m",
            "uvicorn",
            "callcenter.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        # As in production (README): pooled connections, not one connection per request.
        env={**os.environ, "DATABASE_POOL": os.environ.get("DATABASE_POOL", "true")},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310 - loopback http
                return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    sys.exit("the server did not start")


def report(name: str, value: float, unit: str, target: str, *, key: str = "") -> None:
    print(f"{name:<40} {value:>12,.0f} {unit:<10} target {target}")
    if key:
        record(key, value, unit)


# --- machine-readable results (bench/run_all.py) ---------------------------------------------------
# A script records its figures under stable keys; with BENCH_JSON=1 in the environment it prints them
# as its last line, `BENCH_RESULT {"key": {"value": …, "unit": …}, …}`, for the runner to collect.
RESULT_PREFIX = "BENCH_RESULT "
_RESULTS: dict[str, dict] = {}


def record(key: str, value: float, unit: str = "", **extra: object) -> None:
    """Keep one figure of this run under `key` (printed at exit when BENCH_JSON is set)."""
    _RESULTS[key] = {"value": value, "unit": unit, **extra}


def _emit_results() -> None:
    if os.environ.get("BENCH_JSON") and _RESULTS:
        print(RESULT_PREFIX + json.dumps(_RESULTS), flush=True)


atexit.register(_emit_results)


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    """User + system CPU seconds a process has used (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


class CpuMeter:
    """CPU seconds spent by server process trees and by their database's PostgreSQL backends.

    Wall-clock rates depend on whatever else runs on the machine; CPU per event does not, so the
    benchmarks print both.
    """

    def __init__(self, *server_pids: int):
        self.server_pids = server_pids
        self.start: dict[int, float] = {}

    def _pids(self) -> list[int]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [row[0] for row in cursor.fetchall()]
        return [pid for server in self.server_pids for pid in _tree(server)] + backends

    def begin(self) -> None:
        self.start = {pid: cpu_of(pid) for pid in self._pids()}

    def end(self) -> float:
        """CPU seconds used since begin() (processes that appeared meanwhile count from zero)."""
        return sum(cpu_of(pid) - self.start.get(pid, 0.0) for pid in self._pids())
