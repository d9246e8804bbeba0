"""Alert toasts for QA events, pushed to the people concerned after the change is committed:
the agent when an evaluation of theirs is submitted or its dispute resolved or a coaching session
is opened, QA leads and the evaluator when an agent disputes, analysts when sampling gives them work.

Payloads have the alert shape of callcenter.realtime ({"type": "alert", "kind", "title", "message",
"url", "at"}); kinds here: qa_evaluation, qa_dispute, qa_resolved, qa_coaching, qa_work.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from callcenter.realtime import group_push, user_group

logger = logging.getLogger(__name__)


def qa_alert(*, user_ids: Iterable[int | None], kind: str, title: str, message: str, url: str = "") -> None:
    """Push one alert to each user's sockets once the current transaction commits (now, outside one).
    Best effort: a toast that cannot be delivered is logged, never turned into a failed request."""
    recipients = sorted({user_id for user_id in user_ids if user_id})
    if not recipients:
        return
    payload = {
        "type": "alert",
        "kind": kind,
        "title": title,
        "message": message,
        "url": url,
        "at": timezone.now().isoformat(),
    }

    def send() -> None:
        for user_id in recipients:
            try:
                group_push(user_group(user_id), payload)
            except Exception:  # the change is committed; only the toast is lost
                logger.warning("QA alert %s to user %s not delivered", kind, user_id, exc_info=True)

    transaction.on_commit(send)
