"""HTTP through the ASGI application (SyncChainASGIHandler): the whole middleware chain and the
view run, as under Django's own handler."""

from __future__ import annotations

import json

import pytest
from channels.testing import HttpCommunicator
from django.conf import settings

from callcenter.asgi import application, django_asgi_app

pytestmark = [pytest.mark.django_db(transaction=True)]
HOST = (b"host", b"localhost")


@pytest.fixture
def agent_cookie(client, agent):
    client.force_login(agent)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def request(method: str, path: str, headers: list, body: bytes = b"") -> dict:
    """The response; then waits for the application to finish (it closes the request's database
    connection after sending the body, which a test that stopped at the body would cut short)."""
    communicator = HttpCommunicator(application, method, path, body=body, headers=headers)
    response = await communicator.get_response(timeout=10)
    await communicator.wait(timeout=10)
    return response


def headers_of(response: dict) -> dict[str, str]:
    return {name.decode().lower(): value.decode() for name, value in response["headers"]}


def test_the_middleware_chain_is_built_sync():
    from asgiref.sync import iscoroutinefunction

    assert not iscoroutinefunction(django_asgi_app._middleware_chain)


@pytest.mark.asyncio
async def test_a_logged_in_api_request_runs_every_middleware_and_the_view(agent, agent_cookie):
    response = await request("GET", "/api/tickets/", [HOST, (b"cookie", agent_cookie)])
    assert response["status"] == 200
    assert json.loads(response["body"])["results"] == []
    headers = headers_of(response)
    assert headers["x-frame-options"] == "DENY"  # XFrameOptionsMiddleware, innermost
    assert headers["x-content-type-options"] == "nosniff"  # SecurityMiddleware, outermost
    assert headers["content-language"] == "en"  # LocaleMiddleware


@pytest.mark.asyncio
async def test_anonymous_api_request_is_401_and_a_post_without_csrf_is_refused(agent, agent_cookie):
    anonymous = await request("GET", "/api/tickets/", [HOST])
    assert anonymous["status"] == 401
    post = await request(
        "POST",
        "/api/tickets/",
        [HOST, (b"cookie", agent_cookie), (b"content-type", b"application/json")],
        body=b'{"subject": "x"}',
    )
    assert post["status"] == 403
    assert "CSRF" in json.loads(post["body"])["error"]["message"]
