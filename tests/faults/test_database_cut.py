"""The database unreachable for a few seconds while the simulator posts: ingest answers 503 with
Retry-After, the simulator retries, and afterwards every simulated event is stored exactly once
(the same events and calls as a run straight into the database). Both ways the server can hold
its connections are checked: one per request, and the psycopg pool of production."""

from __future__ import annotations

import subprocess
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from telephony.models import Call, CallEvent, FeedSource, Queue
from tests.browser.servers import asgi_server, database_url, simulator
from tests.faults.stack import post_events, tcp_proxy

CUT_S = 3
SIM_ARGS = [
    "--queues",
    "sales,support",
    "--agents",
    "6",
    "--calls-per-hour",
    "60",
    "--aht",
    "120",
    "--duration",
    "3600",
    "--seed",
    "31",
    "--start",
    "2026-11-23T09:00:00Z",
    "--no-recordings",
    "--ignore-db",
    "--batch-size",
    "100",
]
CALL_COLUMNS = ("call_id", "queue__name", "agent_code", "queued_at", "answered_at", "ended_at", "outcome")


def _calls(source: FeedSource) -> list[tuple]:
    return sorted(Call.objects.filter(source=source).values_list(*CALL_COLUMNS))


def _wait_for_events(source: FeedSource, *, at_least: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while CallEvent.objects.filter(source=source).count() < at_least:
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {at_least} events arrived in {timeout} s")
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "connections",
    # The pool waits DATABASE_POOL_TIMEOUT for a connection: shorter than the cut, so requests
    # during it answer 503 (and the simulator meets the outage) instead of outwaiting it.
    [{"DATABASE_CONN_MAX_AGE": "0"}, {"DATABASE_POOL": "true", "DATABASE_POOL_TIMEOUT": "1"}],
    ids=["per-request", "pool"],
)
def test_database_cut_answers_503_and_the_simulator_loses_nothing(connections):
    for name in ("sales", "support"):
        Queue.objects.get_or_create(name=name)
    reference = FeedSource.objects.create(name="reference")
    feed = FeedSource.objects.create(name="simulator")
    call_command("simulate_acd", "--direct", "--source", "reference", *SIM_ARGS, stdout=StringIO())
    expected = set(CallEvent.objects.filter(source=reference).values_list("event_id", flat=True))
    assert len(expected) > 500
    db = connection.settings_dict
    with tcp_proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))) as proxy:
        env = {"DATABASE_URL": database_url(port=proxy.port), **connections}
        with (
            asgi_server(env=env) as base,
            simulator(base, feed.secret, *SIM_ARGS, speed="600", stdout=subprocess.PIPE) as sim,
        ):
            _wait_for_events(feed, at_least=100, timeout=30)
            proxy.cut()
            cut_at = time.monotonic()
            probe = post_events(base, feed.secret, [], timeout=20)
            while time.monotonic() - cut_at < CUT_S:
                time.sleep(0.1)
            stored_during_cut = CallEvent.objects.filter(source=feed).count()
            proxy.restore()
            out, err = sim.communicate(timeout=90)
    status, body, headers = probe
    assert status == 503, body
    assert body["error"]["code"] == "unavailable"
    assert int(headers["Retry-After"]) > 0
    assert sim.returncode == 0, err.decode()
    assert "answered 503" in err.decode()  # the simulator met the outage and retried
    assert stored_during_cut < len(expected)  # the cut came while events were still flowing
    stored = list(CallEvent.objects.filter(source=feed).values_list("event_id", flat=True))
    assert len(stored) == len(set(stored))
    assert set(stored) == expected
    assert f"sent: {len(expected)}" in out.decode()
    assert _calls(feed) == _calls(reference)
