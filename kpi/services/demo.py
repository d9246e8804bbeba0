"""Demo data for the KPI pages: thresholds for every queue, the demo supervisor subscribed to the
daily report, and yesterday simulated so reports and trend charts have history on a fresh install."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from kpi.periods import day_bounds, local_day
from kpi.services.reports import report_subscription_set
from kpi.services.rollups import rollup_compute
from kpi.services.settings import thresholds_ensure

HISTORY_CALLS_PER_HOUR = 40  # per queue, like the live demo floor
HISTORY_SEED = 20261123


@dataclass
class KpiDemo:
    thresholds: int
    history_calls: int


def kpi_demo_seed(*, history: bool = True) -> KpiDemo:
    """Idempotent: yesterday is simulated only when no call was queued that day."""
    from telephony.models import QueueVisit
    from telephony.services import DEMO_QUEUES, SIMULATOR_SOURCE, call_events_ingest, feed_source_ensure
    from telephony.simulator import config_simple, simulate

    created = thresholds_ensure()
    supervisor = get_user_model().objects.filter(username="supervisor", email__gt="").first()
    if supervisor is not None:
        report_subscription_set(user=supervisor, daily_email=True)
    calls = 0
    yesterday = local_day(timezone.now()) - timedelta(days=1)
    start, end = day_bounds(yesterday)
    if history and not QueueVisit.objects.filter(queued_at__gte=start, queued_at__lt=end).exists():
        config = config_simple(
            queues=[name for name, _label in DEMO_QUEUES],
            calls_per_hour=HISTORY_CALLS_PER_HOUR,
            agents=6,
            start=start,
            duration_s=(end - start).total_seconds() - 3600,
            seed=HISTORY_SEED,
            source=SIMULATOR_SOURCE,
            recordings=False,
        )
        source = feed_source_ensure(name=SIMULATOR_SOURCE)
        batch: list[dict] = []
        for event in simulate(config):
            batch.append(event)
            if event["type"] == "call.offered":
                calls += 1
            if len(batch) >= 2000:
                call_events_ingest(source=source, raw_events=batch, origin="simulator")
                batch = []
        if batch:
            call_events_ingest(source=source, raw_events=batch, origin="simulator")
        rollup_compute(start=start, end=end)
    return KpiDemo(thresholds=created, history_calls=calls)
