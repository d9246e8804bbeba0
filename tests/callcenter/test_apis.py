from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def api():
    return APIClient()


def test_anonymous_api_call_gets_401_json(api, db):
    response = api.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert "credentials were not provided" in response.json()["error"]["message"]


def test_token_authenticates(api, agent):
    token = Token.objects.create(user=agent)
    response = api.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert response.json()["roles"] == ["agent"]
    assert response.json()["home_url"] == "/desktop/"


def test_wrong_token_gets_401(api, db):
    response = api.get("/api/me/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid token."


def test_session_authenticates(api, supervisor):
    api.force_login(supervisor)
    assert api.get("/api/me/").json()["roles"] == ["supervisor"]


def test_preferences_api_validates_with_a_clear_message(api, agent):
    api.force_login(agent)
    response = api.patch("/api/me/preferences/", {"language": "klingon"}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert body["message"] == "Some fields are not valid: language."
    assert "not a valid choice" in body["fields"]["language"][0]


def test_preferences_api_changes_the_calendar(api, agent):
    api.force_login(agent)
    response = api.patch("/api/me/preferences/", {"calendar": "jalali"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"language": "en", "calendar": "jalali"}


def test_unknown_api_address_gets_404_json(api, agent):
    api.force_login(agent)
    response = api.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_openapi_schema_is_served_to_logged_in_users(api, agent):
    assert api.get("/api/schema/").status_code == 401
    api.force_login(agent)
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/me/" in response.json()["paths"]


def test_api_docs_page_uses_local_assets(client, agent):
    client.force_login(agent)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn.jsdelivr" not in response.content


def test_openapi_schema_of_every_api_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    for path in ("/api/telephony/events", "/api/desktop/state", "/api/call-logs/", "/api/callbacks/"):
        assert f"{path}:" in schema
