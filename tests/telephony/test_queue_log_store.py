"""The queue_log import's set-based path gives exactly what the general ingest path gives.

Each test imports a generated log whose agents carry a site prefix, and compares the calls,
visits and presence it made with those the general path (`call_events_ingest`) makes of the
same lines under another site's agents.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import F

from agents.models import PresenceSegment
from kpi.models import RollupInterval
from telephony import queue_log_rows
from telephony.models import Call, CallEvent, QueueVisit
from telephony.queue_log import INLINE_BYTES, queue_log_import, queue_log_parse_line
from telephony.queue_log_rows import copy_field
from telephony.queue_log_store import NOTE_EVERY_GROUPS
from telephony.services import CALL_FIELDS, call_events_ingest, feed_source_ensure

START = 1763974800  # 2025-11-24 09:00:00 UTC
QUEUES = ("sales", "support", "billing")


def log_lines(*, site: str, calls: int, seed: int = 3) -> list[str]:
    """A day's queue_log for `calls` callers, time-ordered: answered, abandoned, overflowed,
    transferred and rung-but-missed calls, agents logging in and pausing."""
    rng = random.Random(seed)  # test data: reproducible, not secret
    agents = {f"{site}a{n}": START for n in range(8)}
    rows = [(START, f"{START}|NONE|{rng.choice(QUEUES)}|{code}|ADDMEMBER|") for code in agents]
    at = START
    for seq in range(calls):
        at += rng.randint(1, 9)
        call, queue = f"{at}.{seq}", rng.choice(QUEUES)
        rows.append((at, f"{at}|{call}|{queue}|NONE|ENTERQUEUE||555{seq:07d}|1"))
        start = at
        if rng.random() < 0.1:
            start += 30
            rows.append((start, f"{start}|{call}|{queue}|NONE|EXITWITHTIMEOUT|1|1|30"))
            queue = rng.choice([q for q in QUEUES if q != queue])
            rows.append((start, f"{start}|{call}|{queue}|NONE|ENTERQUEUE||555{seq:07d}|1"))
        agent = min(agents, key=agents.__getitem__)
        wait = max(0, agents[agent] - start) + rng.randint(1, 5)
        if wait > 120:
            rows.append((start + 120, f"{start + 120}|{call}|{queue}|NONE|ABANDON|1|1|120"))
            continue
        if rng.random() < 0.2:
            rows.append((start + wait - 1, f"{start + wait - 1}|{call}|{queue}|{agent}|RINGNOANSWER|1000"))
        connect = start + wait
        rows.append((connect, f"{connect}|{call}|{queue}|{agent}|CONNECT|{wait}|{call}x|1"))
        end = connect + rng.randint(20, 400)
        if rng.random() < 0.05:
            rows.append(
                (end, f"{end}|{call}|{queue}|{agent}|BLINDTRANSFER|2000|ctx|{wait}|{end - connect}|1")
            )
        else:
            rows.append((end, f"{end}|{call}|{queue}|{agent}|COMPLETECALLER|{wait}|{end - connect}|1"))
        agents[agent] = end + rng.randint(5, 20)
        if rng.random() < 0.03:
            rows.append((end, f"{end}|NONE|NONE|{agent}|PAUSE|lunch"))
            rows.append((end + 600, f"{end + 600}|NONE|NONE|{agent}|UNPAUSE|"))
            agents[agent] = end + 600
    rows.sort(key=lambda row: row[0])
    return [line for _at, line in rows]


def ingest_generally(lines: list[str], *, source_name: str) -> None:
    """The reference: the same lines through call_events_ingest, in batches."""
    source = feed_source_ensure(name=source_name)
    events = [
        result.feed_event
        for result in (queue_log_parse_line(line, source=source_name) for line in lines)
        if result.feed_event is not None
    ]
    for start in range(0, len(events), 2000):
        call_events_ingest(source=source, raw_events=(), validated=events[start : start + 2000])


# Every field a call summary has, the queue by name: both paths must agree on all of them.
COMPARED_CALL_FIELDS = ("call_id", "queue__name", *(name for name in CALL_FIELDS if name != "queue"))
VISIT_FIELDS = ("call__call_id", "seq", "queue__name", "queued_at", "answered_at", "left_at", "ended_at")
VISIT_FIELDS += ("outcome", "agent_code", "wait_s", "talk_s", "hold_s", "acw_s")


def made_by(source_name: str, site: str) -> dict[str, list[dict[str, Any]]]:
    """Everything the import made for one source, with the site prefix taken off agent codes."""

    def strip(row: dict[str, Any]) -> dict[str, Any]:
        return {key: value.removeprefix(site) if key == "agent_code" else value for key, value in row.items()}

    calls = Call.objects.filter(source__name=source_name).order_by("call_id").values(*COMPARED_CALL_FIELDS)
    visits = (
        QueueVisit.objects.filter(call__source__name=source_name)
        .order_by("call__call_id", "seq")
        .values(*VISIT_FIELDS)
    )
    presence = (
        PresenceSegment.objects.filter(agent_code__startswith=site)
        .order_by("agent_code", "started_at", "id")
        .values(
            "agent_code", "state", "reason", "call_id", "queue", "started_at", "ended_at", "pending_state"
        )
    )
    return {
        "calls": [strip(row) for row in calls],
        "visits": [strip(row) for row in visits],
        "presence": [strip(row) for row in presence],
    }


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return path


# Committing, as an import does: one test transaction would hold every group's advisory locks.
@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_stored_set_based_with_the_general_paths_calls_visits_and_presence(tmp_path):
    path = write(tmp_path, "queue_log", log_lines(site="s-", calls=8000))
    assert path.stat().st_size > INLINE_BYTES  # read and parsed in the parser process
    summary = queue_log_import(path_or_lines=path, source_name="set-based", batch_size=1000)
    ingest_generally(log_lines(site="g-", calls=8000), source_name="general")

    assert summary.groups > 10
    assert summary.set_based_groups == summary.groups
    assert summary.events == CallEvent.objects.filter(source__name="set-based").count()
    set_based, general = made_by("set-based", "s-"), made_by("general", "g-")
    assert len(set_based["calls"]) == 8000
    assert {row["outcome"] for row in set_based["calls"]} >= {"answered", "abandoned"}
    assert any(row["transfers"] for row in set_based["calls"])
    assert {row["outcome"] for row in set_based["visits"]} >= {"answered", "abandoned", "timed_out"}
    assert set_based == general


def test_calls_spanning_two_imports_are_rederived_from_the_database(db, tmp_path):
    lines = log_lines(site="s-", calls=800)
    # Cut where calls are in progress: the second file holds the rest of them.
    cut = next(n for n, line in enumerate(lines) if n > len(lines) // 2 and "|CONNECT|" in line)
    first = queue_log_import(path_or_lines=lines[:cut], source_name="two-files", batch_size=200)
    second = queue_log_import(path_or_lines=lines[cut:], source_name="two-files", batch_size=200)
    ingest_generally(log_lines(site="g-", calls=800), source_name="general")

    assert first.set_based_groups == first.groups
    assert 0 < second.set_based_groups < second.groups  # the groups with earlier calls went the general way
    assert made_by("two-files", "s-") == made_by("general", "g-")


@pytest.mark.django_db(transaction=True)
def test_a_reimport_stores_nothing_and_changes_nothing(tmp_path):
    path = write(tmp_path, "queue_log", log_lines(site="s-", calls=8000))
    first = queue_log_import(path_or_lines=path, source_name="again", batch_size=2000)
    before = made_by("again", "s-")
    second = queue_log_import(path_or_lines=path, source_name="again", batch_size=2000)
    assert (second.events, second.duplicates) == (0, first.events)
    assert second.set_based_groups == 0
    assert made_by("again", "s-") == before


def test_a_line_repeated_in_the_file_is_one_event(db):
    lines = log_lines(site="s-", calls=300)
    repeated = next(line for line in lines if "|CONNECT|" in line)
    summary = queue_log_import(path_or_lines=[*lines, repeated], source_name="repeat", batch_size=100000)
    ingest_generally(log_lines(site="g-", calls=300), source_name="general")
    assert summary.duplicates == 1
    assert summary.events == len(lines)
    assert made_by("repeat", "s-") == made_by("general", "g-")


def test_calls_the_parser_has_let_go_are_derived_from_the_database(db, monkeypatch):
    # Lines given as a list are parsed in this process, so the settings below reach the parser.
    monkeypatch.setattr(queue_log_rows, "FORGET_FROM_CALLS", 1)
    monkeypatch.setattr(queue_log_rows, "KEEP_GROUPS", 1)
    lines = log_lines(site="s-", calls=600)
    summary = queue_log_import(path_or_lines=lines, source_name="forgetful", batch_size=150)
    ingest_generally(log_lines(site="g-", calls=600), source_name="general")
    assert 0 < summary.set_based_groups < summary.groups
    assert made_by("forgetful", "s-") == made_by("general", "g-")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "\\N"),
        ("a\\b\tc\nd\re", "a\\\\b\\tc\\nd\\re"),
        (True, "t"),
        (3, "3"),
        (2.5, "2.5"),
        ([{"node": "menu"}], '[{"node": "menu"}]'),
    ],
)
def test_copy_text_escapes_what_copy_would_misread(value, text):
    assert copy_field(value) == text


def test_names_with_backslashes_and_tabs_are_stored_as_written(db):
    lines = [
        f"{START}|c1|back\\slash|NONE|ENTERQUEUE||555\t1|1",
        f"{START + 5}|c1|back\\slash|age\\nt|CONNECT|5|c1b|1",
        f"{START + 60}|c1|back\\slash|age\\nt|COMPLETEAGENT|5|55|1",
    ]
    summary = queue_log_import(path_or_lines=lines, source_name="odd-names")
    assert summary.set_based_groups == 1
    call = Call.objects.get(source__name="odd-names", call_id="c1")
    assert (call.queue.name, call.agent_code, call.caller, call.outcome) == (
        "back\\slash",
        "age\\nt",
        "555\t1",
        "answered",
    )
    assert set(CallEvent.objects.filter(source__name="odd-names").values_list("queue", flat=True)) == {
        "back\\slash"
    }


def _intervals_rolled_up(first: datetime, count: int) -> list[datetime]:
    starts = [first + timedelta(minutes=15 * n) for n in range(count)]
    RollupInterval.objects.bulk_create(
        [
            RollupInterval(start=start, generation=1, computed_generation=1, computed_at=start)
            for start in starts
        ]
    )
    return starts


def _stale(starts: list[datetime]) -> list[datetime]:
    return sorted(
        RollupInterval.objects.filter(start__in=starts)
        .exclude(generation=F("computed_generation"))
        .values_list("start", flat=True)
    )


@pytest.mark.django_db(transaction=True)  # the notes go out after each group's commit
def test_an_import_of_late_lines_marks_the_intervals_they_change_stale():
    starts = _intervals_rolled_up(datetime.fromtimestamp(START, tz=UTC) - timedelta(hours=1), 12)
    summary = queue_log_import(path_or_lines=log_lines(site="n-", calls=200), source_name="n", batch_size=40)
    assert summary.groups > NOTE_EVERY_GROUPS  # notes of several groups went out together
    # The hour before the log's first line stays current; from the first presence line on, all changes.
    assert _stale(starts) == starts[4:]


@pytest.mark.django_db(transaction=True)
def test_an_import_that_fails_still_marks_what_its_stored_groups_change():
    starts = _intervals_rolled_up(datetime.fromtimestamp(START, tz=UTC), 8)
    lines = log_lines(site="f-", calls=200)

    def failing() -> Iterator[str]:
        yield from lines[:150]  # three groups of 40 are stored, fewer than a note's worth
        raise OSError("the disk went away")

    with pytest.raises(OSError, match="went away"):
        queue_log_import(path_or_lines=failing(), source_name="f", batch_size=40)
    assert CallEvent.objects.filter(source__name="f").count() > 0
    assert _stale(starts) == starts
