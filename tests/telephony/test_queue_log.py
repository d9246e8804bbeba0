"""The Asterisk queue_log importer: line mapping, leniency, quarantine, idempotency and the command."""

from __future__ import annotations

import gc
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from telephony.models import Call, CallEvent, QuarantinedEvent, QueueVisit
from telephony.queue_log import queue_log_import, queue_log_parse_line

SAMPLE = Path(__file__).with_name("sample_queue_log.txt")
T = 1763974800  # 2025-11-24 09:00:00 UTC


def parse(line: str) -> dict[str, Any]:
    result = queue_log_parse_line(line, source="queue_log")
    assert result.event is not None, result.error or "skipped"
    return result.event


def error_of(line: str) -> str:
    result = queue_log_parse_line(line, source="queue_log")
    assert result.event is None
    assert not result.skipped
    return result.error


def call_rows() -> list[dict[str, Any]]:
    return list(
        Call.objects.order_by("call_id").values(
            "call_id", "outcome", "wait_s", "talk_s", "ended_by", "transfers", "queue__name", "agent_code"
        )
    )


# --- mapping of each verb ------------------------------------------------------------------------
def test_enterqueue_is_call_queued_with_the_caller_from_data2():
    event = parse(f"{T}|c1|sales|NONE|ENTERQUEUE||5551230001|1")
    assert (event["type"], event["call_id"], event["queue"], event["caller"]) == (
        "call.queued",
        "c1",
        "sales",
        "5551230001",
    )
    assert event["agent"] == ""


def test_event_time_is_utc_rfc3339_from_the_epoch():
    assert parse(f"{T}|c1|sales|NONE|ENTERQUEUE||555|1")["ts"] == "2025-11-24T09:00:00+00:00"


def test_event_keys_are_the_native_contract():
    event = parse(f"{T}|c1|sales|NONE|ENTERQUEUE||555|1")
    assert set(event) == {"source", "event_id", "ts", "type", "call_id", "queue", "agent", "caller", "data"}
    assert event["source"] == "queue_log"


def test_connect_is_call_answered_with_logged_wait_and_ring_time():
    event = parse(f"{T}|c1|sales|alice|CONNECT|14|1763974814.2|3")
    assert (event["type"], event["agent"]) == ("call.answered", "alice")
    assert event["data"] == {"wait_s": 14, "ring_s": 3}


@pytest.mark.parametrize(("verb", "by"), [("COMPLETECALLER", "caller"), ("COMPLETEAGENT", "agent")])
def test_complete_is_call_ended_with_logged_wait_talk_and_who_hung_up(verb, by):
    event = parse(f"{T}|c1|sales|alice|{verb}|14|120|1")
    assert event["type"] == "call.ended"
    assert event["data"] == {"by": by, "wait_s": 14, "talk_s": 120, "wrapup": False}


def test_abandon_is_call_abandoned_with_the_wait_from_data3():
    event = parse(f"{T}|c1|sales|NONE|ABANDON|2|3|41")
    assert (event["type"], event["data"]) == ("call.abandoned", {"wait_s": 41})


@pytest.mark.parametrize(
    ("tail", "data"),
    [
        ("EXITWITHTIMEOUT|1|1|30", {"reason": "timeout", "wait_s": 30}),
        ("EXITEMPTY|1|1|12", {"reason": "empty", "wait_s": 12}),
        ("EXITWITHKEY|5|1|1|9", {"reason": "key", "key": "5", "wait_s": 9}),
        ("WITHDRAW|1|1|7|customer asked", {"reason": "withdraw", "wait_s": 7}),
    ],
)
def test_exits_are_call_timeout_with_reason_and_logged_wait(tail, data):
    event = parse(f"{T}|c1|sales|NONE|{tail}")
    assert (event["type"], event["data"]) == ("call.timeout", data)


@pytest.mark.parametrize("verb", ["TRANSFER", "BLINDTRANSFER"])
def test_transfer_names_the_extension_with_holdtime_and_calltime(verb):
    event = parse(f"{T}|c1|sales|bob|{verb}|2001|from-internal|7|59|1")
    assert event["type"] == "call.transferred"
    assert event["data"] == {
        "to_agent": "2001",
        "context": "from-internal",
        "wait_s": 7,
        "talk_s": 59,
        "wrapup": False,
    }


def test_attended_transfer_names_data2_as_the_target():
    event = parse(f"{T}|c1|sales|bob|ATTENDEDTRANSFER|BRIDGE|1763974900.7|7|59|1")
    assert event["data"] == {
        "method": "BRIDGE",
        "to_agent": "1763974900.7",
        "wait_s": 7,
        "talk_s": 59,
        "wrapup": False,
    }


def test_attended_transfer_without_a_target_says_attended():
    event = parse(f"{T}|c1|sales|bob|ATTENDEDTRANSFER|APP||7|59|1")
    assert event["data"]["to_agent"] == "attended"


def test_ringnoanswer_is_an_unanswered_ring_in_seconds():
    event = parse(f"{T}|c1|sales|bob|RINGNOANSWER|15500")
    assert (event["type"], event["agent"]) == ("call.ringing", "bob")
    assert event["data"] == {"answered": False, "ring_s": 15.5}


def test_ringcanceled_is_an_unanswered_ring():
    event = parse(f"{T}|c1|sales|bob|RINGCANCELED|")
    assert (event["type"], event["data"]) == ("call.ringing", {"answered": False})


@pytest.mark.parametrize(
    ("verb", "event_type"),
    [
        ("AGENTLOGIN", "agent.login"),
        ("ADDMEMBER", "agent.login"),
        ("AGENTLOGOFF", "agent.logout"),
        ("REMOVEMEMBER", "agent.logout"),
    ],
)
def test_membership_verbs_are_agent_login_and_logout(verb, event_type):
    event = parse(f"{T}|NONE|sales|alice|{verb}|")
    assert (event["type"], event["agent"], event["queue"], event["call_id"]) == (
        event_type,
        "alice",
        "sales",
        "",
    )


def test_agentlogin_takes_the_agent_from_data1_when_the_agent_field_is_none():
    assert parse(f"{T}|NONE|NONE|NONE|AGENTLOGIN|Agent/1004")["agent"] == "Agent/1004"


@pytest.mark.parametrize("verb", ["PAUSE", "PAUSEALL"])
def test_pause_is_not_ready_with_the_pause_reason(verb):
    event = parse(f"{T}|NONE|NONE|alice|{verb}|lunch")
    assert (event["type"], event["data"], event["queue"]) == (
        "agent.state",
        {"state": "not_ready", "reason": "lunch"},
        "",
    )


def test_pause_without_a_reason_has_an_empty_reason():
    assert parse(f"{T}|NONE|sales|alice|PAUSE")["data"] == {"state": "not_ready", "reason": ""}


@pytest.mark.parametrize("verb", ["UNPAUSE", "UNPAUSEALL"])
def test_unpause_is_available(verb):
    event = parse(f"{T}|NONE|sales|alice|{verb}|")
    assert (event["type"], event["data"]) == ("agent.state", {"state": "available"})


def test_agent_event_carries_no_call_id_so_it_makes_no_call():
    assert parse(f"{T}|1763974900.7|sales|alice|PAUSE|lunch")["call_id"] == ""


# --- skipped, lenient and bad lines --------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        f"{T}|NONE|NONE|NONE|QUEUESTART|",
        f"{T}|NONE|NONE|NONE|CONFIGRELOAD|",
        f"{T}|NONE|sales|NONE|ABANDON|1|1|5",
        "",
    ],
)
def test_queuestart_configreload_callless_and_blank_lines_are_skipped(line):
    result = queue_log_parse_line(line, source="queue_log")
    assert result.skipped
    assert (result.event, result.error) == (None, "")


def test_missing_trailing_fields_parse_leniently():
    assert parse(f"{T}|c1|sales|NONE|ENTERQUEUE")["caller"] == ""
    assert parse(f"{T}|c1|sales|alice|CONNECT|12|1763974812.2")["data"] == {"wait_s": 12}
    assert parse(f"{T}|c1|sales|NONE|EXITWITHTIMEOUT|1")["data"] == {"reason": "timeout"}


def test_unknown_verb_is_an_error():
    assert error_of(f"{T}|c1|sales|bob|SYSCOMPAT|") == "unknown queue_log verb 'SYSCOMPAT'"


def test_too_few_fields_is_an_error():
    assert "got 3 field(s)" in error_of(f"{T}|c1|sales")


def test_non_numeric_timestamp_is_an_error():
    assert (
        error_of("yesterday|c1|sales|NONE|ENTERQUEUE||555|1")
        == "timestamp 'yesterday' is not Unix epoch seconds"
    )


def test_non_numeric_wait_is_an_error():
    assert error_of(f"{T}|c1|sales|alice|CONNECT|soon|x|3") == "CONNECT holdtime 'soon' is not a number"


def test_agent_event_without_an_agent_is_an_error():
    assert "`agent` is required" in error_of(f"{T}|NONE|sales|NONE|PAUSE|lunch")


def test_call_verb_with_an_empty_callid_is_an_error():
    assert "`call_id` is required" in error_of(f"{T}||sales|NONE|ENTERQUEUE||555|1")


def test_event_id_is_stable_per_line_and_differs_between_lines():
    line = f"{T}|c1|sales|NONE|ENTERQUEUE||555|1"
    assert parse(line)["event_id"] == parse(line + "\n")["event_id"]
    assert parse(line)["event_id"].startswith("ql-")
    assert parse(line)["event_id"] != parse(line.replace("555", "556"))["event_id"]


# --- import --------------------------------------------------------------------------------------
def test_importing_the_sample_gives_the_expected_counts(db):
    summary = queue_log_import(path_or_lines=SAMPLE)
    assert (
        summary.lines,
        summary.calls,
        summary.events,
        summary.duplicates,
        summary.rejected,
        summary.skipped,
    ) == (
        35,
        7,
        30,
        0,
        3,
        2,
    )
    assert CallEvent.objects.filter(source__name="queue_log").count() == 30


def test_sample_calls_take_wait_and_talk_from_the_logged_fields(db):
    queue_log_import(path_or_lines=SAMPLE)
    # The timestamps differ from the logged fields by a second on purpose; the logged fields win.
    assert call_rows() == [
        _row("1763974810.1", "answered", 4, 120, "caller", 0, "sales", "alice"),
        _row("1763974830.3", "abandoned", 21, None, "", 0, "support", ""),
        _row("1763974860.4", "answered", 29 + 5, 103, "caller", 0, "support", "carol"),
        _row("1763974940.6", "answered", 17, 90, "agent", 0, "sales", "alice"),
        _row("1763975100.8", "answered", 7, 59, "", 1, "sales", "bob"),
        _row("1763975200.10", "answered", 11, 44, "agent", 0, "support", "carol"),
        # Older Asterisk logged no wait on EXITWITHTIMEOUT: only then do timestamps count.
        _row("1763975300.12", "timed_out", 25, None, "", 0, "sales", ""),
    ]


def _row(call_id, outcome, wait_s, talk_s, ended_by, transfers, queue, agent_code) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "outcome": outcome,
        "wait_s": wait_s,
        "talk_s": talk_s,
        "ended_by": ended_by,
        "transfers": transfers,
        "queue__name": queue,
        "agent_code": agent_code,
    }


def test_overflow_call_has_a_timed_out_visit_then_an_answered_one(db):
    queue_log_import(path_or_lines=SAMPLE)
    visits = QueueVisit.objects.filter(call__call_id="1763974860.4").order_by("seq")
    assert [(v.queue.name, v.outcome, v.wait_s, v.talk_s) for v in visits] == [
        ("sales", "timed_out", 29, None),
        ("support", "answered", 5, 103),
    ]


def test_overflow_logged_in_the_same_second_still_makes_two_visits(db):
    # Asterisk logs EXITWITHTIMEOUT and the next queue's ENTERQUEUE in the same second as a rule.
    lines = [
        f"{T}|c1|sales|NONE|ENTERQUEUE||555|1",
        f"{T + 30}|c1|sales|NONE|EXITWITHTIMEOUT|1|1|30",
        f"{T + 30}|c1|support|NONE|ENTERQUEUE||555|1",
        f"{T + 36}|c1|support|carol|CONNECT|6|c1b|2",
        f"{T + 100}|c1|support|carol|COMPLETECALLER|6|64|1",
    ]
    queue_log_import(path_or_lines=lines)
    visits = QueueVisit.objects.filter(call__call_id="c1").order_by("seq")
    assert [(v.queue.name, v.outcome, v.wait_s) for v in visits] == [
        ("sales", "timed_out", 30),
        ("support", "answered", 6),
    ]
    assert Call.objects.get(call_id="c1").outcome == "answered"


def test_importing_twice_changes_nothing(db):
    first = queue_log_import(path_or_lines=SAMPLE)
    before = call_rows()
    second = queue_log_import(path_or_lines=SAMPLE)
    assert (second.events, second.duplicates) == (0, first.events)
    assert (second.lines, second.calls, second.rejected, second.skipped) == (
        first.lines,
        first.calls,
        first.rejected,
        first.skipped,
    )
    assert call_rows() == before
    assert CallEvent.objects.count() == first.events
    assert QuarantinedEvent.objects.count() == 3


def test_small_batches_give_the_same_calls(db):
    queue_log_import(path_or_lines=SAMPLE, batch_size=4)
    in_batches = call_rows()
    Call.objects.all().delete()
    CallEvent.objects.all().delete()
    queue_log_import(path_or_lines=SAMPLE)
    assert call_rows() == in_batches


def test_bad_lines_are_quarantined_with_line_number_and_reason(db):
    queue_log_import(path_or_lines=SAMPLE, source_name="pbx-east")
    stored = list(
        QuarantinedEvent.objects.order_by("index").values_list(
            "source_name", "origin", "index", "raw", "error"
        )
    )
    assert stored == [
        (
            "pbx-east",
            "queue_log",
            30,
            "1763975330|1763975330.13|sales|bob|SYSCOMPAT|",
            "unknown queue_log verb 'SYSCOMPAT'",
        ),
        (
            "pbx-east",
            "queue_log",
            31,
            "1763975340|1763975340.14|sales",
            "expected timestamp|callid|queue|agent|event|data..., got 3 field(s)",
        ),
        (
            "pbx-east",
            "queue_log",
            32,
            "yesterday|1763975350.15|sales|NONE|ENTERQUEUE||5551230015|1",
            "timestamp 'yesterday' is not Unix epoch seconds",
        ),
    ]


def test_lines_can_be_given_as_an_iterable(db):
    summary = queue_log_import(path_or_lines=SAMPLE.read_text().splitlines())
    assert (summary.lines, summary.events, summary.rejected) == (35, 30, 3)


def test_command_prints_the_summary(db):
    out = StringIO()
    call_command("import_queue_log", str(SAMPLE), "--source", "asterisk1", stdout=out)
    assert out.getvalue().strip() == "lines 35, calls 7, events 30, duplicates 0, rejected 3, skipped 2"
    assert Call.objects.filter(source__name="asterisk1").count() == 7


def test_command_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_queue_log", str(tmp_path / "missing.log"))


def test_pause_during_a_call_keeps_the_agent_on_the_call(db):
    from agents.models import PresenceSegment

    lines = [
        "1763974800|NONE|sales|alice|ADDMEMBER|",
        "1763974805|c1|sales|NONE|ENTERQUEUE||+14155550123|1",
        "1763974810|c1|sales|alice|CONNECT|5|x|2",
        "1763974840|NONE|sales|alice|PAUSE|lunch",
        "1763974900|c1|sales|alice|COMPLETECALLER|5|90|1",
    ]
    queue_log_import(path_or_lines=lines, source_name="pbx")
    rows = list(PresenceSegment.objects.filter(agent_code="alice").order_by("started_at"))
    assert [(row.state, row.reason) for row in rows] == [
        ("available", ""),
        ("on_call", ""),
        ("not_ready", "lunch"),
    ]
    on_call = rows[1]
    assert (
        on_call.ended_at - on_call.started_at
    ).total_seconds() == 90  # the whole call, not cut at the pause
    assert rows[2].started_at == on_call.ended_at


def test_small_batches_give_the_same_calls_as_one(db):
    lines = SAMPLE.read_text().splitlines()
    queue_log_import(path_or_lines=lines, source_name="one-batch")
    whole = call_rows()
    Call.objects.all().delete()
    queue_log_import(path_or_lines=lines, source_name="tiny-batches", batch_size=3)
    assert call_rows() == whole


def test_a_failing_reader_stops_the_import_with_its_error(db):
    def lines():
        yield f"{T}|c1|sales|NONE|ENTERQUEUE||+14155550123|1"
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        queue_log_import(path_or_lines=lines(), source_name="broken")


def test_ingest_refuses_validated_events_of_another_source(db):
    from telephony.services import call_events_ingest, feed_source_ensure

    event = queue_log_parse_line(f"{T}|c1|sales|NONE|ENTERQUEUE||+14155550123|1", source="other").feed_event
    with pytest.raises(ValueError, match="belongs to other"):
        call_events_ingest(source=feed_source_ensure(name="queue_log"), raw_events=(), validated=[event])


def test_line_with_a_nul_byte_is_quarantined_once(db):
    lines = [f"{T}|c1|sales|NONE|ENTER\x00QUEUE||+14155550123|1"]
    queue_log_import(path_or_lines=lines, source_name="queue_log")
    queue_log_import(path_or_lines=lines, source_name="queue_log")
    row = QuarantinedEvent.objects.get()
    assert "\x00" not in row.raw and "\\x00" in row.raw


def test_the_collector_pace_is_restored_after_an_import(db):
    before = gc.get_threshold()
    queue_log_import(path_or_lines=SAMPLE.read_text().splitlines())
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0  # what the import set aside is collected again


def test_the_collector_pace_is_restored_when_an_import_fails(db):
    before = gc.get_threshold()

    def lines():
        yield SAMPLE.read_text().splitlines()[0]
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        queue_log_import(path_or_lines=lines())
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
