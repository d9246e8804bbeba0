"""Reading a feed request body (JSON array or NDJSON) and authenticating the feed that sent it."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.http import HttpRequest

from callcenter.errors import ApplicationError
from telephony.models import FeedSource


class FeedAuthError(ApplicationError):
    status_code = 401
    code = "feed_unauthorized"


class BatchTooLargeError(ApplicationError):
    status_code = 413
    code = "batch_too_large"


def feed_authenticate(request: HttpRequest) -> FeedSource:
    """`Authorization: Bearer <secret>`, or `X-Feed-Source` + `X-Feed-Signature: sha256=<hmac of body>`."""
    header = request.headers.get("Authorization", "")
    signature = request.headers.get("X-Feed-Signature", "")
    if header.startswith("Bearer "):
        secret = header.removeprefix("Bearer ").strip()
        source = FeedSource.objects.filter(secret=secret).first() if secret else None
        if source is None or not hmac.compare_digest(source.secret, secret):
            raise FeedAuthError("The feed token is not valid.")
    elif signature:
        name = request.headers.get("X-Feed-Source", "")
        source = FeedSource.objects.filter(name=name).first()
        if source is None:
            raise FeedAuthError("X-Feed-Source names no known feed.")
        expected = "sha256=" + hmac.new(source.secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.strip()):
            raise FeedAuthError(
                "X-Feed-Signature does not match the body (HMAC-SHA256 with the feed secret)."
            )
    else:
        raise FeedAuthError("Send `Authorization: Bearer <feed secret>` or an X-Feed-Signature HMAC.")
    if not source.active:
        raise FeedAuthError(f"The feed {source.name!r} is switched off.")
    return source


def batch_parse(
    body: bytes, content_type: str, *, limit: int
) -> tuple[list[Any], list[tuple[int, str, str]]]:
    """Events of a JSON-array or NDJSON body, and (index, error, line) for NDJSON lines that are not JSON.

    A body that is not JSON at all raises ApplicationError (400) with the parser's message; one over
    `limit` events raises BatchTooLargeError (413).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApplicationError(f"The body is not UTF-8: {error}.", code="parse_error") from None
    stripped = text.lstrip()
    if "ndjson" in content_type or "jsonlines" in content_type or (stripped and stripped[0] == "{"):
        events: list[Any] = []
        bad: list[tuple[int, str, str]] = []
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > limit:
            raise BatchTooLargeError(f"A batch holds at most {limit} events; this one has {len(lines)}.")
        for index, line in enumerate(lines):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError as error:
                events.append(None)
                bad.append(
                    (index, f"line {index + 1} is not JSON: {error.msg} at column {error.colno}", line)
                )
        if lines and len(bad) == len(lines):
            raise ApplicationError(f"The body is not JSON: {bad[0][1]}.", code="parse_error")
        return events, bad
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise ApplicationError(
            f"The body is not JSON: {error.msg} at line {error.lineno} column {error.colno}.",
            code="parse_error",
        ) from None
    if not isinstance(parsed, list):
        raise ApplicationError(
            "Send a JSON array of events (or NDJSON, one event per line).", code="parse_error"
        )
    if len(parsed) > limit:
        raise BatchTooLargeError(f"A batch holds at most {limit} events; this one has {len(parsed)}.")
    return parsed, []
