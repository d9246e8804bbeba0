"""Retention: after RETENTION_RECORDINGS_DAYS call recordings are deleted, after
RETENTION_CUSTOMER_PII_DAYS without contact a customer's personal data is erased (see
tickets.services.erasure for what that is). Unset or 0 keeps them forever. Run daily by beat
(`data-retention`); safe to run twice, late or at once (batches claim their rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from callcenter.audit import audit_record
from telephony.retention import recordings_purge
from tickets.services.erasure import customers_anonymise_stale

# The audit entry lists at most this many anonymised customer ids (ids are no personal data).
MAX_IDS_IN_AUDIT = 1000


@dataclass
class RetentionRun:
    recordings_days: int
    customer_pii_days: int
    recordings: int = 0
    files_deleted: int = 0
    customers: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def retention_run(
    *, now: datetime | None = None, recordings_days: int | None = None, customer_pii_days: int | None = None
) -> RetentionRun:
    """Purge what is older than the retention settings (or the days given); records one audit entry
    when anything was purged (counts and customer ids, never the data). Returns the counts."""
    now = now or timezone.now()
    recordings_days = settings.RETENTION_RECORDINGS_DAYS if recordings_days is None else recordings_days
    customer_days = settings.RETENTION_CUSTOMER_PII_DAYS if customer_pii_days is None else customer_pii_days
    run = RetentionRun(recordings_days=recordings_days, customer_pii_days=customer_days)
    changes: dict[str, Any] = {}
    if recordings_days > 0:
        purge = recordings_purge(ended_before=now - timedelta(days=recordings_days))
        run.recordings, run.files_deleted = purge.calls, purge.files_deleted
        if purge.calls:
            changes.update(
                recordings=purge.calls,
                files_deleted=purge.files_deleted,
                files_missing=purge.files_missing,
                external=purge.external,
                recordings_days=recordings_days,
            )
    if customer_days > 0:
        erased = customers_anonymise_stale(cutoff=now - timedelta(days=customer_days), now=now)
        run.customers = erased.customers
        if erased.customers:
            # Prefixed, so the customers' recordings do not overwrite the count of old recordings.
            changes.update(
                {
                    name if name == "customers" else f"customer_{name}": n
                    for name, n in erased.counts().items()
                },
                customer_pii_days=customer_days,
            )
            changes["customer_ids"] = erased.customer_ids[:MAX_IDS_IN_AUDIT]
    if changes:
        audit_record(
            actor=None,
            object_type="retention",
            object_id=None,
            object_label="Retention purge",
            action="purged",
            changes=changes,
        )
    return run
