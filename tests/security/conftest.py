"""Hostile-input fixtures: recordings go to a MEDIA_ROOT of the test's own; a call made from feed events."""

from __future__ import annotations

import pytest

from telephony.models import Call
from telephony.services import call_events_ingest
from tests.telephony.factories import FeedSourceFactory, answered_call


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def fed_call(agent, media) -> Call:
    """A call alice answered, derived from its feed events (as every real call is)."""
    source = FeedSourceFactory()
    call_events_ingest(source=source, raw_events=answered_call("sec-call-1", agent="alice"))
    return Call.objects.get(call_id="sec-call-1")
