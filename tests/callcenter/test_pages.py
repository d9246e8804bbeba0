"""Login, role homes, navigation per role, access checks and language on the server-rendered pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from callcenter.models import UserPreference
from tests.callcenter.factories import PASSWORD, UserFactory

ROLE_HOMES = {
    "agent": "/desktop/",
    "supervisor": "/wallboard/",
    "qa": "/qa/",
    "admin": "/console/",
}
ROLE_NAV = {
    "agent": {"Desktop", "Evaluations"},
    "supervisor": {"Wallboard", "Reports", "Coaching", "Audit log"},
    "qa": {"QA queue"},
    # Admins hold every QA permission (they may lead QA), so they see its pages too.
    "admin": {"Admin console", "QA queue", "Evaluations", "Coaching", "Audit log"},
}
ALL_NAV_LABELS = set().union(*ROLE_NAV.values())
PAGES = ["/desktop/", "/wallboard/", "/reports/", "/qa/", "/console/", "/console/users/"]
PAGE_ALLOWED = {
    "/desktop/": {"agent"},
    "/wallboard/": {"supervisor"},
    "/reports/": {"supervisor"},
    "/qa/": {"qa", "admin"},
    "/console/": {"admin"},
    "/console/users/": {"admin"},
}


def test_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content


@pytest.mark.parametrize("path", [*PAGES, "/", "/accounts/preferences/"])
def test_anonymous_visitors_are_sent_to_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLE_HOMES)
def test_each_role_lands_on_its_home_after_login(client, personas, role):
    user = personas[role]
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == ROLE_HOMES[role]
    assert response.status_code == 200


@pytest.mark.parametrize("role", ROLE_HOMES)
def test_navigation_shows_only_the_roles_pages(client, personas, role):
    client.force_login(personas[role])
    html = client.get(ROLE_HOMES[role]).content.decode()
    # Only the main navigation: pages may link to each other in their own tabs.
    nav = html.split('aria-label="Main navigation"', 1)[1].split("</nav>", 1)[0]
    for label in ALL_NAV_LABELS:
        assert (f">{label}</a>" in nav) == (label in ROLE_NAV[role]), label


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ROLE_HOMES)
def test_pages_check_the_role(client, personas, role, path):
    client.force_login(personas[role])
    response = client.get(path)
    assert response.status_code == (200 if role in PAGE_ALLOWED[path] else 403)


def test_wrong_login_says_so(client, agent):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content


def test_user_without_role_is_told_to_ask_an_admin(client, db):
    client.force_login(UserFactory(username="norole"))
    response = client.get("/")
    assert response.status_code == 403
    assert b"no role yet" in response.content


def test_persian_preference_gives_a_right_to_left_page(client, agent):
    client.force_login(agent)
    response = client.post(reverse("preferences"), {"language": "fa", "calendar": "jalali"}, follow=True)
    html = response.content.decode()
    assert 'dir="rtl"' in html
    assert 'lang="fa"' in html
    assert "ترجیحات" in html  # "Preferences"
    assert UserPreference.objects.get(user=agent).calendar == "jalali"


def test_saved_language_applies_at_the_next_login(client, agent):
    UserPreference.objects.update_or_create(user=agent, defaults={"language": "fa"})
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True)
    assert 'dir="rtl"' in response.content.decode()


def test_jalali_calendar_shows_persian_dates(client, agent):
    client.force_login(agent)
    client.post(reverse("preferences"), {"language": "en", "calendar": "jalali"})
    html = client.get(reverse("preferences")).content.decode()
    sample = html.split('data-testid="date-sample">')[1].split("<")[0]
    assert sample.startswith("14")  # Jalali years are 14xx in this century
    assert 'dir="ltr"' in html


def test_admin_creates_a_user_with_a_role(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("console:users"),
        {"username": "dave", "roles": ["agent"], "password": "a-long-enough-passphrase"},
        follow=True,
    )
    assert b"User dave created." in response.content
    client.logout()
    login = client.post(
        reverse("login"), {"username": "dave", "password": "a-long-enough-passphrase"}, follow=True
    )
    assert login.redirect_chain[-1][0] == "/desktop/"


def test_user_form_shows_errors_next_to_fields(client, admin):
    client.force_login(admin)
    response = client.post(reverse("console:users"), {"username": "ada", "password": "123"})
    html = response.content.decode()
    assert "This username is taken." in html
    assert "This field is required." in html  # roles
    assert "This password is too short" in html


def test_admin_cannot_deactivate_themselves(client, admin):
    client.force_login(admin)
    response = client.post(reverse("console:user_edit", args=[admin.pk]), {"roles": ["admin"]})
    assert b"You cannot deactivate your own account." in response.content
    admin.refresh_from_db()
    assert admin.is_active


def test_admin_changes_a_users_roles(client, admin, agent):
    client.force_login(admin)
    client.post(reverse("console:user_edit", args=[agent.pk]), {"roles": ["supervisor"], "is_active": "on"})
    client.force_login(agent)
    assert client.get("/wallboard/").status_code == 200
    assert client.get("/desktop/").status_code == 403


def test_console_lists_users_without_a_query_per_user(client, admin, django_assert_max_num_queries):
    for n in range(15):
        UserFactory(username=f"bulk{n}", roles=["agent"])
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("console:users"))
    assert response.content.count(b"bulk") >= 15


def test_static_assets_are_served_locally(client, agent):
    client.force_login(agent)
    html = client.get("/desktop/").content.decode()
    assert "https://" not in html.split("<body")[0]  # no CDN in <head>
    assert "/static/vendor/htmx" in html


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
