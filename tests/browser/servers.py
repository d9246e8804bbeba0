"""The real stack for browser journeys: uvicorn (HTTP + websockets), a Celery worker and the simulator,
as separate processes on the test database — what `make run` starts, pointed at the test data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url(*, host: str | None = None, port: int | None = None) -> str:
    """The test database's URL (optionally through another host/port, e.g. a fault-injecting proxy)."""
    db = connection.settings_dict
    host = host or db["HOST"] or "127.0.0.1"
    port = port or db["PORT"] or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), "DJANGO_ALLOW_ASYNC_UNSAFE": "", **(extra or {})}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def asgi_server(env: dict[str, str] | None = None) -> Iterator[str]:
    """uvicorn serving the platform on a free loopback port; yields its base URL. `env` overrides
    the environment (fault tests point DATABASE_URL or REDIS_URL elsewhere)."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "callcenter.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=_env(env),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310 - loopback http
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the ASGI server did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        stop(process)


@contextmanager
def celery_worker(
    *args: str, pool: str = "solo", env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """A Celery worker on the test queue (tasks that run after ingest need one on the real stack);
    `args` are extra worker options, `env` overrides the environment."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "callcenter",
            "worker",
            "--pool",
            pool,
            "--loglevel",
            "WARNING",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            *args,
        ],
        cwd=ROOT,
        env=_env(env),
    )
    try:
        yield process
    finally:
        stop(process)


@contextmanager
def simulator(
    base: str, token: str, *args: str, speed: str = "1", stdout: int = subprocess.DEVNULL
) -> Iterator[subprocess.Popen]:
    """`simulate_acd` posting to `base`, in real time by default (so desktop commands reach it)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "simulate_acd",
            "--url",
            f"{base}/api/telephony/events",
            "--token",
            token,
            "--speed",
            speed,
            *args,
        ],
        cwd=ROOT,
        env=_env(),
        stdout=stdout,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        stop(process)
