"""The wallboard snapshot: today's figures against the hand-computed call set, waiting calls,
agents by state, colours from the queue's thresholds, and long-wait alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from kpi.live import long_wait_alerts_raise, snapshot_public
from kpi.services.rollups import rollup_compute
from kpi.wallboard import colour_higher_better, colour_lower_better, queue_slice, wallboard_snapshot
from telephony.models import Queue
from telephony.services import call_events_ingest
from tests.kpi import scenarios
from tests.kpi.factories import QueueThresholdsFactory
from tests.telephony.factories import FeedSourceFactory

pytestmark = pytest.mark.django_db
END_OF_DAY = datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC)
TODAY_KEYS = ("offered", "answered", "abandoned", "service_level", "abandon_rate", "asa_s", "aht_s")


@pytest.fixture
def tricky(db):
    source = FeedSourceFactory(name="pbx1")
    call_events_ingest(source=source, raw_events=scenarios.tricky_events())
    return source


def _expected(figures: dict) -> dict:
    return scenarios.approx({key: figures[key] for key in TODAY_KEYS})


def test_todays_figures_per_queue_match_the_hand_computed_ones(tricky):
    snapshot = wallboard_snapshot(now=END_OF_DAY)
    tiles = {tile["queue"]: tile for tile in snapshot["queues"]}
    assert tiles["sales"]["today"] == _expected(scenarios.SALES)
    assert tiles["support"]["today"] == _expected(scenarios.SUPPORT)
    assert snapshot["overall"]["today"] == _expected(scenarios.TOTAL)


def test_todays_figures_are_the_same_once_rolled_up(tricky):
    live = wallboard_snapshot(now=END_OF_DAY)
    rollup_compute(start=END_OF_DAY - timedelta(hours=15), end=END_OF_DAY, now=END_OF_DAY)
    rolled = wallboard_snapshot(now=END_OF_DAY)
    assert [t["today"] for t in rolled["queues"]] == [t["today"] for t in live["queues"]]


def test_figures_partly_rolled_up_stay_right_snapshot_after_snapshot(tricky):
    # 09:00-09:15 from the rollups, the rest of the day from the raw visits: the same queues'
    # groups get both parts, and the second snapshot reads the first one's cached rows.
    nine = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    rollup_compute(start=nine, end=nine + timedelta(minutes=15), now=END_OF_DAY)
    for _ in range(2):
        snapshot = wallboard_snapshot(now=END_OF_DAY)
        tiles = {tile["queue"]: tile for tile in snapshot["queues"]}
        assert tiles["sales"]["today"] == _expected(scenarios.SALES)
        assert snapshot["overall"]["today"] == _expected(scenarios.TOTAL)


def test_each_queue_uses_its_own_service_level_threshold(tricky):
    Queue.objects.filter(name="sales").update(sl_threshold_s=30)
    tiles = {tile["queue"]: tile for tile in wallboard_snapshot(now=END_OF_DAY)["queues"]}
    assert tiles["sales"]["today"]["service_level"] == pytest.approx(100 * 8 / 12)  # c2 and c8 now within
    assert tiles["sales"]["sl_threshold_s"] == 30


def test_calls_queued_later_in_the_day_are_not_counted_yet(tricky):
    at_0930 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    tiles = {tile["queue"]: tile for tile in wallboard_snapshot(now=at_0930)["queues"]}
    assert tiles["sales"]["today"]["offered"] == 12  # all but c13, queued at 23:59:50


def _live_call(source, call_id: str, *, queued_ago: float, now: datetime, queue: str = "sales") -> None:
    at = (now - timedelta(seconds=queued_ago)).isoformat()
    call_events_ingest(
        source=source,
        raw_events=[
            {
                "source": source.name,
                "event_id": f"{call_id}-q",
                "ts": at,
                "type": "call.queued",
                "call_id": call_id,
                "queue": queue,
            }
        ],
    )


def _agent(
    source, code: str, *, state: str | None = None, reason: str = "", ago: float = 60, now: datetime
) -> None:
    events = [
        {
            "source": source.name,
            "event_id": f"{code}-in",
            "ts": (now - timedelta(seconds=ago + 10)).isoformat(),
            "type": "agent.login",
            "agent": code,
        },
    ]
    if state:
        events.append(
            {
                "source": source.name,
                "event_id": f"{code}-st",
                "ts": (now - timedelta(seconds=ago)).isoformat(),
                "type": "agent.state",
                "agent": code,
                "data": {"state": state, "reason": reason},
            }
        )
    call_events_ingest(source=source, raw_events=events)


def test_waiting_calls_and_the_longest_wait_are_live(db):
    source = FeedSourceFactory(name="pbx1")
    now = timezone.now()
    _live_call(source, "w1", queued_ago=95, now=now)
    _live_call(source, "w2", queued_ago=30, now=now)
    _live_call(source, "w3", queued_ago=5 * 3600, now=now)  # a feed that never ended it: not waiting
    snapshot = wallboard_snapshot(now=now)
    sales = next(tile for tile in snapshot["queues"] if tile["queue"] == "sales")
    assert sales["waiting"] == 2
    assert sales["longest_wait_s"] == pytest.approx(95, abs=1)
    assert snapshot["overall"]["waiting"] == 2


def test_agents_are_counted_by_state_with_not_ready_reasons(db):
    source = FeedSourceFactory(name="pbx1")
    now = timezone.now()
    _agent(source, "alice", now=now)
    _agent(source, "bob", state="not_ready", reason="meeting", ago=120, now=now)
    _agent(source, "carol", state="break", ago=30, now=now)
    snapshot = wallboard_snapshot(now=now)
    overall = snapshot["overall"]
    assert overall["agents"] == {
        "available": 1,
        "ringing": 0,
        "on_call": 0,
        "wrap_up": 0,
        "not_ready": 2,
        "logged_in": 3,
    }
    assert {r["reason"]: r["count"] for r in overall["not_ready_reasons"]} == {"meeting": 1, "break": 1}
    grid = {agent["code"]: agent for agent in snapshot["agents"]}
    assert grid["bob"]["state"] == "not_ready"
    assert grid["bob"]["in_state_ms"] == pytest.approx(120_000, abs=1)


def test_logged_out_agents_leave_the_grid(db):
    source = FeedSourceFactory(name="pbx1")
    now = timezone.now()
    _agent(source, "alice", now=now, ago=100)
    call_events_ingest(
        source=source,
        raw_events=[
            {
                "source": "pbx1",
                "event_id": "out",
                "ts": (now - timedelta(seconds=5)).isoformat(),
                "type": "agent.logout",
                "agent": "alice",
            }
        ],
    )
    assert wallboard_snapshot(now=now)["agents"] == []


def test_an_agent_shows_the_state_covering_now_when_the_feed_has_stamped_later_ones(db):
    source = FeedSourceFactory(name="pbx1")
    now = timezone.now()
    _agent(source, "alice", state="not_ready", reason="meeting", ago=300, now=now)
    later = [
        {
            "source": "pbx1",
            "event_id": f"alice-ahead-{n}",
            "ts": (now + timedelta(seconds=60 * n)).isoformat(),
            "type": "agent.state",
            "agent": "alice",
            "data": {"state": state, "reason": ""},
        }
        for n, state in ((1, "available"), (2, "break"))
    ]
    call_events_ingest(source=source, raw_events=later)
    grid = {agent["code"]: agent for agent in wallboard_snapshot(now=now)["agents"]}
    assert (grid["alice"]["state"], grid["alice"]["reason"]) == ("not_ready", "meeting")
    assert grid["alice"]["in_state_ms"] == pytest.approx(300_000, abs=1)
    ahead = {agent["code"]: agent for agent in wallboard_snapshot(now=now + timedelta(seconds=90))["agents"]}
    assert ahead["alice"]["state"] == "available"


def test_colours_follow_the_queues_thresholds(tricky):
    QueueThresholdsFactory(
        queue=Queue.objects.get(name="sales"),
        sl_green_percent=80,
        sl_amber_percent=45,
        asa_amber_s=15,
        asa_red_s=30,
    )
    sales = next(t for t in wallboard_snapshot(now=END_OF_DAY)["queues"] if t["queue"] == "sales")
    assert sales["colours"]["service_level"] == "amber"  # 50 % between 45 and 80
    assert sales["colours"]["asa_s"] == "amber"  # 16.5 s
    assert sales["colours"]["abandon_rate"] == "red"  # 16.7 % ≥ 10 % (default)


def test_queue_without_thresholds_turns_green_at_its_own_sl_target(tricky):
    Queue.objects.filter(name="support").update(sl_target_percent=95)
    support = next(t for t in wallboard_snapshot(now=END_OF_DAY)["queues"] if t["queue"] == "support")
    assert support["colours"]["service_level"] == "green"  # 100 % ≥ 95


def test_colour_rules():
    assert colour_higher_better(None, green=80, amber=70) == ""
    assert [colour_higher_better(v, green=80, amber=70) for v in (80, 79.9, 70, 69)] == [
        "green",
        "amber",
        "amber",
        "red",
    ]
    assert [colour_lower_better(v, amber=30, red=60) for v in (0, 30, 59, 60)] == [
        "green",
        "amber",
        "amber",
        "red",
    ]


def test_a_queues_slice_keeps_its_tile_agents_and_long_waits(db):
    source = FeedSourceFactory(name="pbx1")
    now = timezone.now()
    _live_call(source, "w1", queued_ago=10, now=now, queue="sales")
    _live_call(source, "w2", queued_ago=10, now=now, queue="support")
    part = queue_slice(wallboard_snapshot(now=now), "support")
    assert [tile["queue"] for tile in part["queues"]] == ["support"]
    assert part["overall"]["waiting"] == 1
    assert part["scope"] == "support"


def _long_wait(prefix: str) -> tuple[Any, str, datetime]:
    """A sales caller waiting 75 s where the queue alerts after 60: (source, call id, now)."""
    source = FeedSourceFactory(name="pbx1")
    now = timezone.now()
    QueueThresholdsFactory(queue=Queue.objects.get_or_create(name="sales")[0], long_wait_alert_s=60)
    call_id = f"{prefix}-{now.timestamp()}"
    _live_call(source, call_id, queued_ago=75, now=now)
    return source, call_id, now


def test_a_long_wait_raises_one_alert_per_call(db):
    source, call_id, now = _long_wait("lw")
    snapshot = wallboard_snapshot(now=now)
    assert [call["call_id"] for call in snapshot["long_waits"]] == [call_id]
    key = f"kpi:long-wait:{source.id}:{call_id}:1"
    cache.delete(key)
    assert long_wait_alerts_raise(snapshot) == 1
    assert long_wait_alerts_raise(snapshot) == 0  # already raised, in this or another process


def test_an_alert_raised_is_not_raised_again_when_the_cache_forgets_it(db):
    source, call_id, now = _long_wait("lw2")
    snapshot = wallboard_snapshot(now=now)
    key = f"kpi:long-wait:{source.id}:{call_id}:1"
    assert long_wait_alerts_raise(snapshot) == 1
    cache.delete(key)  # Redis restarted, say: supervisors were alerted all the same
    assert long_wait_alerts_raise(snapshot) == 0


def test_boards_get_what_they_show_and_not_the_callers_waiting(db):
    source, _call_id, now = _long_wait("pub")
    _agent(source, "pub-alice", state="available", now=now)
    snapshot = wallboard_snapshot(now=now)
    public = snapshot_public(snapshot)
    assert snapshot["long_waits"] and "long_waits" not in public  # alerts carry them, to supervisors
    fields = ("code", "name", "state", "reason", "in_state_ms", "queue", "answered_today")
    assert public["agent_fields"] == fields
    (alice,) = snapshot["agents"]
    # Its name is its code, so the row leaves the name out.
    assert public["agents"] == [[alice["code"], "", *(alice[name] for name in public["agent_fields"][2:])]]
    assert "agent_codes" not in public["queues"][0]
    assert public["overall"] == snapshot["overall"]


def test_a_public_agent_row_gives_its_clock_in_milliseconds_and_no_name_that_is_only_the_code(db):
    from tests.agents.factories import AgentProfileFactory
    from tests.callcenter.factories import UserFactory

    source = FeedSourceFactory(name="pbx-rows")
    now = timezone.now()
    AgentProfileFactory(user=UserFactory(username="row-alice", first_name="Alice", last_name="Row"))
    _agent(source, "row-alice", state="not_ready", reason="meeting", ago=30.25, now=now)
    _agent(source, "row-bob", state="not_ready", reason="meeting", ago=90, now=now)  # a code no user has
    snapshot = wallboard_snapshot(now=now)
    public = snapshot_public({**snapshot, "seq": 7, "origin": "p-1", "last_event_at": None})
    rows = {row[0]: dict(zip(public["agent_fields"], row, strict=True)) for row in public["agents"]}
    assert rows["row-alice"]["name"] == "Alice Row"
    assert rows["row-bob"]["name"] == ""
    assert 30_249 <= rows["row-alice"]["in_state_ms"] <= 30_251  # whole ms of each instant
    assert 89_999 <= rows["row-bob"]["in_state_ms"] <= 90_001
    assert list(public)[:5] == ["type", "seq", "origin", "at", "last_event_at"]


def test_an_empty_floor_gives_an_empty_but_whole_snapshot(db):
    snapshot = wallboard_snapshot(now=timezone.now())
    assert snapshot["type"] == "wallboard.snapshot"
    assert snapshot["queues"] == []
    assert snapshot["overall"]["today"]["offered"] == 0
    assert snapshot["overall"]["today"]["service_level"] is None


def test_nobody_watching_means_no_snapshot_but_long_waits_still_alert(db):
    from kpi.live import WATCHED_KEY, WallboardPublisher

    source = FeedSourceFactory(name="pbx1")
    now = timezone.now()
    QueueThresholdsFactory(queue=Queue.objects.get_or_create(name="sales")[0], long_wait_alert_s=60)
    call_id = f"nw-{now.timestamp()}"
    _live_call(source, call_id, queued_ago=90, now=now)
    cache.delete(WATCHED_KEY)
    publisher = WallboardPublisher()
    publisher._pending = True  # what an ingest note sets (without starting the thread)
    assert publisher.tick() is None
    assert cache.get(f"kpi:long-wait:{source.id}:{call_id}:1") is not None  # the alert went out


def test_a_floor_watched_from_another_process_gets_snapshots(db):
    from kpi.live import WATCHED_KEY, WallboardPublisher

    cache.set(WATCHED_KEY, 1, 30)
    publisher = WallboardPublisher()
    publisher._pending = True
    snapshot = publisher.tick()
    cache.delete(WATCHED_KEY)
    assert snapshot is not None
    assert (snapshot["type"], snapshot["seq"]) == ("wallboard.snapshot", 1)
