"""Asterisk queue_log lines as native call events (DESIGN.md §2): lenient parsing, idempotent import."""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telephony.events import EventError, FeedEvent, event_check
from telephony.queue_log_rows import CallRows, RowSpec, RunCalls

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
    # Groups of lines stored, and how many of them by the set-based path (telephony.queue_log_store).
    groups: int = 0
    set_based_groups: int = 0

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
    if text.isascii() and text.isdigit():  # the usual case, without the regular expression
        return int(text)
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
    if not (text.isascii() and text.isdigit()):  # whole seconds, as Asterisk writes them, skip this
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
    parsed = _parse_line(line, source)
    if parsed is None:
        return QueueLogResult(skipped=True)
    if isinstance(parsed, str):
        return QueueLogResult(error=parsed)
    return QueueLogResult(feed_event=parsed)


def _parse_line(line: str, source: str) -> FeedEvent | str | None:
    """`queue_log_parse_line` without the result object (an import parses lines by the million):
    the event, or what is wrong as text, or None for a skipped line."""
    line = line.rstrip("\r\n")
    if not line.strip():
        return None
    fields = line.split("|")
    if len(fields) < MIN_FIELDS:
        return f"expected timestamp|callid|queue|agent|event|data..., got {len(fields)} field(s)"
    verb = fields[4].strip()
    if verb in SKIPPED_VERBS:
        return None
    builder = CALL_VERBS.get(verb) or AGENT_VERBS.get(verb)
    if builder is None:
        return f"unknown queue_log verb {verb!r}"
    try:
        ts = _timestamp(fields[0])
    except _LineError as error:
        return str(error)
    call_id = _value(fields[1])
    is_call = verb in CALL_VERBS
    if is_call and fields[1].strip() == "NONE":
        return None  # queue-level bookkeeping, no call to attach it to
    data_fields = [*fields[5 : 5 + DATA_FIELDS], *[""] * DATA_FIELDS][:DATA_FIELDS]
    try:
        event_type, data, caller = builder(verb, data_fields)
    except _LineError as error:
        return str(error)
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
        return event_check(event, nul_free="\x00" not in line)
    except EventError as error:
        return f"{verb}: {error}"


# --- import --------------------------------------------------------------------------------------
@dataclass
class ParsedGroup:
    """One group of lines, parsed: valid events, bad lines (number, text, reason), counts, and
    (when the writer can use them) the rows those events make."""

    lines: int = 0
    skipped: int = 0
    events: list[FeedEvent] = field(default_factory=list)
    bad: list[tuple[int, str, str]] = field(default_factory=list)
    call_ids: set[str] = field(default_factory=set)
    rows: CallRows | None = None
    # From the parser process, when it made rows: where its lines are instead of their events,
    # which the rows carry (pickling 200,000 events costs more than parsing them); read and
    # parsed again only if the group has to take the general path.
    line_span: tuple[int, int] | None = None
    reread: Callable[[int, int], list[tuple[int, str]]] | None = field(default=None, repr=False)

    def feed_events(self, source_name: str) -> list[FeedEvent]:
        if self.line_span is not None and self.reread is not None:
            self.events = _parse_group(self.reread(*self.line_span), source_name, None).events
            self.line_span = None
        return self.events

    def for_the_writer(self, group: list[tuple[int, str]]) -> ParsedGroup:
        """Made light to pickle: a line span for events, epoch seconds for instants."""
        if self.rows is None:
            # As plain tuples: pickle takes a named tuple apart in Python, a tuple in C.
            self.events = [tuple(event) for event in self.events]  # type: ignore[misc]
            return self
        # A group of only bad or skipped lines has nothing to store.
        self.line_span = (group[0][0], group[-1][0]) if self.events else None
        self.events = []
        self.rows.presence = {
            agent: [(event[0].timestamp(), *event[1:]) for event in events]
            for agent, events in self.rows.presence.items()
        }
        self.rows.visit_starts = {moment.timestamp() for moment in self.rows.visit_starts}  # type: ignore[misc]
        return self

    def from_the_parser(self) -> ParsedGroup:
        """The inverse of `for_the_writer`."""
        if self.rows is None:
            self.events = [FeedEvent._make(event) for event in self.events]
            return self
        self.rows.presence = {
            agent: [(datetime.fromtimestamp(event[0], tz=UTC), *event[1:]) for event in events]
            for agent, events in self.rows.presence.items()
        }
        self.rows.visit_starts = {datetime.fromtimestamp(moment, tz=UTC) for moment in self.rows.visit_starts}
        return self


def _line_groups(lines: Iterable[str], size: int) -> Iterator[list[tuple[int, str]]]:
    """Numbered lines in groups of `size`, the first one smaller: the writer waits for it."""
    group: list[tuple[int, str]] = []
    limit = min(size, FIRST_GROUP_LINES)
    for numbered in enumerate(lines, start=1):
        group.append(numbered)
        if len(group) >= limit:
            yield group
            group = []
            limit = size
    if group:
        yield group


def _parse_group(group: list[tuple[int, str]], source_name: str, run: RunCalls | None) -> ParsedGroup:
    """Parse numbered lines, and with `run`, make their rows."""
    chunk = ParsedGroup(lines=len(group))
    events, call_ids = chunk.events, chunk.call_ids
    for number, line in group:
        parsed = _parse_line(line, source_name)
        if parsed is None:
            chunk.skipped += 1
        elif isinstance(parsed, str):
            chunk.bad.append((number, line.rstrip("\r\n"), parsed))
        else:
            events.append(parsed)
            if parsed.call_id:
                call_ids.add(parsed.call_id)
    if run is not None:
        chunk.rows = run.rows(chunk.events)
    return chunk


def _read_lines(path: str | os.PathLike[str]) -> Iterator[str]:
    # errors="replace": a stray byte spoils one line (quarantined), never the import.
    with open(path, encoding="utf-8", errors="replace") as handle:
        yield from handle


class _LineReader:
    """Numbered lines of a file by span, read forward: the writer asks for spans in file order."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = path
        self._lines: Iterator[tuple[int, str]] | None = None
        self._next = 1

    def __call__(self, first: int, last: int) -> list[tuple[int, str]]:
        if self._lines is None or first < self._next:
            self._lines = enumerate(_read_lines(self.path), start=1)
        span = []
        for number, line in self._lines:
            if number >= first:
                span.append((number, line))
            if number >= last:
                break
        self._next = last + 1
        return span


def _parse_lines(
    lines: Iterable[str],
    source_name: str,
    batch_size: int,
    spec: RowSpec | None,
    *,
    to_pickle: bool = False,
) -> Iterator[ParsedGroup]:
    run = RunCalls(spec) if spec is not None else None
    for group in _line_groups(lines, batch_size):
        chunk = _parse_group(group, source_name, run)
        yield chunk.for_the_writer(group) if to_pickle else chunk


@contextmanager
def _collections_spaced() -> Iterator[None]:
    """Run the cyclic garbage collector less often. An import makes millions of short-lived
    objects and keeps few in cycles; at the default pace (a young collection every 700
    allocations, and now and then a full pass over every object the process holds, Django's
    included) collecting cost the importer about a sixth of its time. What was alive before is
    left out of the passes until the import ends."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(COLLECT_EVERY, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextmanager
def _kpi_notes_sent(store: Any) -> Iterator[None]:
    """The stored groups' KPI notes go out however the import ends."""
    try:
        yield
    finally:
        store.kpi_notes_send()


def _parse_file_into(chunks: Any, path: str, source_name: str, batch_size: int, spec: RowSpec | None) -> None:
    """The parser process: read, parse and make rows, a group at a time, into `chunks`; then None
    (or the error that stopped it, as text)."""
    gc.set_threshold(COLLECT_EVERY, *gc.get_threshold()[1:])  # as `_collections_spaced`: its own process
    try:
        for chunk in _parse_lines(_read_lines(path), source_name, batch_size, spec, to_pickle=True):
            chunks.put(chunk)
    except Exception as error:  # noqa: BLE001 - any failure is reported to the importer, which raises it
        chunks.put(f"{type(error).__name__}: {error}")
        return
    chunks.put(None)


# Lines stored per transaction: fewer, larger groups cost less per line (each group reads the
# presence of its agents and runs a dozen statements); a group's calls take at most
# CALL_LOCK_BUCKETS advisory locks however many there are.
BATCH_LINES = 10_000
# The first group is parsed while the writer has nothing to do: kept short.
FIRST_GROUP_LINES = 1_000
# Groups parsed ahead of the writer; two keep the parser busy while the writer stores one.
PARSE_AHEAD = 2
# Files smaller than this are parsed inline: starting a process costs more than it saves.
INLINE_BYTES = 1_000_000
# Allocations between young collections during an import (Python's default is 700).
COLLECT_EVERY = 50_000


def _parsed(
    path_or_lines: str | os.PathLike[str] | Iterable[str],
    source_name: str,
    batch_size: int,
    spec: RowSpec | None,
) -> Iterator[ParsedGroup]:
    """Parsed groups in order. A large file is read and parsed in a separate process, groups
    ahead of the writer: parsing and making rows is CPU-bound Python and writing mostly waits on
    PostgreSQL, so on two cores the import costs about the larger of the two, not their sum (a
    thread would share the GIL with the writer's own Python work)."""
    if not isinstance(path_or_lines, str | os.PathLike):
        yield from _parse_lines(path_or_lines, source_name, batch_size, spec)
        return
    if os.path.getsize(path_or_lines) < INLINE_BYTES:
        yield from _parse_lines(_read_lines(path_or_lines), source_name, batch_size, spec)
        return
    # spawn, not fork: a forked child would share the parent's database connection.
    context = multiprocessing.get_context("spawn")
    chunks = context.Queue(maxsize=PARSE_AHEAD)
    parser = context.Process(
        target=_parse_file_into,
        args=(chunks, os.fspath(path_or_lines), source_name, batch_size, spec),
        daemon=True,
    )
    parser.start()
    reread = _LineReader(path_or_lines)
    try:
        while True:
            chunk = chunks.get()
            if chunk is None:
                break
            if isinstance(chunk, str):
                raise OSError(f"reading {os.fspath(path_or_lines)}: {chunk}")
            chunk.reread = reread
            yield chunk.from_the_parser()
        parser.join()
    finally:
        if parser.is_alive():
            parser.terminate()
            parser.join()


def queue_log_import(
    *,
    path_or_lines: str | os.PathLike[str] | Iterable[str],
    source_name: str = "queue_log",
    batch_size: int = BATCH_LINES,
) -> ImportSummary:
    """Import a queue_log file (a path, streamed) or an iterable of lines into feed `source_name`.

    Valid events are stored a group of `batch_size` lines at a time, each batch one transaction,
    with the calls and presence they change (see `telephony.queue_log_store`); bad lines are kept
    in quarantine with their line number and reason (once, however often the file is imported).
    Importing the same lines again changes nothing. Returns the counts; never raises for a bad
    line. When it returns, what it stored is on disk.
    """
    # Imported here so the parser above stays usable without a configured Django.
    from telephony.queue_log_store import QueueLogStore

    store = QueueLogStore(source_name=source_name, origin=ORIGIN)
    summary = ImportSummary()
    call_ids: set[str] = set()
    with _collections_spaced(), _kpi_notes_sent(store):
        for chunk in _parsed(path_or_lines, source_name, batch_size, store.row_spec):
            summary.lines += chunk.lines
            summary.skipped += chunk.skipped
            summary.rejected += len(chunk.bad)
            call_ids |= chunk.call_ids
            if chunk.events or chunk.line_span:
                stored = store.store(chunk)
                summary.events += stored.accepted
                summary.duplicates += stored.duplicates
                summary.rejected += stored.rejected
                summary.groups += 1
                summary.set_based_groups += stored.set_based
            if chunk.bad:
                store.quarantine(chunk.bad)
    store.flush()
    summary.calls = len(call_ids)
    return summary
