import pytest

from telephony.events import EVENT_TYPES, EventError, event_validate
from tests.telephony.factories import ev


def _error(raw) -> str:
    with pytest.raises(EventError) as error:
        event_validate(raw, source_name="pbx1")
    return str(error.value)


def test_a_valid_event_is_normalised():
    event = event_validate(ev("call.queued", 0, queue="sales", caller=" +1415 "), source_name="pbx1")
    assert event.type == "call.queued"
    assert event.caller == "+1415"
    assert event.ts.utcoffset().total_seconds() == 0


def test_every_contract_type_is_known():
    assert len(EVENT_TYPES) == 17


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "call.exploded"}, "unknown `type` 'call.exploded'"),
        ({"ts": "2026-11-23 09:00:00"}, "has no UTC offset"),
        ({"ts": "yesterday"}, "is not an RFC 3339 time"),
        ({"ts": None}, "`ts` is required"),
        ({"call_id": ""}, "`call_id` is required for call.queued"),
        ({"source": "other"}, "does not match the authenticated feed 'pbx1'"),
        ({"event_id": ""}, "`event_id` is required"),
        ({"queue": ""}, "`queue` is required for call.queued"),
        ({"direction": "sideways"}, "`direction` must be inbound or outbound"),
        ({"data": [1, 2]}, "`data` must be a JSON object"),
        ({"caller": {"n": 1}}, "`caller` must be a string"),
        ({"data": {"wait_s": "ten"}}, "`data.wait_s` must be a number"),
        ({"event_id": "e\x001"}, "`event_id` contains a NUL character"),
        ({"data": {"note": "a\x00b"}}, "`data` contains a NUL character"),
    ],
)
def test_bad_events_say_what_is_wrong(change, message):
    raw = ev("call.queued", 0, queue="sales")
    raw.update(change)
    assert message in _error(raw)


def test_non_object_event_is_rejected():
    assert "must be a JSON object, got list" in _error([1])


def test_agent_events_need_an_agent():
    assert "`agent` is required for agent.login" in _error(ev("agent.login", 0))


def test_agent_state_needs_a_known_state():
    raw = ev("agent.state", 0, agent="alice", data={"state": "sleeping"})
    assert "one of available, break, not_ready" in _error(raw)


def test_transfer_needs_a_target():
    assert "data.to_queue" in _error(ev("call.transferred", 0, data={}))


def test_survey_scores_are_range_checked():
    assert "between 1 and 5" in _error(ev("survey.response", 0, data={"csat": 9}))
    assert "whole number" in _error(ev("survey.response", 0, data={"nps": 7.5}))
    assert "needs `data.csat`" in _error(ev("survey.response", 0, data={}))


def test_recording_needs_a_location():
    assert "needs `data.url` or `data.path`" in _error(ev("recording.ready", 0, data={"duration_s": 3}))


def test_offsets_other_than_utc_are_accepted():
    raw = ev("call.offered", 0)
    raw["ts"] = "2026-11-23T12:30:00+03:30"
    assert event_validate(raw, source_name="pbx1").ts.hour == 12
