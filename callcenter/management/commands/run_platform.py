"""python manage.py run_platform: start every process of the platform and stop them all on Ctrl-C.

Embedded (no REDIS_URL): one ASGI server process that also ticks the beat schedule and runs tasks.
Real stack (REDIS_URL set): the ASGI server, a Celery worker and Celery beat.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from callcenter.services import DEMO_PASSWORD, DEMO_USERS


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None


# A steady demo floor: 6 agents, 2 queues at 40 calls/h each (about 4 Erlangs), all day long.
SIMULATOR_ARGS = ["--agents", "6", "--calls-per-hour", "40", "--speed", "1", "--duration", str(7 * 86_400)]


def platform_children(*, host: str, port: int, simulator: bool = True) -> list[Child]:
    python = sys.executable
    server = Child(
        "web",
        [python, "-m", "uvicorn", "callcenter.asgi:application", "--host", host, "--port", str(port)],
    )
    children = [server]
    if settings.REDIS_URL:
        children += [
            Child("worker", [python, "-m", "celery", "-A", "callcenter", "worker", "-l", "INFO", "-c", "2"]),
            Child("beat", [python, "-m", "celery", "-A", "callcenter", "beat", "-l", "INFO", "--pidfile="]),
        ]
    else:
        server.env["EMBEDDED_BEAT"] = "true"
    if simulator:
        from telephony.services import demo_telephony_seed

        # Through the ingest API, like a real PBX: the in-memory channel layer lives in the server.
        feed = demo_telephony_seed()
        url = f"http://{host}:{port}/api/telephony/events"
        children.append(
            Child(
                "simulator",
                [python, "manage.py", "simulate_acd", "--url", url, "--token", feed.secret, *SIMULATOR_ARGS],
            )
        )
    return children


class Command(BaseCommand):
    help = "Run the platform (ASGI server, Celery worker and beat or their in-process stand-ins)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-simulator", action="store_true", help="Do not start the simulated ACD feed."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        children = platform_children(
            host=options["host"], port=options["port"], simulator=not options["no_simulator"]
        )
        stopping = False

        def request_stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        url = f"http://{options['host']}:{options['port']}/"
        # The server first: the simulator posts to it from its first second.
        self._start(children[:1])
        if self._wait_ready(url + "healthz", children[:1]):
            self._start(children[1:])
            self._banner(url)
        else:
            stopping = True
        exit_code = 0
        while not stopping:
            for child in children:
                code = child.process.poll() if child.process else None
                if code is not None:
                    self.stderr.write(f"{child.name} exited with {code}; stopping the platform.")
                    stopping, exit_code = True, code or 1
            time.sleep(0.3)
        self._stop(children)
        if exit_code:
            sys.exit(exit_code)

    def _start(self, children: list[Child]) -> None:
        for child in children:
            # Own session: Ctrl-C reaches only this launcher, which then stops children in order.
            child.process = subprocess.Popen(  # noqa: S603 - argv built above from sys.executable
                child.argv,
                env={**os.environ, **child.env},
                start_new_session=True,
            )

    def _wait_ready(self, health_url: str, children: list[Child], timeout_s: float = 60) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(child.process and child.process.poll() is not None for child in children):
                return False
            try:
                with urllib.request.urlopen(health_url, timeout=2) as response:  # noqa: S310 - our own URL
                    if response.status == 200:
                        return True
            except OSError:
                time.sleep(0.3)
        self.stderr.write(f"The server did not answer {health_url} within {timeout_s:.0f} s.")
        return False

    def _banner(self, url: str) -> None:
        mode = (
            "real stack (PostgreSQL/Redis, Celery worker + beat)"
            if settings.REDIS_URL
            else ("embedded (SQLite, in-memory channel layer, tasks and beat inside the server)")
        )
        lines = [
            "",
            f"callcenter is running at {url}   — {mode}",
            "The simulated ACD feed posts calls to /api/telephony/events (see /console/feeds/).",
            f"Demo logins (password '{DEMO_PASSWORD}'):",
            *[f"  {username:<12} {role.value}" for username, role, _first, _last in DEMO_USERS],
            "Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))

    def _stop(self, children: list[Child]) -> None:
        for child in reversed(children):
            if child.process and child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + 15
        for child in children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        self.stdout.write("Stopped.")
