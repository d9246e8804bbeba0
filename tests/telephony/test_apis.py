"""POST /api/telephony/events: auth, body formats, limits and the response contract."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from rest_framework.test import APIClient

from telephony.models import Call, CallEvent, QuarantinedEvent
from tests.telephony.factories import FeedSourceFactory, answered_call, ev

URL = "/api/telephony/events"


@pytest.fixture
def source(db):
    return FeedSourceFactory(name="pbx1")


@pytest.fixture
def api():
    return APIClient()


def _post(api, body: str, *, token: str | None, content_type: str = "application/json", **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return api.generic("POST", URL, body, content_type=content_type, **headers)


def test_batch_is_accepted_with_the_contract_response(api, source):
    response = _post(api, json.dumps(answered_call("c1")), token=source.secret)
    assert response.status_code == 200
    assert response.json() == {"accepted": 6, "duplicates": 0, "rejected": []}
    assert Call.objects.get(call_id="c1").outcome == "answered"


def test_ndjson_body_is_accepted(api, source):
    body = "\n".join(json.dumps(event) for event in answered_call("c1"))
    response = _post(api, body, token=source.secret, content_type="application/x-ndjson")
    assert response.json()["accepted"] == 6


def test_ndjson_line_that_is_not_json_is_rejected_by_index(api, source):
    lines = [
        json.dumps(ev("call.queued", 0, "c1", queue="sales")),
        "{oops",
        json.dumps(ev("call.abandoned", 5, "c1")),
    ]
    response = _post(api, "\n".join(lines), token=source.secret, content_type="application/x-ndjson")
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"][0]["index"] == 1
    assert "line 2 is not JSON" in body["rejected"][0]["error"]
    assert QuarantinedEvent.objects.get(index=1).raw == "{oops"  # the line itself is kept


def test_wrong_token_gets_401(api, source):
    response = _post(api, "[]", token="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The feed token is not valid."


def test_no_credentials_gets_401(api, source):
    response = _post(api, "[]", token=None)
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]["message"]


def test_hmac_signature_authenticates(api, source):
    body = json.dumps(answered_call("c1")).encode()
    signature = "sha256=" + hmac.new(source.secret.encode(), body, hashlib.sha256).hexdigest()
    response = api.generic(
        "POST",
        URL,
        body,
        content_type="application/json",
        HTTP_X_FEED_SOURCE="pbx1",
        HTTP_X_FEED_SIGNATURE=signature,
    )
    assert response.status_code == 200
    assert response.json()["accepted"] == 6


def test_hmac_of_another_body_is_refused(api, source):
    signature = "sha256=" + hmac.new(source.secret.encode(), b"[]", hashlib.sha256).hexdigest()
    response = api.generic(
        "POST",
        URL,
        json.dumps(answered_call()),
        content_type="application/json",
        HTTP_X_FEED_SOURCE="pbx1",
        HTTP_X_FEED_SIGNATURE=signature,
    )
    assert response.status_code == 401
    assert CallEvent.objects.count() == 0


def test_inactive_feed_is_refused(api, source):
    source.active = False
    source.save()
    assert _post(api, "[]", token=source.secret).status_code == 401


def test_non_json_body_gets_400_with_the_parse_error(api, source):
    response = _post(api, "[{not json", token=source.secret)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert "line 1 column 3" in response.json()["error"]["message"]


def test_json_that_is_not_a_list_gets_400(api, source):
    response = _post(api, '"hello"', token=source.secret)
    assert response.status_code == 400


def test_batch_over_the_limit_gets_413_and_stores_nothing(api, source):
    batch = [ev("call.queued", 0, f"c{n}", queue="sales") for n in range(5001)]
    response = _post(api, json.dumps(batch), token=source.secret)
    assert response.status_code == 413
    assert CallEvent.objects.count() == 0


def test_event_claiming_another_source_is_quarantined(api, source):
    FeedSourceFactory(name="pbx2")
    response = _post(
        api, json.dumps([ev("call.queued", 0, "c1", source="pbx2", queue="sales")]), token=source.secret
    )
    assert response.json()["rejected"][0]["error"].startswith("`source` 'pbx2' does not match")


def test_logged_in_users_cannot_post_events_without_a_feed_secret(api, source, admin):
    api.force_login(admin)
    assert _post(api, "[]", token=None).status_code == 401


def test_feeds_page_shows_counts_and_quarantine(client, admin, source):
    from telephony.services import call_events_ingest

    bad = ev("call.queued", 0, "c2", queue="sales")
    bad["ts"] = "soon"
    call_events_ingest(source=source, raw_events=[*answered_call("c1"), bad])
    client.force_login(admin)
    html = client.get("/console/feeds/").content.decode()
    assert "pbx1" in html
    assert "is not an RFC 3339 time" in html


@pytest.mark.parametrize("role", ["agent", "supervisor", "qa"])
def test_feeds_page_is_for_admins_only(client, personas, role):
    client.force_login(personas[role])
    assert client.get("/console/feeds/").status_code == 403


def test_feeds_page_queries_do_not_grow_with_feeds(client, admin, django_assert_max_num_queries):
    for n in range(10):
        FeedSourceFactory(name=f"pbx{n}")
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        assert client.get("/console/feeds/").status_code == 200


def test_nul_characters_are_rejected_not_a_server_error(api, source):
    good = ev("call.queued", 0, call_id="c1", queue="sales")
    bad_id = ev("call.queued", 1, call_id="c2", queue="sales", event_id="e\x00")
    bad_data = ev("call.offered", 2, call_id="c3", data={"note": "\x00"})
    response = _post(api, json.dumps([good, bad_id, bad_data]), token=source.secret)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1
    assert [item["index"] for item in body["rejected"]] == [1, 2]
    assert QuarantinedEvent.objects.count() == 2


def test_ndjson_line_with_a_raw_nul_byte_is_quarantined(api, source):
    body = json.dumps(ev("call.queued", 0, call_id="c1", queue="sales")) + "\n{\x00oops\n"
    response = _post(api, body, token=source.secret, content_type="application/x-ndjson")
    assert response.status_code == 200
    assert response.json()["rejected"][0]["index"] == 1
    assert "\x00" not in QuarantinedEvent.objects.get().raw
