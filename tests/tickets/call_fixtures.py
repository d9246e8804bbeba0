"""An agent in wrap-up after an answered call (shared by the call and ticket-history tests)."""

from __future__ import annotations

import pytest

from telephony.services import call_events_ingest
from tests.telephony.factories import FeedSourceFactory, answered_call, ev


@pytest.fixture
def acd(settings):
    settings.ACD_SOURCE = "pbx1"
    return FeedSourceFactory(name="pbx1")


@pytest.fixture
def in_wrapup(acd, agent):
    """alice hung up call c1 and is in wrap-up."""
    call_events_ingest(
        source=acd, raw_events=[ev("agent.login", -60, agent="alice"), *answered_call("c1")[:5]]
    )
    return "c1"
