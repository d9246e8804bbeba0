"""Personas shared by every test: alice and bob (agents), sam (supervisor), quinn (QA), ada (admin)."""

from __future__ import annotations

import pytest

from tests.callcenter.factories import UserFactory


def pytest_collection_modifyitems(items):
    """Browser tests go last: Playwright keeps an event loop in the main thread until the session ends,
    which would break the asyncio tests (websockets) that come after it."""
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: "tests/browser/" in str(item.path))


@pytest.fixture(autouse=True)
def _forget_login_failures():
    """Login failure counts live in the shared cache (Redis): each test starts with none.
    Only this run's throttle keys are deleted; other data in that Redis is left alone."""
    yield
    from django.conf import settings
    from django.core.cache import cache

    client = getattr(cache, "_cache", None)
    if client is None or not hasattr(client, "get_client"):
        cache.clear()  # the in-memory cache of the embedded mode: private to this process
        return
    redis = client.get_client(write=True)
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    for key in redis.scan_iter(match=f"{prefix}:*login-fail:*"):
        redis.delete(key)


@pytest.fixture(autouse=True)
def _default_language():
    """A request activates its user's language in the test's thread and leaves it active (as
    Django does), so a test after a Persian page would read its messages in Persian: each test
    starts in the default language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def agent(db):
    return UserFactory(username="alice", first_name="Alice", roles=["agent"])


@pytest.fixture
def other_agent(db):
    return UserFactory(username="bob", first_name="Bob", roles=["agent"])


@pytest.fixture
def supervisor(db):
    return UserFactory(username="sam", first_name="Sam", roles=["supervisor"])


@pytest.fixture
def qa(db):
    return UserFactory(username="quinn", first_name="Quinn", roles=["qa"])


@pytest.fixture
def admin(db):
    return UserFactory(username="ada", first_name="Ada", roles=["admin"])


@pytest.fixture
def personas(agent, supervisor, qa, admin):
    return {"agent": agent, "supervisor": supervisor, "qa": qa, "admin": admin}
