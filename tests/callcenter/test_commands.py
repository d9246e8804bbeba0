from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from callcenter.services import DEMO_USERS

ROOT = Path(__file__).resolve().parents[2]


def test_seed_demo_creates_a_user_per_role_and_is_idempotent(db):
    call_command("seed_demo", allow_insecure=True)
    call_command("seed_demo", allow_insecure=True)
    users = get_user_model().objects.filter(username__in=[u[0] for u in DEMO_USERS])
    assert users.count() == len(DEMO_USERS)
    roles = {group for user in users for group in user.groups.values_list("name", flat=True)}
    assert roles == {"agent", "supervisor", "qa", "admin"}


def test_seed_demo_refuses_production_looking_settings(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="looks like production"):
        call_command("seed_demo")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _feed_events_arrive(database: Path, timeout_s: float = 30) -> bool:
    """The simulated ACD posts through the API; its agents log in at once, so events appear."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as connection:
            if connection.execute("SELECT count(*) FROM telephony_callevent").fetchone()[0]:
                return True
        time.sleep(0.5)
    return False


def test_embedded_platform_serves_the_login_page_and_stops_on_ctrl_c(tmp_path):
    """What `make run` does on a machine with nothing but Python: SQLite, in-process layers, and the
    simulated ACD feed posting to the ingest API."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="true", VAR_DIR=str(tmp_path))
    manage = [sys.executable, "manage.py"]
    for args in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([*manage, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
    port = _free_port()
    launcher = subprocess.Popen(
        [*manage, "run_platform", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=2
                ) as response:
                    body = response.read().decode()
            except OSError:
                time.sleep(0.5)
        assert 'name="username"' in body
        assert _feed_events_arrive(tmp_path / "callcenter.sqlite3")
    finally:
        launcher.send_signal(signal.SIGINT)
        output, _ = launcher.communicate(timeout=30)
    assert launcher.returncode == 0, output
    assert "Demo logins" in output
    assert "embedded" in output
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_seed_demo_gives_every_simulated_caller_a_customer_once(db):
    from tickets.models import Customer, Disposition, SlaPolicy

    call_command("seed_demo", allow_insecure=True)
    call_command("seed_demo", allow_insecure=True)
    assert Customer.objects.count() == 800
    assert Customer.objects.filter(phones__number="+12125550100").count() == 1
    assert Disposition.objects.filter(code="resolved").exists()
    assert SlaPolicy.objects.filter(active=True).count() == 4
