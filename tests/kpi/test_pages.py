"""KPI pages and API: who may open them, what they show for the hand-computed call set, bad input."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kpi.models import QueueThresholds, ReportSubscription
from telephony.models import Queue
from telephony.services import call_events_ingest
from tests.kpi import scenarios
from tests.telephony.factories import FeedSourceFactory

pytestmark = pytest.mark.django_db
DAY = "2026-11-23"
SUPERVISOR_PAGES = [
    "/wallboard/",
    "/wallboard/?tv=1",
    f"/reports/?first_day={DAY}&last_day={DAY}",
    f"/reports/export.csv?first_day={DAY}&last_day={DAY}",
]


@pytest.fixture
def tricky(db):
    source = FeedSourceFactory(name="pbx1")
    call_events_ingest(source=source, raw_events=scenarios.tricky_events())
    return source


# --- access -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [*SUPERVISOR_PAGES, "/my-numbers/"])
def test_anonymous_visitors_go_to_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("path", SUPERVISOR_PAGES)
def test_supervisors_open_the_kpi_pages(client, supervisor, path):
    client.force_login(supervisor)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("role", ["agent", "qa", "admin"])
@pytest.mark.parametrize("path", SUPERVISOR_PAGES)
def test_other_roles_may_not_open_the_kpi_pages(client, personas, role, path):
    client.force_login(personas[role])
    assert client.get(path).status_code == 403


def test_agents_see_their_own_numbers(client, agent):
    client.force_login(agent)
    assert client.get("/my-numbers/").status_code == 200


@pytest.mark.parametrize("role", ["supervisor", "qa", "admin"])
def test_only_agents_have_own_numbers(client, personas, role):
    client.force_login(personas[role])
    assert client.get("/my-numbers/").status_code == 403


def test_the_subscription_needs_the_reports_permission(client, agent):
    client.force_login(agent)
    assert client.post("/reports/subscription", {"daily_email": "on"}).status_code == 403
    assert not ReportSubscription.objects.exists()


# --- wallboard page ------------------------------------------------------------------------------
def test_wallboard_paints_from_the_current_snapshot(client, supervisor, tricky):
    client.force_login(supervisor)
    html = client.get("/wallboard/").content.decode()
    assert 'id="wallboard-snapshot"' in html
    assert '"type": "wallboard.snapshot"' in html
    assert "/ws/wallboard/" in html
    assert "js/wallboard." in html


def test_tv_mode_drops_the_navigation(client, supervisor, db):
    client.force_login(supervisor)
    html = client.get("/wallboard/?tv=1").content.decode()
    assert 'class="page-wallboard tv"' in html
    assert "Leave TV mode" in html


def test_a_queue_board_opens_that_queues_socket(client, supervisor, tricky):
    client.force_login(supervisor)
    html = client.get("/wallboard/?queue=support").content.decode()
    assert 'data-socket="/ws/wallboard/?queue=support"' in html


def test_an_unknown_queue_falls_back_to_the_floor(client, supervisor, tricky):
    client.force_login(supervisor)
    html = client.get("/wallboard/?queue=nope").content.decode()
    assert 'data-socket="/ws/wallboard/"' in html


def test_the_wallboard_page_costs_a_fixed_number_of_queries(
    client, supervisor, tricky, django_assert_max_num_queries
):
    client.force_login(supervisor)
    client.get("/wallboard/")
    from django.core.cache import cache

    from kpi.live import SNAPSHOT_KEY

    cache.delete(SNAPSHOT_KEY)
    with django_assert_max_num_queries(30):
        assert client.get("/wallboard/").status_code == 200


# --- reports page --------------------------------------------------------------------------------
def test_reports_show_the_hand_computed_totals_with_definitions(client, supervisor, tricky):
    client.force_login(supervisor)
    html = client.get(f"/reports/?first_day={DAY}&last_day={DAY}&group=interval").content.decode()
    assert 'data-testid="summary-offered">14<' in html
    assert 'data-testid="summary-service_level">53.8 %<' in html
    assert 'data-testid="summary-aht_s">1m 36s<' in html
    assert 'title="Answered with a wait ≤ T ÷ (offered − short abandons), percent."' in html
    assert html.count('data-testid="chart"') == 5
    assert ">Sales<" in html or ">sales<" in html


def test_reports_default_to_the_last_seven_days(client, supervisor, db):
    client.force_login(supervisor)
    response = client.get("/reports/")
    assert response.status_code == 200
    today = timezone.localdate()
    assert response.context["form"].cleaned_data["first_day"] == today - timedelta(days=6)


def test_a_range_backwards_is_refused_with_the_reason(client, supervisor, db):
    client.force_login(supervisor)
    response = client.get("/reports/?first_day=2026-11-23&last_day=2026-11-01")
    assert response.status_code == 400
    assert "The last day comes before the first." in response.content.decode()


def test_intervals_over_a_long_range_are_refused(client, supervisor, db):
    client.force_login(supervisor)
    response = client.get("/reports/?first_day=2026-09-01&last_day=2026-11-23&group=interval")
    assert response.status_code == 400
    assert 'data-testid="error-group"' in response.content.decode()


def test_an_unknown_queue_filter_is_refused(client, supervisor, db):
    client.force_login(supervisor)
    response = client.get(f"/reports/?first_day={DAY}&last_day={DAY}&queue=nope")
    assert response.status_code == 400
    assert 'data-testid="error-queue"' in response.content.decode()


def test_the_reports_page_costs_a_bounded_number_of_queries(
    client, supervisor, tricky, django_assert_max_num_queries
):
    client.force_login(supervisor)
    with django_assert_max_num_queries(80):
        assert client.get(f"/reports/?first_day={DAY}&last_day={DAY}&group=day").status_code == 200


def test_csv_export_has_one_line_per_queue(client, supervisor, tricky):
    client.force_login(supervisor)
    response = client.get(f"/reports/export.csv?first_day={DAY}&last_day={DAY}&by=queue")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["queue"], row["offered"], row["service_level"]) for row in rows] == [
        ("sales", "13", "50.0"),
        ("support", "1", "100.0"),
    ]


def test_csv_export_of_bad_filters_says_what_is_wrong(client, supervisor, db):
    client.force_login(supervisor)
    response = client.get("/reports/export.csv?first_day=yesterday&last_day=2026-11-23")
    assert response.status_code == 400
    assert "first_day" in response.content.decode()


def test_a_supervisor_subscribes_to_the_daily_report(client, supervisor):
    client.force_login(supervisor)
    response = client.post("/reports/subscription", {"daily_email": "on", "back": "/reports/?group=week"})
    assert response.status_code == 302
    assert response["Location"] == "/reports/?group=week"
    assert ReportSubscription.objects.get(user=supervisor).daily_email


def test_the_subscription_never_redirects_off_site(client, supervisor):
    client.force_login(supervisor)
    response = client.post("/reports/subscription", {"back": "https://evil.example/"})
    assert response["Location"] == "/reports/"
    assert not ReportSubscription.objects.get(user=supervisor).daily_email


# --- the agent's own numbers ---------------------------------------------------------------------
def test_an_agent_sees_todays_calls_on_the_desktop(client, agent):
    source = FeedSourceFactory(name="pbx1")
    now = timezone.now()

    def at(seconds_ago: float) -> str:
        return (now - timedelta(seconds=seconds_ago)).isoformat()

    call_events_ingest(
        source=source,
        raw_events=[
            {
                "source": "pbx1",
                "event_id": "q",
                "ts": at(300),
                "type": "call.queued",
                "call_id": "m1",
                "queue": "sales",
            },
            {
                "source": "pbx1",
                "event_id": "a",
                "ts": at(290),
                "type": "call.answered",
                "call_id": "m1",
                "queue": "sales",
                "agent": "alice",
            },
            {
                "source": "pbx1",
                "event_id": "e",
                "ts": at(170),
                "type": "call.ended",
                "call_id": "m1",
                "agent": "alice",
            },
        ],
    )
    client.force_login(agent)
    html = client.get("/my-numbers/").content.decode()
    assert 'data-testid="my-answered-today">1<' in html
    assert "2m 00s" in html  # AHT: 120 s of talk
    assert 'hx-get="/my-numbers/"' in client.get("/desktop/").content.decode()


# --- API ------------------------------------------------------------------------------------------
def test_report_api_returns_rows_with_every_kpi_key(client, supervisor, tricky):
    client.force_login(supervisor)
    response = client.get(f"/api/kpi/report?from={DAY}&to={DAY}&by=queue")
    assert response.status_code == 200
    body = response.json()
    rows = {row["queue"]: row for row in body["rows"]}
    assert {key: rows["sales"][key] for key in scenarios.SALES} == scenarios.approx(scenarios.SALES)
    assert body["keys"][0] == "offered"


def test_report_api_needs_a_login(client, db):
    assert client.get(f"/api/kpi/report?from={DAY}&to={DAY}").status_code == 401


def test_report_api_refuses_agents(client, agent):
    client.force_login(agent)
    assert client.get(f"/api/kpi/report?from={DAY}&to={DAY}").status_code == 403


def test_report_api_says_which_parameters_are_wrong(client, supervisor, db):
    client.force_login(supervisor)
    response = client.get("/api/kpi/report?from=2026-11-30&to=2026-11-01&by=month&queue=nope")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"by", "queue"} <= set(fields)


def test_report_api_refuses_a_backwards_range(client, supervisor, db):
    client.force_login(supervisor)
    response = client.get("/api/kpi/report?from=2026-11-30&to=2026-11-01")
    assert response.status_code == 400
    assert "to" in response.json()["error"]["fields"]


def test_report_api_costs_a_bounded_number_of_queries(
    client, supervisor, tricky, django_assert_max_num_queries
):
    client.force_login(supervisor)
    with django_assert_max_num_queries(25):
        assert client.get(f"/api/kpi/report?from={DAY}&to={DAY}&by=day").status_code == 200


# --- thresholds in Django admin -------------------------------------------------------------------
def test_admins_edit_thresholds_of_every_queue(client, admin, tricky):
    client.force_login(admin)
    response = client.get("/django-admin/kpi/queuethresholds/")
    assert response.status_code == 200
    assert set(QueueThresholds.objects.values_list("queue__name", flat=True)) == {"sales", "support"}


def test_supervisors_may_not_edit_thresholds(client, supervisor, tricky):
    client.force_login(supervisor)
    response = client.get("/django-admin/kpi/queuethresholds/")
    assert response.status_code in (302, 403)
    assert not QueueThresholds.objects.exists()


def test_amber_above_red_is_refused(client, admin, tricky):
    client.force_login(admin)
    queue = Queue.objects.get(name="sales")
    response = client.post(
        "/django-admin/kpi/queuethresholds/add/",
        {
            "queue": queue.pk,
            "sl_green_percent": 80,
            "sl_amber_percent": 90,
            "abandon_amber_percent": 5,
            "abandon_red_percent": 10,
            "waiting_amber": 3,
            "waiting_red": 6,
            "wait_amber_s": 30,
            "wait_red_s": 60,
            "asa_amber_s": 20,
            "asa_red_s": 40,
            "long_wait_alert_s": 120,
        },
    )
    assert response.status_code == 200
    assert "Amber must start at or below green." in response.content.decode()
    assert not QueueThresholds.objects.exists()


def test_report_periods_follow_the_users_calendar(client, supervisor, tricky):
    client.force_login(supervisor)
    session = client.session
    session["preference"] = {"language": "en", "calendar": "jalali"}
    session.save()
    html = client.get(f"/reports/?first_day={DAY}&last_day={DAY}&group=day").content.decode()
    assert "1405/09/02" in html  # 2026-11-23
