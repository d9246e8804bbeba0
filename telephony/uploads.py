"""Recordings uploaded by hand for a call (QA and admins): checked by content and size, stored under
MEDIA_ROOT next to the feed's recordings, and recorded as a `recording.ready` event of the call, so
the call's summary stays derived from its events and a re-derivation keeps the upload."""

from __future__ import annotations

import os
import struct
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError, NotFoundError, PayloadTooLargeError
from telephony.models import Call
from telephony.services import call_events_ingest

# Formats we accept, told apart by their first bytes (never by the file's name or declared type).
WAV = "wav"
MP3 = "mp3"
CONTENT_TYPES = {WAV: "audio/wav", MP3: "audio/mpeg"}
UPLOAD_FOLDER = "recordings/uploads"


class UnsupportedRecordingError(ApplicationError):
    code = "unsupported_type"


@dataclass(frozen=True)
class RecordingUpload:
    call: Call
    path: str  # relative to MEDIA_ROOT
    kind: str
    size: int
    duration_s: float | None


def _is_mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a real version, layer and bitrate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0x03
    layer = (head[1] >> 1) & 0x03
    bitrate = head[2] >> 4
    sample_rate = (head[2] >> 2) & 0x03
    return version != 0x01 and layer != 0x00 and bitrate not in (0x00, 0x0F) and sample_rate != 0x03


def recording_kind(head: bytes) -> str | None:
    """WAV (a RIFF/WAVE header), MP3 (an ID3 tag or an MPEG audio frame), or None."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[:3] == b"ID3" or _is_mp3_frame(head):
        return MP3
    return None


def wav_duration_s(handle: IO[bytes]) -> float:
    """Seconds of audio in a RIFF/WAVE file (any codec: data bytes ÷ byte rate of the fmt chunk).

    Raises UnsupportedRecordingError when the chunks are not those of a playable WAV."""
    handle.seek(12)
    byte_rate = None
    while True:
        header = handle.read(8)
        if len(header) < 8:
            break
        chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
        if chunk_id == b"fmt ":
            fmt = handle.read(min(chunk_size, 64))
            if len(fmt) < 16:
                break
            byte_rate = struct.unpack("<I", fmt[8:12])[0]
            handle.seek(chunk_size - len(fmt) + (chunk_size & 1), os.SEEK_CUR)
        elif chunk_id == b"data":
            if not byte_rate:
                break
            return round(chunk_size / byte_rate, 3)
        else:
            handle.seek(chunk_size + (chunk_size & 1), os.SEEK_CUR)
    raise UnsupportedRecordingError(
        _("The file starts like a WAV recording but has no playable audio in it.")
    )


def _unsupported() -> UnsupportedRecordingError:
    return UnsupportedRecordingError(
        _("Upload a WAV or MP3 recording; this file is neither (checked by its content, not its name).")
    )


def recording_upload_check_size(size: int | None) -> None:
    """Raise PayloadTooLargeError when `size` bytes pass RECORDING_UPLOAD_MAX_BYTES."""
    limit = settings.RECORDING_UPLOAD_MAX_BYTES
    if size is not None and size > limit:
        raise PayloadTooLargeError(
            _("The recording is %(size)s bytes; at most %(max)s bytes may be uploaded.")
            % {"size": size, "max": limit}
        )


def recording_upload(
    *, call_id: int, actor: AbstractBaseUser, upload: IO[bytes], size: int
) -> RecordingUpload:
    """Store `upload` as the recording of call `call_id` and record a `recording.ready` event for it.

    Raises NotFoundError (no such call), PayloadTooLargeError (over RECORDING_UPLOAD_MAX_BYTES),
    UnsupportedRecordingError (empty, or not WAV/MP3 by content). Nothing is stored then; the file
    appears whole or not at all, and is removed again if the event cannot be stored.
    """
    call = Call.objects.select_related("source").filter(pk=call_id).first()
    if call is None:
        raise NotFoundError(_("No such call."))
    recording_upload_check_size(size)
    if size == 0:
        raise UnsupportedRecordingError(_("The file is empty."), code="empty")
    upload.seek(0)
    kind = recording_kind(upload.read(12))
    if kind is None:
        raise _unsupported()
    duration = wav_duration_s(upload) if kind == WAV else None

    now = timezone.now()
    token = uuid.uuid4().hex[:12]
    relative = f"{UPLOAD_FOLDER}/{now:%Y/%m/%d}/{call.pk}-{token}.{kind}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=f".{kind}")
    try:
        with os.fdopen(handle, "wb") as out:
            upload.seek(0)
            written = 0
            while chunk := upload.read(64 * 1024):
                written += len(chunk)
                recording_upload_check_size(written)  # the declared size may lie
                out.write(chunk)
        os.replace(temporary, target)
        data: dict[str, object] = {"path": relative, "uploaded_by": actor.get_username()}
        if duration is not None:
            data["duration_s"] = duration
        event = {
            "source": call.source.name,
            "event_id": f"upload-{call.pk}-{token}",
            # After every event the call has, so this recording is the one its summary names.
            "ts": max(now, call.last_event_at).isoformat(),
            "type": "recording.ready",
            "call_id": call.call_id,
            "data": data,
        }
        result = call_events_ingest(source=call.source, raw_events=[event], origin="upload")
        if result.rejected:
            raise ApplicationError(result.rejected[0]["error"])
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
    call.refresh_from_db()
    return RecordingUpload(call=call, path=relative, kind=kind, size=written, duration_s=duration)
