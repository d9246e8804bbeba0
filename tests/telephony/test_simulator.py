"""The simulated ACD: deterministic, valid and ordered events, call life cycles, recordings, the command,
and agreement with Erlang C where the model is exactly M/M/N."""

from __future__ import annotations

import array
import json
import math
import statistics
import threading
import time
import wave
from collections import defaultdict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kpi.erlang import asa, service_level
from telephony.events import event_validate
from telephony.models import Call, CallEvent, FeedSource
from telephony.recordings import MAX_RECORDING_S, recording_write_wav
from telephony.simulator import config_simple, simulate

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def small_config(**overrides):
    # Two queues at 5 Erlangs in all for 6 agents, with every optional behaviour switched well up so
    # two simulated hours show each of them.
    options = {
        "queues": ["sales", "support"],
        "calls_per_hour": 50,
        "agents": 6,
        "start": START,
        "duration_s": 2 * 3600,
        "seed": 11,
        "transfer_probability": 0.2,
        "hold_probability": 0.3,
        "breaks_per_hour": 1.5,
        "survey_probability": 0.5,
    }
    options.update(overrides)
    return config_simple(**options)


@pytest.fixture(scope="module")
def events():
    return list(simulate(small_config()))


def by_call(events):
    calls = defaultdict(list)
    for event in events:
        if event["call_id"]:
            calls[event["call_id"]].append(event)
    return calls


def types(events):
    return [event["type"] for event in events]


def test_same_seed_gives_the_same_events(events):
    assert list(simulate(small_config())) == events


def test_another_seed_gives_other_events(events):
    other = list(simulate(small_config(seed=12)))
    assert other != events
    assert {e["event_id"] for e in other}.isdisjoint({e["event_id"] for e in events})


def test_every_event_keeps_the_contract(events):
    keys = {
        "source",
        "event_id",
        "ts",
        "type",
        "call_id",
        "queue",
        "agent",
        "caller",
        "callee",
        "direction",
        "data",
    }
    for raw in events:
        assert set(raw) == keys
        assert raw["ts"].endswith("Z")
        event_validate(raw, source_name="simulator")


def test_event_ids_are_unique(events):
    assert len({event["event_id"] for event in events}) == len(events)


def test_events_come_in_time_order(events):
    stamps = [datetime.fromisoformat(event["ts"]) for event in events]
    assert stamps == sorted(stamps)
    assert stamps[0] == START


def test_every_kind_of_event_is_produced(events):
    produced = set(types(events))
    assert produced >= {
        "call.offered",
        "call.ivr",
        "call.queued",
        "call.ringing",
        "call.answered",
        "call.hold",
        "call.unhold",
        "call.transferred",
        "call.abandoned",
        "call.ended",
        "call.wrapup_ended",
        "agent.login",
        "agent.logout",
        "agent.state",
        "recording.ready",
        "survey.response",
    }


def test_answered_calls_ring_then_answer_then_end_then_wrap_up(events):
    for call_events in by_call(events).values():
        kinds = types(call_events)
        for index, kind in enumerate(kinds):
            agent = call_events[index]["agent"]
            if kind == "call.answered":
                assert ("call.ringing", agent) in [(e["type"], e["agent"]) for e in call_events[:index]]
            if kind == "call.ended":
                later = [(e["type"], e["agent"]) for e in call_events[index + 1 :]]
                assert ("call.wrapup_ended", agent) in later
                assert "call.answered" in kinds[:index]


def test_ivr_comes_before_the_queue(events):
    walked = 0
    for call_events in by_call(events).values():
        kinds = types(call_events)
        assert kinds[0] == "call.offered"
        if "call.ivr" in kinds:
            walked += 1
            assert max(i for i, k in enumerate(kinds) if k == "call.ivr") < kinds.index("call.queued")
            path = [(e["data"]["node"], e["data"]["digits"]) for e in call_events if e["type"] == "call.ivr"]
            assert path[0][0] == "main" and len(path) == 2  # the built-in two-level menu
    assert walked == len(by_call(events))


def test_ivr_path_leads_to_the_queue_the_call_waits_in(events):
    menu_queue = {"1": "sales", "2": "support"}
    for call_events in by_call(events).values():
        digits = [e["data"]["digits"] for e in call_events if e["type"] == "call.ivr"]
        first_queue = next(e["queue"] for e in call_events if e["type"] == "call.queued")
        assert menu_queue[digits[-1]] == first_queue


def test_transferred_calls_are_queued_again_in_the_target_queue(events):
    transferred = 0
    for call_events in by_call(events).values():
        for index, event in enumerate(call_events):
            if event["type"] == "call.transferred":
                transferred += 1
                queued = next(e for e in call_events[index:] if e["type"] == "call.queued")
                assert queued["queue"] == event["data"]["to_queue"] != event["queue"]
    assert transferred > 0


def test_holds_are_released_before_the_call_ends(events):
    for call_events in by_call(events).values():
        kinds = types(call_events)
        assert kinds.count("call.hold") == kinds.count("call.unhold")
        if "call.hold" in kinds:
            assert kinds.index("call.hold") < kinds.index("call.unhold") < kinds.index("call.ended")


def test_breaks_are_not_ready_then_available(events):
    states = defaultdict(list)
    for event in events:
        if event["type"] == "agent.state":
            states[event["agent"]].append((event["data"]["state"], event["data"].get("reason")))
    assert states
    for sequence in states.values():
        for position, (state, reason) in enumerate(sequence):
            expected = ("not_ready", "break") if position % 2 == 0 else ("available", "")
            assert (state, reason) == expected


def test_agents_log_in_first_and_log_out_after_their_last_call(events):
    codes = {f"agent{n}" for n in range(1, 7)}
    logins = [e for e in events if e["type"] == "agent.login"]
    assert {e["agent"] for e in logins} == codes and all(e["ts"] == events[0]["ts"] for e in logins)
    for code in codes:
        own = [e for e in events if e["agent"] == code and e["type"] != "recording.ready"]
        assert own[0]["type"] == "agent.login"
        assert own[-1]["type"] == "agent.logout"


def test_short_patience_makes_callers_abandon():
    abandoned = types(simulate(small_config(patience_s=20))).count("call.abandoned")
    assert abandoned > 10


def test_no_patience_limit_means_no_abandons():
    produced = types(simulate(small_config(patience_s=0, calls_per_hour=80)))
    assert "call.abandoned" not in produced
    assert produced.count("call.offered") == produced.count("call.wrapup_ended") - produced.count(
        "call.transferred"
    )


def test_each_answered_call_has_one_recording_and_surveys_are_in_range(events):
    for call_events in by_call(events).values():
        kinds = types(call_events)
        assert kinds.count("recording.ready") == (1 if "call.answered" in kinds else 0)
        for event in call_events:
            if event["type"] == "survey.response":
                assert 1 <= event["data"]["csat"] <= 5
                assert 0 <= event["data"].get("nps", 0) <= 10


def rms(path):
    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        samples = array.array("h", audio.readframes(audio.getnframes()))
    return math.sqrt(sum(s * s for s in samples) / len(samples)), len(samples) / 8000


def test_recordings_are_real_speech_like_wav_files(tmp_path):
    config = small_config(duration_s=600, calls_per_hour=20, media_root=tmp_path)
    ready = [e for e in simulate(config) if e["type"] == "recording.ready"]
    assert ready
    for event in ready[:5]:
        path = tmp_path / event["data"]["path"]
        level, seconds = rms(path)
        assert seconds == pytest.approx(event["data"]["duration_s"], abs=0.01)
        assert level > 1000  # well above silence or hiss, on a 32767 scale


def test_recording_is_capped_and_has_pauses(tmp_path):
    path = tmp_path / "long.wav"
    assert recording_write_wav(path, duration_s=600, seed=5) == MAX_RECORDING_S
    with wave.open(str(path)) as audio:
        samples = array.array("h", audio.readframes(audio.getnframes()))
    quiet = sum(1 for s in samples if abs(s) < 100) / len(samples)
    assert 0.1 < quiet < 0.7  # syllables with gaps between them, not a steady tone


def test_same_seed_gives_the_same_audio(tmp_path):
    recording_write_wav(tmp_path / "a.wav", duration_s=3, seed=9)
    recording_write_wav(tmp_path / "b.wav", duration_s=3, seed=9)
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


# --- the command ---------------------------------------------------------------------------------------
COMMAND_ARGS = [
    "--duration",
    "900",
    "--seed",
    "3",
    "--start",
    "2026-11-23T09:00:00Z",
    "--calls-per-hour",
    "40",
]


def test_direct_ingest_creates_calls(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = StringIO()
    call_command("simulate_acd", "--direct", *COMMAND_ARGS, stdout=out, stderr=StringIO())
    offered = CallEvent.objects.filter(source__name="simulator", type="call.offered").count()
    assert offered > 5
    assert Call.objects.filter(source__name="simulator").count() == offered
    answered = Call.objects.filter(outcome="answered")
    assert answered.exists()
    for call in answered.exclude(recording_url="")[:3]:
        assert (tmp_path / call.recording_url).is_file()
    text = out.getvalue()
    assert f"calls: {offered}" in text
    assert "rejected: 0" in text and "ASA:" in text and "service level" in text


def test_direct_ingest_again_changes_nothing(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("simulate_acd", "--direct", "--no-recordings", *COMMAND_ARGS, stdout=StringIO())
    stored = CallEvent.objects.count()
    out = StringIO()
    call_command("simulate_acd", "--direct", "--no-recordings", *COMMAND_ARGS, stdout=out)
    assert CallEvent.objects.count() == stored
    assert "accepted: 0" in out.getvalue()
    assert not CallEvent.objects.filter(type="recording.ready").exists()


def test_posting_to_the_ingest_api_creates_calls(live_server):
    source = FeedSource.objects.create(name="pbx-sim")
    out = StringIO()
    call_command(
        "simulate_acd",
        "--url",
        f"{live_server.url}/api/telephony/events",
        "--token",
        source.secret,
        "--source",
        "pbx-sim",
        "--no-recordings",
        *COMMAND_ARGS,
        stdout=out,
        stderr=StringIO(),
    )
    offered = CallEvent.objects.filter(source=source, type="call.offered").count()
    assert offered > 5
    assert Call.objects.filter(source=source).count() == offered
    assert "rejected: 0" in out.getvalue()


def test_a_refused_token_stops_the_command(live_server):
    with pytest.raises(CommandError, match="401"):
        call_command(
            "simulate_acd",
            "--url",
            f"{live_server.url}/api/telephony/events",
            "--token",
            "not-a-feed-secret",
            "--no-recordings",
            *COMMAND_ARGS,
            stdout=StringIO(),
            stderr=StringIO(),
        )


class _FlakyIngest(BaseHTTPRequestHandler):
    """Answers 503 to the first POST, then accepts everything; records what it was sent."""

    received: list = []
    headers_seen: list = []
    failures_left = 1

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).headers_seen.append(self.headers["Authorization"])
        if type(self).failures_left > 0:
            type(self).failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        batch = json.loads(body)
        type(self).received.extend(batch)
        reply = json.dumps({"accepted": len(batch), "duplicates": 0, "rejected": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def ingest_server():
    _FlakyIngest.received, _FlakyIngest.headers_seen, _FlakyIngest.failures_left = [], [], 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FlakyIngest)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/telephony/events"
    server.shutdown()
    server.server_close()


def test_posting_retries_a_failed_batch_and_sends_everything_in_order(db, ingest_server):
    out, err = StringIO(), StringIO()
    call_command(
        "simulate_acd",
        "--url",
        ingest_server,
        "--token",
        "s3cret",
        "--no-recordings",
        "--batch-size",
        "100",
        *COMMAND_ARGS,
        stdout=out,
        stderr=err,
    )
    received = _FlakyIngest.received
    expected = list(
        simulate(
            config_simple(
                queues=["sales", "support"],
                calls_per_hour=40,
                agents=6,
                start=START,
                duration_s=900,
                seed=3,
                recordings=False,
            )
        )
    )
    assert received == expected
    assert set(_FlakyIngest.headers_seen) == {"Bearer s3cret"}
    assert "retrying" in err.getvalue()
    assert f"sent: {len(expected)}" in out.getvalue()


def test_speed_paces_events_in_real_time(db, ingest_server):
    _FlakyIngest.failures_left = 0
    began = time.monotonic()
    call_command(
        "simulate_acd",
        "--url",
        ingest_server,
        "--token",
        "t",
        "--no-recordings",
        "--speed",
        "600",
        "--duration",
        "300",
        "--seed",
        "4",
        "--calls-per-hour",
        "30",
        "--agents",
        "2",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    # 300 simulated seconds (and the last calls finishing) at 600x take at least half a second.
    assert time.monotonic() - began >= 0.5
    assert _FlakyIngest.received


def test_command_needs_one_destination():
    with pytest.raises(CommandError, match="Choose one destination"):
        call_command("simulate_acd", "--duration", "10")
    with pytest.raises(CommandError, match="needs --token"):
        call_command("simulate_acd", "--url", "http://127.0.0.1:1/api/telephony/events")


# --- agreement with Erlang C ---------------------------------------------------------------------------
def test_measured_asa_and_service_level_agree_with_erlang_c():
    """One queue, every agent skilled, no ring time, holds, transfers, breaks or abandons, exponential
    handle times and Poisson arrivals: the simulator is then exactly the M/M/N queue of Erlang C."""
    calls_per_hour, aht_s, agents, hours, target_s = 100, 180, 8, 160, 20  # 5 Erlangs on 8 agents
    config = config_simple(
        queues=["sales"],
        calls_per_hour=calls_per_hour,
        agents=agents,
        start=START,
        duration_s=hours * 3600,
        aht_s=aht_s,
        patience_s=0,
        ring_s=0,
        hold_probability=0,
        transfer_probability=0,
        breaks_per_hour=0,
        ivr_enabled=False,
        recordings=False,
        survey_probability=0,
        seed=1,
    )
    queued_at, waits = {}, []
    for event in simulate(config):
        if event["type"] == "call.queued":
            queued_at[event["call_id"]] = datetime.fromisoformat(event["ts"])
        elif event["type"] == "call.answered":
            queued = queued_at.pop(event["call_id"])
            waits.append(
                (
                    (queued - START).total_seconds(),
                    (datetime.fromisoformat(event["ts"]) - queued).total_seconds(),
                )
            )
    assert not queued_at  # with no patience limit every call is answered

    # Waits of successive calls are correlated, so the standard error comes from batch means:
    # 4-hour batches, each about 28 relaxation times of this queue (1 / (mu (sqrt N - sqrt A))^2 ~ 510 s)
    # and about 400 calls, the first batch dropped as warm-up (the center opens empty). The remaining
    # 39 batch means are close to independent; the check allows 4 standard errors of their mean.
    batch_s = 4 * 3600
    batches = [
        [w for queued, w in waits if b * batch_s <= queued < (b + 1) * batch_s] for b in range(1, hours // 4)
    ]
    asa_means = [statistics.fmean(batch) for batch in batches]
    sl_means = [sum(w <= target_s for w in batch) / len(batch) for batch in batches]
    measured_asa, measured_sl = statistics.fmean(asa_means), statistics.fmean(sl_means)
    asa_se = statistics.stdev(asa_means) / math.sqrt(len(batches))
    sl_se = statistics.stdev(sl_means) / math.sqrt(len(batches))

    expected_asa = asa(calls_per_hour, 3600, aht_s, agents)
    expected_sl = service_level(calls_per_hour, 3600, aht_s, agents, target_s)
    print(
        f"ASA measured {measured_asa:.2f} s ± {asa_se:.2f} vs Erlang C {expected_asa:.2f} s; "
        f"SL measured {measured_sl:.4f} ± {sl_se:.4f} vs Erlang C {expected_sl:.4f}"
    )
    # The tolerance must be tight enough to mean something.
    assert 4 * sl_se < 0.05 and 4 * asa_se < 0.6 * expected_asa
    assert abs(measured_asa - expected_asa) <= 4 * asa_se
    assert abs(measured_sl - expected_sl) <= 4 * sl_se
