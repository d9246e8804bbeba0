"""Call recordings for the people allowed to hear them: where a call's file is, and an HTTP response
that honours Range requests (206 + Content-Range), so players can seek without downloading it all.

Recordings live under MEDIA_ROOT, which is never served as static files or at a public URL: the only
way to a recording is the access-checked view in qa.views.recordings.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from telephony.models import Call

CHUNK = 64 * 1024
CONTENT_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".opus": "audio/ogg"}
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RecordingState:
    AVAILABLE = "available"
    NONE = "none"  # the feed never said the call was recorded
    MISSING = "missing"  # it did, but the file is not where it said
    EXTERNAL = "external"  # stored at another system's URL; not proxied


@dataclass(frozen=True)
class RecordingFile:
    state: str
    path: Path | None = None
    size: int = 0
    mtime: float = 0.0

    @property
    def available(self) -> bool:
        return self.state == RecordingState.AVAILABLE


def recording_file(call: Call) -> RecordingFile:
    """Where `call`'s recording is. Feed paths are relative to MEDIA_ROOT; a path that leaves it
    (`..`, an absolute path elsewhere, a symlink out) counts as missing, never as a file to serve."""
    location = (call.recording_url or "").strip()
    if not location:
        return RecordingFile(RecordingState.NONE)
    if re.match(r"^[a-z][a-z0-9+.-]*://", location, re.IGNORECASE):
        return RecordingFile(RecordingState.EXTERNAL)
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        path = (root / location.lstrip("/")).resolve()
    except (OSError, RuntimeError):
        return RecordingFile(RecordingState.MISSING)
    if not path.is_relative_to(root) or not path.is_file():
        return RecordingFile(RecordingState.MISSING)
    stat = path.stat()
    return RecordingFile(RecordingState.AVAILABLE, path, stat.st_size, stat.st_mtime)


def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """The (first, last) byte positions of a single `bytes=` range within `size` bytes.

    None: no usable range (absent, malformed, several ranges): answer the whole file with 200, as
    RFC 9110 allows. False: a well-formed range that lies outside the file: answer 416.
    """
    match = RANGE.match((header or "").strip())
    if not match:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return False
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        return False
    return first, min(last, size - 1)


def _read_sync(handle: BinaryIO, length: int) -> Iterator[bytes]:
    try:
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


async def _read_async(handle: BinaryIO, length: int) -> AsyncIterator[bytes]:
    # Under ASGI a sync iterator would be read whole into memory first; read in a thread instead.
    try:
        while length > 0:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _etag(recording: RecordingFile) -> str:
    return quote_etag(f"{int(recording.mtime * 1000):x}-{recording.size:x}")


def _range_applies(request: HttpRequest, etag: str, mtime: float) -> bool:
    """If-Range: use the range only if the client's copy is still the current file."""
    condition = request.headers.get("If-Range", "").strip()
    if not condition:
        return True
    if condition.startswith(('"', "W/")):
        return condition == etag
    when = parse_http_date_safe(condition)
    return when is not None and int(mtime) <= when


def recording_response(request: HttpRequest, recording: RecordingFile) -> HttpResponse:
    """The recording as 200 (whole), 206 (one range) or 416 (range outside the file); HEAD too.
    Private: caches may not keep it, and the browser is told not to store it."""
    assert recording.path is not None  # noqa: S101 - callers pass available recordings only
    size = recording.size
    etag = _etag(recording)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": http_date(recording.mtime),
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'inline; filename="{recording.path.name}"',
    }
    content_type = CONTENT_TYPES.get(recording.path.suffix.lower()) or (
        mimetypes.guess_type(recording.path.name)[0] or "application/octet-stream"
    )
    wanted = parse_range(request.headers.get("Range", ""), size)
    if wanted is not None and not _range_applies(request, etag, recording.mtime):
        wanted = None
    if wanted is False:
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    first, last = wanted if isinstance(wanted, tuple) else (0, size - 1)
    length = max(0, last - first + 1)
    status = 206 if isinstance(wanted, tuple) else 200
    if status == 206:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type, headers=headers)
        response["Content-Length"] = str(length)
        return response
    handle = open(recording.path, "rb")  # noqa: SIM115 - closed by the iterator when it is done
    handle.seek(first)
    if isinstance(request, ASGIRequest):
        content: AsyncIterator[bytes] | Iterator[bytes] = _read_async(handle, length)
    else:
        content = _read_sync(handle, length)
    response = StreamingHttpResponse(content, status=status, content_type=content_type, headers=headers)
    response["Content-Length"] = str(length)
    return response
