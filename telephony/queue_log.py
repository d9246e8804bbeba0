"""Asterisk queue_log lines as native call events (DESIGN.md §2): lenient parsing, idempotent import."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telephony.events import EventError, FeedEvent, event_check

ORIGIN = "queue_log"
SKIPPED_VERBS = frozenset({"QUEUESTART", "CONFIGRELOAD"})
# timestamp|callid|queue|agent|event; data1..data5 may be missing on older Asterisk.
MIN_FIELDS = 5
DATA_FIELDS = 5
_NUMBER = re.compile(r"\d+(\.\d+)?")


class _LineError(ValueError):
    """The line cannot become an event; str(error) says why."""


@dataclass(frozen=True, slots=True)
class QueueLogResult:
    """One parsed line: an event (valid against the contract), or skipped, or an error message."""

    skipped: bool = False
    error: str = ""
    # The event as validated (what ingest takes without checking it again).
    feed_event: FeedEvent | None = None

    @property
    def event(self) -> dict[str, Any] | None:
        """The event as the native feed would send it (DESIGN §2 keys, RFC 3339 time)."""
        event = self.feed_event
        if event is None:
            return None
        return {
            "source": event.source,
            "event_id": event.event_id,
            "ts": event.ts.isoformat(),
            "type": event.type,
            "call_id": event.call_id,
            "queue": event.queue,
            "agent": event.agent,
            "caller": event.caller,
            "data": event.data,
        }


@dataclass
class ImportSummary:
    lines: int = 0
    skipped: int = 0
    events: int = 0
    duplicates: int = 0
    rejected: int = 0
    calls: int = 0

    def as_line(self) -> str:
        return (
            f"lines {self.lines}, calls {self.calls}, events {self.events}, "
            f"duplicates {self.duplicates}, rejected {self.rejected}, skipped {self.skipped}"
        )


# --- parsing -------------------------------------------------------------------------------------
def _value(text: str) -> str:
    text = text.strip()
    return "" if text == "NONE" else text


def _number(verb: str, what: str, text: str) -> int | float | None:
    text = text.strip()
    if not text:
        return None  # older Asterisk leaves the field out: the deriver falls back to timestamps
    if not _NUMBER.fullmatch(text):
        raise _LineError(f"{verb} {what} {text!r} is not a number")
    return float(text) if "." in text else int(text)


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        data[key] = value


def _timestamp(text: str) -> datetime:
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        raise _LineError(f"timestamp {text!r} is not Unix epoch seconds")
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise _LineError(f"timestamp {text!r} is out of range") from None


# Each builder gets the verb and data1..data5 and returns (type, data, caller).
Builder = Callable[[str, list[str]], tuple[str, dict[str, Any], str]]


def _enterqueue(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    return "call.queued", {}, _value(d[1])


def _connect(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    data: dict[str, Any] = {}
    _put(data, "wait_s", _number(verb, "holdtime", d[0]))
    _put(data, "ring_s", _number(verb, "ringtime", d[2]))
    return "call.answered", data, ""


def _complete(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    # queue_log does not log after-call work: the agent is free when the call completes.
    data: dict[str, Any] = {"by": "caller" if verb == "COMPLETECALLER" else "agent", "wrapup": False}
    _put(data, "wait_s", _number(verb, "holdtime", d[0]))
    _put(data, "talk_s", _number(verb, "calltime", d[1]))
    return "call.ended", data, ""


def _abandon(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    data: dict[str, Any] = {}
    _put(data, "wait_s", _number(verb, "waittime", d[2]))
    return "call.abandoned", data, ""


_EXIT_REASONS = {
    "EXITWITHTIMEOUT": "timeout",
    "EXITEMPTY": "empty",
    "EXITWITHKEY": "key",
    "WITHDRAW": "withdraw",
}


def _exit(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    data: dict[str, Any] = {"reason": _EXIT_REASONS[verb]}
    if verb == "EXITWITHKEY":
        _put(data, "key", d[0].strip())  # key|position|origposition|waittime
        _put(data, "wait_s", _number(verb, "waittime", d[3]))
    else:
        # position|origposition|waittime (WITHDRAW adds withdrawinfo after it).
        _put(data, "wait_s", _number(verb, "waittime", d[2]))
    return "call.timeout", data, ""


def _transfer(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    data: dict[str, Any] = {"wrapup": False}
    if verb == "ATTENDEDTRANSFER":
        # method|method-data|holdtime|calltime: the target is not always logged, and the contract
        # needs one, so an unnamed attended transfer says so.
        _put(data, "method", d[0].strip())
        data["to_agent"] = d[1].strip() or "attended"
    else:
        _put(data, "to_agent", d[0].strip())  # extension|context|holdtime|calltime
        _put(data, "context", d[1].strip())
    _put(data, "wait_s", _number(verb, "holdtime", d[2]))
    _put(data, "talk_s", _number(verb, "calltime", d[3]))
    return "call.transferred", data, ""


def _ring(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    # Logged when the ring is over, so it never puts the agent into ringing now.
    data: dict[str, Any] = {"answered": False}
    ring_ms = _number(verb, "ringtime", d[0])
    if ring_ms is not None:
        data["ring_s"] = ring_ms / 1000
    return "call.ringing", data, ""


def _login(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    return "agent.login", {}, ""


def _logout(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    return "agent.logout", {}, ""


def _pause(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    return "agent.state", {"state": "not_ready", "reason": d[0].strip()}, ""


def _unpause(verb: str, d: list[str]) -> tuple[str, dict[str, Any], str]:
    return "agent.state", {"state": "available"}, ""


CALL_VERBS: dict[str, Builder] = {
    "ENTERQUEUE": _enterqueue,
    "CONNECT": _connect,
    "COMPLETECALLER": _complete,
    "COMPLETEAGENT": _complete,
    "ABANDON": _abandon,
    "EXITWITHTIMEOUT": _exit,
    "EXITEMPTY": _exit,
    "EXITWITHKEY": _exit,
    "WITHDRAW": _exit,
    "TRANSFER": _transfer,
    "BLINDTRANSFER": _transfer,
    "ATTENDEDTRANSFER": _transfer,
    "RINGNOANSWER": _ring,
    "RINGCANCELED": _ring,
}
AGENT_VERBS: dict[str, Builder] = {
    "AGENTLOGIN": _login,
    "ADDMEMBER": _login,
    "AGENTLOGOFF": _logout,
    "REMOVEMEMBER": _logout,
    "PAUSE": _pause,
    "PAUSEALL": _pause,
    "UNPAUSE": _unpause,
    "UNPAUSEALL": _unpause,
}


def queue_log_event_id(line: str) -> str:
    """A stable id from the exact line, so importing the same line again is a duplicate."""
    return "ql-" + hashlib.sha1(line.encode("utf-8"), usedforsecurity=False).hexdigest()[:24]


def queue_log_parse_line(line: str, *, source: str) -> QueueLogResult:
    """Parse one queue_log line into a native event of feed `source`.

    Returns a result with `event` (already valid against the contract), or `skipped` (blank lines,
    QUEUESTART/CONFIGRELOAD, call verbs with callid NONE), or `error` (malformed line, bad timestamp,
    unknown verb, non-numeric number, contract violation). Never raises for a bad line.
    """
    line = line.rstrip("\r\n")
    if not line.strip():
        return QueueLogResult(skipped=True)
    fields = line.split("|")
    if len(fields) < MIN_FIELDS:
        return QueueLogResult(
            error=f"expected timestamp|callid|queue|agent|event|data..., got {len(fields)} field(s)"
        )
    verb = fields[4].strip()
    if verb in SKIPPED_VERBS:
        return QueueLogResult(skipped=True)
    builder = CALL_VERBS.get(verb) or AGENT_VERBS.get(verb)
    if builder is None:
        return QueueLogResult(error=f"unknown queue_log verb {verb!r}")
    try:
        ts = _timestamp(fields[0])
    except _LineError as error:
        return QueueLogResult(error=str(error))
    call_id = _value(fields[1])
    is_call = verb in CALL_VERBS
    if is_call and fields[1].strip() == "NONE":
        return QueueLogResult(skipped=True)  # queue-level bookkeeping, no call to attach it to
    data_fields = [*fields[5 : 5 + DATA_FIELDS], *[""] * DATA_FIELDS][:DATA_FIELDS]
    try:
        event_type, data, caller = builder(verb, data_fields)
    except _LineError as error:
        return QueueLogResult(error=str(error))
    agent = _value(fields[3])
    if verb == "AGENTLOGIN" and not agent:
        agent = _value(data_fields[0])
    event = FeedEvent(
        source=source,
        event_id=queue_log_event_id(line),
        ts=ts,
        type=event_type,
        # An agent event carrying a call id would be derived as a call of its own.
        call_id=call_id if is_call else "",
        queue=_value(fields[2]),
        agent=agent,
        caller=caller,
        data=data,
    )
    try:
        return QueueLogResult(feed_event=event_check(event))
    except EventError as error:
        return QueueLogResult(error=f"{verb}: {error}")


# --- import --------------------------------------------------------------------------------------
@contextmanager
def _open_lines(path_or_lines: str | os.PathLike[str] | Iterable[str]) -> Iterator[Iterable[str]]:
    if isinstance(path_or_lines, str | os.PathLike):
        # errors="replace": a stray byte spoils one line (quarantined), never the import.
        with open(path_or_lines, encoding="utf-8", errors="replace") as handle:
            yield handle
    else:
        yield path_or_lines


@dataclass
class _Chunk:
    """One group of lines, parsed: valid events, bad lines (number, text, reason) and counts."""

    lines: int = 0
    skipped: int = 0
    events: list[FeedEvent] = field(default_factory=list)
    bad: list[tuple[int, str, str]] = field(default_factory=list)
    call_ids: set[str] = field(default_factory=set)


def _line_groups(lines: Iterable[str], size: int) -> Iterator[list[tuple[int, str]]]:
    group: list[tuple[int, str]] = []
    for numbered in enumerate(lines, start=1):
        group.append(numbered)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


def _parse_group(group: list[tuple[int, str]], source_name: str) -> _Chunk:
    """Parse numbered lines (a module-level function: it runs in the parser process too)."""
    chunk = _Chunk(lines=len(group))
    for number, line in group:
        result = queue_log_parse_line(line, source=source_name)
        if result.feed_event is not None:
            chunk.events.append(result.feed_event)
            if result.feed_event.call_id:
                chunk.call_ids.add(result.feed_event.call_id)
        elif result.skipped:
            chunk.skipped += 1
        else:
            chunk.bad.append((number, line.rstrip("\r\n"), result.error))
    return chunk


# Groups parsed ahead of the writer; two keep the parser busy while the writer stores one.
PARSE_AHEAD = 2


def _parsed(groups: Iterator[list[tuple[int, str]]], source_name: str) -> Iterator[_Chunk]:
    """Parsed groups in order. A file of more than one group is parsed in a separate process,
    groups ahead of the writer: parsing is CPU-bound Python and writing mostly waits on
    PostgreSQL, so on two cores the import costs about the larger of the two, not their sum (a
    thread would share the GIL with the writer's own Python work). A single group (tests, small
    files) is parsed inline, with no process to start."""
    first = next(groups, None)
    if first is None:
        return
    second = next(groups, None)
    if second is None:
        yield _parse_group(first, source_name)
        return
    # spawn, not fork: a forked child would share the parent's database connection.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as parser:
        pending = deque(parser.submit(_parse_group, group, source_name) for group in (first, second))
        for group in groups:
            while len(pending) >= PARSE_AHEAD:
                yield pending.popleft().result()
            pending.append(parser.submit(_parse_group, group, source_name))
        while pending:
            yield pending.popleft().result()


def queue_log_import(
    *,
    path_or_lines: str | os.PathLike[str] | Iterable[str],
    source_name: str = "queue_log",
    batch_size: int = 5000,
) -> ImportSummary:
    """Import a queue_log file (a path, streamed) or an iterable of lines into feed `source_name`.

    Valid events go through `call_events_ingest` in batches of `batch_size` (each one transaction);
    bad lines are kept in quarantine with their line number and reason (once, however often the
    file is imported). Importing the same lines again changes nothing. Returns the counts; never
    raises for a bad line.
    """
    # Imported here so the parser above stays usable without a configured Django.
    from telephony.services import call_events_ingest, feed_source_ensure

    source = feed_source_ensure(name=source_name)
    summary = ImportSummary()
    call_ids: set[str] = set()
    with _open_lines(path_or_lines) as lines:
        for chunk in _parsed(_line_groups(lines, batch_size), source_name):
            summary.lines += chunk.lines
            summary.skipped += chunk.skipped
            summary.rejected += len(chunk.bad)
            call_ids |= chunk.call_ids
            if chunk.events:
                result = call_events_ingest(
                    source=source, raw_events=(), validated=chunk.events, origin=ORIGIN
                )
                summary.events += result.accepted
                summary.duplicates += result.duplicates
                summary.rejected += len(result.rejected)
            if chunk.bad:
                _quarantine_store(source_name=source_name, bad=chunk.bad)
    summary.calls = len(call_ids)
    return summary


def _quarantine_store(*, source_name: str, bad: list[tuple[int, str, str]]) -> None:
    from telephony.models import QuarantinedEvent

    # A re-import finds the same line at the same number: keep one copy, so re-importing changes nothing.
    stored = set(
        QuarantinedEvent.objects.filter(
            source_name=source_name, origin=ORIGIN, index__in=[number for number, _line, _error in bad]
        ).values_list("index", "raw")
    )
    rows = [
        QuarantinedEvent.of(source_name=source_name, origin=ORIGIN, index=number, raw=line, error=error)
        for number, line, error in bad
    ]
    QuarantinedEvent.objects.bulk_create(
        [row for row in rows if (row.index, row.raw) not in stored], batch_size=1000
    )
