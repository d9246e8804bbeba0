"""Data care on calls: delete recordings (after the retention period, or on a customer's erasure)
and erase a customer's phone numbers from calls, their events and the ACD commands that dialled
them; and replace values (numbers, addresses) in the lines kept in the feed quarantine.

Calls, queue visits and their timings stay: KPIs are computed from them. A recording's reference is
cleared on the call *and* on its `recording.ready` event, so a later re-derivation of the call from
its events does not bring the reference back.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from telephony.models import AcdCommand, Call, CallEvent, QuarantinedEvent

logger = logging.getLogger(__name__)
BATCH = 500


@dataclass
class RecordingPurge:
    calls: int = 0  # calls whose recording reference was cleared
    files_deleted: int = 0
    files_missing: int = 0  # already gone (a rerun), or never written
    external: int = 0  # at another system's URL: only the reference is cleared here


def _media_path(location: str) -> Path | None:
    """The file under MEDIA_ROOT a feed path names; None for URLs and paths that leave MEDIA_ROOT."""
    location = location.strip()
    if not location or "://" in location:
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        path = (root / location.lstrip("/")).resolve()
    except (OSError, RuntimeError):
        return None
    return path if path.is_relative_to(root) else None


def _delete_files(locations: Iterable[str], result: RecordingPurge) -> None:
    for location in locations:
        path = _media_path(location)
        if path is None:
            result.external += 1
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            result.files_missing += 1
        else:
            result.files_deleted += 1


def _clear_references(rows: list[tuple[int, int, str]]) -> None:
    """Clear the recording reference of these calls (id, source id, call id) and of their
    recording.ready events (keeping the duration, which is no personal data)."""
    Call.objects.filter(pk__in=[pk for pk, _source, _call in rows]).update(recording_url="")
    by_source: dict[int, list[str]] = defaultdict(list)
    for _pk, source_id, call_id in rows:
        by_source[source_id].append(call_id)
    purged_at = timezone.now().isoformat()
    for source_id, call_ids in by_source.items():
        events = list(
            CallEvent.objects.filter(source_id=source_id, call_id__in=call_ids, type="recording.ready").only(
                "id", "data"
            )
        )
        for event in events:
            data = {k: v for k, v in (event.data or {}).items() if k not in ("url", "path")}
            data["purged_at"] = purged_at
            event.data = data
        CallEvent.objects.bulk_update(events, ["data"], batch_size=BATCH)


def recordings_delete(*, calls: Iterable[tuple[int, int, str, str]]) -> RecordingPurge:
    """Delete the recordings of these calls ((id, source id, call id, recording location)) and clear
    their references. Files go first, then the references: if the database step fails, a rerun finds
    the references, counts the files missing and clears them. Returns the counts."""
    result = RecordingPurge()
    rows = list(calls)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        _delete_files((location for *_ids, location in batch), result)
        with transaction.atomic():
            _clear_references([(pk, source_id, call_id) for pk, source_id, call_id, _loc in batch])
        result.calls += len(batch)
    return result


def recordings_purge(*, ended_before: datetime) -> RecordingPurge:
    """Delete the recordings of calls that ended (or, not ended, started) before `ended_before`.
    Idempotent: calls already purged have no reference left and are not read again."""
    result = RecordingPurge()
    last_pk = 0
    while True:
        batch = list(
            Call.objects.exclude(recording_url="")
            .alias(ended=Coalesce("ended_at", "first_event_at"))
            .filter(ended__lt=ended_before, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "source_id", "call_id", "recording_url")[:BATCH]
        )
        if not batch:
            return result
        last_pk = batch[-1][0]
        done = recordings_delete(calls=batch)
        result.calls += done.calls
        result.files_deleted += done.files_deleted
        result.files_missing += done.files_missing
        result.external += done.external


@dataclass
class NumberErasure:
    calls: int = 0
    call_events: int = 0
    commands: int = 0
    recordings: RecordingPurge | None = None


# Shorter digit runs would match unrelated numbers (ids, timestamps) in raw lines.
MIN_ERASABLE_DIGITS = 6


def number_spellings(number: str) -> set[str]:
    """How a feed may have written an E.164 number: as stored, without the +, and nationally."""
    spellings = {number, number.lstrip("+")}
    with contextlib.suppress(phonenumbers.NumberParseException):
        spellings.add(str(phonenumbers.parse(number, None).national_number))
    return {text for text in spellings if sum(char.isdigit() for char in text) >= MIN_ERASABLE_DIGITS}


def quarantine_values_erase(*, values: Iterable[str], replacement: str) -> int:
    """Replace these values (phone numbers in any of their spellings, e-mail addresses) in the
    raw lines and reasons kept in the feed quarantine; return how many lines changed. Runs in the
    caller's transaction. A value written another way (spaces, dashes) is not found."""
    wanted = sorted({text for text in values if text}, key=len, reverse=True)  # longest first
    if not wanted:
        return 0
    changed: dict[int, QuarantinedEvent] = {}
    for start in range(0, len(wanted), 100):
        chunk = wanted[start : start + 100]
        match = Q()
        for text in chunk:
            match |= Q(raw__contains=text) | Q(error__contains=text)
        for line in QuarantinedEvent.objects.filter(match).only("id", "raw", "error"):
            line = changed.setdefault(line.pk, line)
            for text in wanted:
                line.raw = line.raw.replace(text, replacement)
                line.error = line.error.replace(text, replacement)
    QuarantinedEvent.objects.bulk_update(list(changed.values()), ["raw", "error"], batch_size=BATCH)
    return len(changed)


def call_numbers_erase(*, numbers: list[str]) -> NumberErasure:
    """Erase these phone numbers (E.164) from the calls (caller, callee), the calls' events and the
    desktop's dial commands, and delete those calls' recordings. Runs in the caller's transaction
    (the files go first; see recordings_delete). Timings, queues and agents stay, so KPIs do not move."""
    result = NumberErasure()
    if not numbers:
        result.recordings = RecordingPurge()
        return result
    calls = list(
        Call.objects.filter(Q(caller__in=numbers) | Q(callee__in=numbers)).values_list(
            "pk", "source_id", "call_id", "recording_url"
        )
    )
    result.recordings = recordings_delete(calls=[row for row in calls if row[3]])
    result.calls = Call.objects.filter(pk__in=[row[0] for row in calls]).count()
    Call.objects.filter(pk__in=[row[0] for row in calls], caller__in=numbers).update(caller="")
    Call.objects.filter(pk__in=[row[0] for row in calls], callee__in=numbers).update(callee="")
    by_source: dict[int, list[str]] = defaultdict(list)
    for _pk, source_id, call_id, _location in calls:
        by_source[source_id].append(call_id)
    for source_id, call_ids in by_source.items():
        for start in range(0, len(call_ids), BATCH):
            events = CallEvent.objects.filter(
                source_id=source_id, call_id__in=call_ids[start : start + BATCH]
            )
            result.call_events += events.filter(caller__in=numbers).update(caller="")
            result.call_events += events.filter(callee__in=numbers).update(callee="")
    commands = list(AcdCommand.objects.filter(action="dial", data__number__in=numbers).only("id", "data"))
    for command in commands:
        command.data = {**command.data, "number": ""}
    AcdCommand.objects.bulk_update(commands, ["data"])
    result.commands = len(commands)
    return result
