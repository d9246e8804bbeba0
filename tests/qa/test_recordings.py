"""Recordings: only QA, the agent on the call and supervisors of the agent's team hear them; Range
requests give 206 with Content-Range so players can seek; nothing under MEDIA_ROOT is public."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from qa.recordings import parse_range, recording_file
from telephony.models import QueueVisit
from tests.callcenter.factories import UserFactory
from tests.qa.factories import CallFactory, write_wav


def _url(call) -> str:
    return f"/qa/calls/{call.pk}/recording"


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- who may hear it -------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["qa", "agent", "admin"])
def test_qa_the_agent_on_the_call_and_admins_hear_it(client, personas, call, persona):
    client.force_login(personas[persona])
    response = client.get(_url(call))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert _body(response)[:4] == b"RIFF"


def test_another_agent_gets_403(client, other_agent, call):
    client.force_login(other_agent)
    assert client.get(_url(call)).status_code == 403


def test_the_supervisor_of_the_agents_team_hears_it(client, supervisor, team, call):
    client.force_login(supervisor)
    assert client.get(_url(call)).status_code == 200


def test_a_supervisor_of_another_team_gets_403(client, call):
    client.force_login(UserFactory(username="sally", roles=["supervisor"]))
    assert client.get(_url(call)).status_code == 403


def test_an_agent_who_handled_an_earlier_leg_hears_it(client, other_agent, call):
    QueueVisit.objects.create(call=call, seq=1, queue=call.queue, queued_at=call.queued_at, agent_code="bob")
    client.force_login(other_agent)
    assert client.get(_url(call)).status_code == 200


def test_anonymous_is_sent_to_login(client, call):
    response = client.get(_url(call))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_a_call_without_a_recording_is_404(client, qa, agent):
    call = CallFactory(agent=agent, recording_url="")
    client.force_login(qa)
    assert client.get(_url(call)).status_code == 404


def test_a_path_leaving_media_root_is_never_served(client, qa, agent, media):
    secret = media.parent / "secret.wav"
    write_wav(secret)
    call = CallFactory(agent=agent, recording_url="../secret.wav")
    assert recording_file(call).state == "missing"
    client.force_login(qa)
    assert client.get(_url(call)).status_code == 404


def test_an_absolute_path_elsewhere_is_never_served(qa, agent, media):
    call = CallFactory(agent=agent, recording_url="/etc/passwd")
    assert recording_file(call).state == "missing"


def test_an_external_url_is_not_proxied(qa, agent):
    call = CallFactory(agent=agent, recording_url="https://pbx.example.com/rec/1.wav")
    assert recording_file(call).state == "external"


def test_nothing_serves_media_root_at_a_public_url(client, call):
    """No MEDIA_URL route, and MEDIA_ROOT is outside what WhiteNoise serves (STATIC_ROOT)."""
    assert client.get("/media/recordings/pbx1/call-a.wav").status_code == 404
    assert client.get("/static/recordings/pbx1/call-a.wav").status_code == 404
    media = settings.MEDIA_ROOT.resolve()
    assert not media.is_relative_to(settings.STATIC_ROOT.resolve())


# --- ranges ----------------------------------------------------------------------------------------
def test_a_whole_file_says_it_accepts_ranges(client, qa, call, media):
    client.force_login(qa)
    response = client.get(_url(call))
    size = (media / "recordings" / "pbx1" / "call-a.wav").stat().st_size
    assert response["Accept-Ranges"] == "bytes"
    assert int(response["Content-Length"]) == size == len(_body(response))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_range_gives_206_with_content_range(client, qa, call, media):
    data = (media / "recordings" / "pbx1" / "call-a.wav").read_bytes()
    client.force_login(qa)
    response = client.get(_url(call), HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert response["Content-Length"] == "100"
    assert _body(response) == data[100:200]


def test_an_open_range_runs_to_the_end(client, qa, call, media):
    data = (media / "recordings" / "pbx1" / "call-a.wav").read_bytes()
    client.force_login(qa)
    response = client.get(_url(call), HTTP_RANGE="bytes=30000-")
    assert response["Content-Range"] == f"bytes 30000-{len(data) - 1}/{len(data)}"
    assert _body(response) == data[30000:]


def test_a_suffix_range_gives_the_last_bytes(client, qa, call, media):
    data = (media / "recordings" / "pbx1" / "call-a.wav").read_bytes()
    client.force_login(qa)
    response = client.get(_url(call), HTTP_RANGE="bytes=-44")
    assert response.status_code == 206
    assert _body(response) == data[-44:]


def test_a_range_past_the_end_is_416(client, qa, call, media):
    size = (media / "recordings" / "pbx1" / "call-a.wav").stat().st_size
    client.force_login(qa)
    response = client.get(_url(call), HTTP_RANGE=f"bytes={size}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


def test_a_malformed_range_gets_the_whole_file(client, qa, call):
    client.force_login(qa)
    assert client.get(_url(call), HTTP_RANGE="bytes=abc").status_code == 200
    assert client.get(_url(call), HTTP_RANGE="bytes=0-1,5-9").status_code == 200


def test_a_stale_if_range_gets_the_whole_file(client, qa, call):
    client.force_login(qa)
    response = client.get(_url(call), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"not-the-etag"')
    assert response.status_code == 200
    etag = response["ETag"]
    assert client.get(_url(call), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag).status_code == 206


def test_head_gives_the_headers_without_a_body(qa, call):
    client = Client()
    client.force_login(qa)
    response = client.head(_url(call), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert response["Content-Length"] == "10"
    assert response.content == b""


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=90-200", (90, 99)),
        ("bytes=100-", False),
        ("bytes=-0", False),
        ("bytes=9-3", None),
        ("items=0-9", None),
        ("", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 100) == expected


@pytest.fixture
def qa_cookies(client, qa):
    client.force_login(qa)
    return client.cookies


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_under_asgi_a_range_streams_from_an_async_iterator(qa_cookies, call, media):
    """Under ASGI a sync iterator would be read whole into memory before sending: not for audio."""
    from asgiref.sync import sync_to_async
    from django.db import connections
    from django.test import AsyncClient

    async_client = AsyncClient()
    async_client.cookies = qa_cookies
    response = await async_client.get(_url(call), headers={"range": "bytes=0-99"})
    assert response.status_code == 206
    assert response.is_async
    body = b"".join([chunk async for chunk in response.streaming_content])
    # The view ran in asgiref's thread: close its connection so the test database can be dropped.
    await sync_to_async(connections.close_all)()
    assert body == (media / "recordings" / "pbx1" / "call-a.wav").read_bytes()[:100]
