"""Workforce pages: access by role, the schedule grid's htmx cells with conflicts, time-off approval,
staffing with its chart, generation, adherence and the agent's own schedule."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from agents.models import ScheduledShift, TimeOffRequest
from agents.wfm.clock import local_day, week_start
from agents.wfm.shifts import shift_assign
from agents.wfm.time_off import time_off_request
from tests.agents.factories import ShiftTemplateFactory

SUPERVISOR_PAGES = ["/wfm/", "/wfm/templates/", "/wfm/schedule/", "/wfm/staffing/", "/wfm/generate/"]
ALL_PAGES = [*SUPERVISOR_PAGES, "/wfm/time-off/", "/wfm/adherence/", "/wfm/adherence/live", "/wfm/my/"]


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def early(db):
    return ShiftTemplateFactory(name="Early", start_time=time(8, 0), length_minutes=510)


@pytest.mark.parametrize("url", ALL_PAGES)
def test_anonymous_goes_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    "url", [*SUPERVISOR_PAGES, "/wfm/time-off/", "/wfm/adherence/", "/wfm/adherence/live"]
)
@pytest.mark.parametrize("persona", ["agent", "qa"])
def test_agents_and_qa_cannot_plan(client, personas, persona, url):
    assert as_user(client, personas[persona]).get(url).status_code == 403


@pytest.mark.parametrize(
    "url", [*SUPERVISOR_PAGES, "/wfm/time-off/", "/wfm/adherence/", "/wfm/adherence/live"]
)
@pytest.mark.parametrize("persona", ["supervisor", "admin"])
def test_supervisors_and_admins_plan(client, personas, persona, url):
    assert as_user(client, personas[persona]).get(url).status_code == 200


@pytest.mark.parametrize("persona", ["supervisor", "qa", "admin"])
def test_my_schedule_is_for_agents(client, personas, persona):
    assert as_user(client, personas[persona]).get("/wfm/my/").status_code == 403


def test_agent_sees_my_schedule(client, agent):
    assert as_user(client, agent).get("/wfm/my/").status_code == 200


# --- templates and the grid --------------------------------------------------------------------------
def test_create_template_with_breaks(client, supervisor):
    response = as_user(client, supervisor).post(
        "/wfm/templates/",
        {
            "name": "Late",
            "start_time": "14:00",
            "length_minutes": 480,
            "color": "#aa3300",
            "active": "on",
            "break1_kind": "lunch",
            "break1_offset": 240,
            "break1_minutes": 30,
        },
    )
    assert response.status_code == 302
    body = client.get("/wfm/templates/").content.decode()
    assert "Late" in body and "lunch 4h 00m +30m" in body


def test_template_with_a_break_outside_the_shift_is_refused(client, supervisor):
    response = as_user(client, supervisor).post(
        "/wfm/templates/",
        {
            "name": "Short",
            "start_time": "09:00",
            "length_minutes": 60,
            "color": "#aa3300",
            "break1_kind": "break",
            "break1_offset": 50,
            "break1_minutes": 30,
        },
    )
    assert response.status_code == 200 and "ends after the shift" in response.content.decode()


def test_grid_query_count_is_bounded(client, supervisor, early, django_assert_max_num_queries):
    from tests.callcenter.factories import UserFactory

    monday = week_start(local_day(timezone.now()))
    for n in range(25):
        user = UserFactory(username=f"agent{n}", roles=["agent"])
        shift_assign(actor=supervisor, agent_id=user.pk, day=monday, template_id=early.pk)
    as_user(client, supervisor)
    with django_assert_max_num_queries(14):
        response = client.get("/wfm/schedule/", {"week": monday.isoformat()})
    assert response.content.decode().count('class="shift-badge"') == 25


def test_assigning_in_a_cell_returns_the_cell(client, supervisor, agent, early):
    day = local_day(timezone.now()) + timedelta(days=3)
    response = as_user(client, supervisor).post(
        "/wfm/schedule/assign", {"agent": agent.pk, "day": day.isoformat(), "template": early.pk}
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith("<td") and "08:00–16:30" in body
    assert ScheduledShift.objects.filter(agent=agent, day=day).exists()


def test_a_warning_offers_schedule_anyway(client, supervisor, agent, early):
    day = local_day(timezone.now()) + timedelta(days=3)
    night = ShiftTemplateFactory(name="Night", start_time=time(22, 0), length_minutes=480, breaks=[])
    shift_assign(actor=supervisor, agent_id=agent.pk, day=day - timedelta(days=1), template_id=night.pk)
    as_user(client, supervisor)
    body = client.post(
        "/wfm/schedule/assign", {"agent": agent.pk, "day": day.isoformat(), "template": early.pk}
    ).content.decode()
    assert "of rest" in body and "Schedule anyway" in body
    assert not ScheduledShift.objects.filter(day=day).exists()
    client.post(
        "/wfm/schedule/assign",
        {"agent": agent.pk, "day": day.isoformat(), "template": early.pk, "force": "1"},
    )
    assert ScheduledShift.objects.filter(day=day).exists()


def test_an_overlap_is_refused_without_an_override(client, supervisor, agent, early):
    day = local_day(timezone.now()) + timedelta(days=3)
    shift_assign(actor=supervisor, agent_id=agent.pk, day=day, template_id=early.pk)
    late = ShiftTemplateFactory(name="Mid", start_time=time(12, 0), length_minutes=300, breaks=[])
    body = (
        as_user(client, supervisor)
        .post("/wfm/schedule/assign", {"agent": agent.pk, "day": day.isoformat(), "template": late.pk})
        .content.decode()
    )
    assert "It overlaps the shift" in body and "Schedule anyway" not in body


def test_removing_a_shift(client, supervisor, agent, early):
    shift = shift_assign(
        actor=supervisor, agent_id=agent.pk, day=local_day(timezone.now()), template_id=early.pk
    )
    response = as_user(client, supervisor).post(f"/wfm/schedule/shifts/{shift.pk}/remove")
    assert response.status_code == 200 and not ScheduledShift.objects.exists()


def test_agents_cannot_post_to_the_grid(client, agent, early):
    response = as_user(client, agent).post(
        "/wfm/schedule/assign", {"agent": agent.pk, "day": "2030-01-07", "template": early.pk}
    )
    assert response.status_code == 403 and not ScheduledShift.objects.exists()


# --- time off ----------------------------------------------------------------------------------------
def test_agent_requests_time_off_from_my_schedule(client, agent):
    day = local_day(timezone.now()) + timedelta(days=10)
    response = as_user(client, agent).post(
        "/wfm/my/",
        {"kind": "vacation", "first_day": day.isoformat(), "last_day": (day + timedelta(days=2)).isoformat()},
    )
    assert response.status_code == 302
    request = TimeOffRequest.objects.get(agent=agent)
    assert request.status == "pending" and request.ends_at - request.starts_at == timedelta(days=3)
    assert "Pending" in client.get("/wfm/my/").content.decode()


def test_bad_request_keeps_the_input_and_says_why(client, agent):
    day = local_day(timezone.now()) + timedelta(days=10)
    response = as_user(client, agent).post(
        "/wfm/my/",
        {
            "kind": "vacation",
            "first_day": day.isoformat(),
            "last_day": (day - timedelta(days=2)).isoformat(),
            "note": "Trip",
        },
    )
    body = response.content.decode()
    assert (
        response.status_code == 200
        and "The end must come after the start." in body
        and 'value="Trip"' in body
    )
    assert not TimeOffRequest.objects.exists()


def test_supervisor_approves_from_the_list(client, supervisor, agent):
    start = datetime.now(UTC) + timedelta(days=5)
    request = time_off_request(
        agent=agent, kind="vacation", starts_at=start, ends_at=start + timedelta(days=1)
    )
    as_user(client, supervisor)
    assert "alice" in client.get("/wfm/time-off/").content.decode().lower()
    response = client.post("/wfm/time-off/", {"request": request.pk, "decision": "approve", "note": "Enjoy"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_note) == ("approved", supervisor, "Enjoy")


def test_time_off_list_query_count_is_bounded(client, supervisor, django_assert_max_num_queries):
    from tests.callcenter.factories import UserFactory

    start = datetime.now(UTC) + timedelta(days=5)
    for n in range(20):
        user = UserFactory(username=f"a{n}", roles=["agent"])
        time_off_request(agent=user, kind="vacation", starts_at=start, ends_at=start + timedelta(days=1))
    as_user(client, supervisor)
    with django_assert_max_num_queries(12):
        response = client.get("/wfm/time-off/")
    assert response.content.decode().count('name="decision" value="approve"') == 20


# --- staffing, generation, adherence -----------------------------------------------------------------
def test_staffing_page_draws_the_chart(client, supervisor):
    body = as_user(client, supervisor).get("/wfm/staffing/").content.decode()
    assert 'data-testid="staffing-chart"' in body and "<svg" in body


def test_staffing_page_says_what_is_wrong_with_erlang_a_without_patience(client, supervisor):
    body = as_user(client, supervisor).get("/wfm/staffing/", {"model": "erlang_a"}).content.decode()
    assert "Erlang A needs the callers&#x27; patience" in body


def test_generate_preview_then_apply(client, supervisor, early):
    monday = week_start(local_day(timezone.now())) + timedelta(days=7)
    as_user(client, supervisor)
    form = {"week": monday.isoformat(), "shrinkage": 15, "templates": [early.pk]}
    response = client.post("/wfm/generate/", {**form, "action": "preview"})
    assert response.status_code == 200 and 'data-testid="proposed-count"' in response.content.decode()
    response = client.post("/wfm/generate/", {**form, "action": "apply"})
    assert response.status_code == 302 and response.url == f"/wfm/schedule/?week={monday.isoformat()}"


def test_live_out_of_adherence_lists_a_logged_out_agent(client, supervisor, agent):
    now = timezone.now()
    template = ShiftTemplateFactory(name="Now", start_time=time(0, 0), length_minutes=180, breaks=[])
    ScheduledShift.objects.create(
        agent=agent,
        day=local_day(now),
        template=template,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    body = as_user(client, supervisor).get("/wfm/adherence/live").content.decode()
    assert "Alice" in body and "Logged out" in body


def test_template_list_and_adherence_query_counts_are_bounded(
    client, supervisor, django_assert_max_num_queries
):
    from tests.callcenter.factories import UserFactory

    templates = [ShiftTemplateFactory(name=f"T{n}", start_time=time(6 + n % 10, 0)) for n in range(15)]
    day = local_day(timezone.now())
    for n in range(20):
        user = UserFactory(username=f"adh{n}", roles=["agent"])
        shift_assign(actor=supervisor, agent_id=user.pk, day=day, template_id=templates[n % 15].pk)
    as_user(client, supervisor)
    with django_assert_max_num_queries(10):
        assert client.get("/wfm/templates/").content.decode().count("/wfm/templates/") >= 15
    with django_assert_max_num_queries(10):
        assert client.get("/wfm/adherence/", {"day": day.isoformat()}).content.decode().count("<tr>") >= 20
