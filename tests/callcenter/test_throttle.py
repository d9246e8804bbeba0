"""Login rate limiting and the 503 an unreachable database gives."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from tests.callcenter.factories import PASSWORD


def _login(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


@override_settings(LOGIN_FAILURES_PER_ACCOUNT=3)
def test_account_locks_after_repeated_failures(client, agent):
    for _ in range(3):
        assert _login(client, "alice", "wrong").status_code == 200
    locked = _login(client, "alice", PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_FAILURES_PER_ACCOUNT=3)
def test_lockout_is_per_address(client, agent):
    for _ in range(3):
        _login(client, "alice", "wrong", address="10.0.0.1")
    response = _login(client, "alice", PASSWORD, address="10.0.0.2")
    assert response.status_code == 302


@override_settings(LOGIN_FAILURES_PER_ACCOUNT=3)
def test_success_before_the_limit_resets_the_count(client, agent):
    for _ in range(2):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", PASSWORD).status_code == 302


@override_settings(LOGIN_FAILURES_PER_ACCOUNT=100, LOGIN_FAILURES_PER_ADDRESS=4)
def test_one_address_trying_many_accounts_is_locked(client, agent, other_agent):
    for name in ("alice", "bob", "carol", "dave"):
        _login(client, name, "wrong")
    assert _login(client, "bob", PASSWORD).status_code == 429


@contextmanager
def unreachable_database():
    """Point the connection at a port nothing listens on: the next query really fails to connect."""
    connection.close()
    saved = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


@pytest.mark.django_db(transaction=True)
def test_api_answers_503_with_retry_after_when_the_database_is_down(client):
    with unreachable_database():
        response = client.post(
            "/api/telephony/events", "[]", content_type="application/json", HTTP_AUTHORIZATION="Bearer x"
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "unavailable"


@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_when_the_database_is_down(client, agent):
    client.force_login(agent)
    client.raise_request_exception = False
    with unreachable_database():
        response = client.get("/tickets/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"database cannot be reached" in response.content


@pytest.mark.django_db(transaction=True)
def test_the_database_down_page_is_in_the_browsers_language(client, agent):
    client.force_login(agent)
    client.raise_request_exception = False
    with unreachable_database():
        response = client.get("/tickets/", HTTP_ACCEPT_LANGUAGE="fa")
    html = response.content.decode()
    assert response.status_code == 503
    assert 'lang="fa" dir="rtl"' in html and "متأسفیم" in html  # "Sorry"
    assert "اکنون نمی‌توان به پایگاه داده دسترسی داشت" in html  # "The database cannot be reached"
