"""Every page and API as anonymous and as each role, compared with the table below; every websocket
route likewise. A URL pattern or websocket route missing from the tables fails the test, so each new
page must be classified here.

"allow" means the request got past the access checks (any answer but a redirect to the login page,
401 or 403; a 400 for an empty form or a 404 for a wrong object counts as allowed). Routes that only
take POST are tried with an empty POST, so the role check is what answers. No answer may be a 5xx.
"""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from callcenter.routing import websocket_urlpatterns
from tests.security.urls import all_routes, route_address
from tests.security.world import build_world

ANON, AGENT, SUP, QA, ADMIN = "anonymous", "agent", "supervisor", "qa", "admin"
IDENTITIES = (ANON, AGENT, SUP, QA, ADMIN)
PUBLIC = frozenset(IDENTITIES)
USERS = frozenset({AGENT, SUP, QA, ADMIN})
NOBODY: frozenset[str] = frozenset()
CRM = USERS  # customers and tickets: every role reads them
CRM_WRITERS = frozenset({AGENT, SUP, ADMIN})  # QA reads only
CONSOLE = frozenset({ADMIN})
AGENTS = frozenset({AGENT})
SUPERVISORS = frozenset({SUP})
WORKFORCE = frozenset({SUP, ADMIN})
QA_STAFF = frozenset({QA, ADMIN})
AUDIT_READERS = frozenset({SUP, ADMIN})  # who changed what: supervisors and admins
QA_LEADS = frozenset({ADMIN})  # admins hold every QA permission; quinn is not a lead
EVALUATION_READERS = USERS  # agents their own, supervisors their teams', QA all

PAGES: dict[str, frozenset[str]] = {
    "": USERS,  # each role's home; anonymous to the login page
    "accounts/login/": PUBLIC,
    "accounts/logout/": NOBODY,  # logging out sends everyone to the login page
    "accounts/preferences/": USERS,
    "i18n/setlang/": PUBLIC,
    "healthz": PUBLIC,
    "console/": CONSOLE,
    "console/users/": CONSOLE,
    "console/users/<int:user_id>/": CONSOLE,
    "console/feeds/": CONSOLE,
    "console/audit/": AUDIT_READERS,
    "console/queues/": CONSOLE,
    "console/queues/<int:queue_id>/": CONSOLE,
    "console/ivr/": CONSOLE,
    "console/ivr/<int:flow_id>/": CONSOLE,
    "console/ivr/<int:flow_id>/default": CONSOLE,
    "console/ivr/<int:flow_id>/versions/<int:version_id>/rollback": CONSOLE,
    "console/ivr/<int:flow_id>/dialplan": CONSOLE,
    "console/ivr/<int:flow_id>/versions/<int:version_id>/dialplan": CONSOLE,
    "console/skills/": CONSOLE,
    "console/skills/<int:skill_id>/": CONSOLE,
    "console/agents/skills/": CONSOLE,
    "console/teams/": CONSOLE,
    "console/teams/<int:team_id>/": CONSOLE,
    "desktop/": AGENTS,
    "desktop/state": AGENTS,
    "desktop/calls/<str:call_id>/": AGENTS,
    "desktop/calls/<str:call_id>/action": AGENTS,
    "desktop/calls/<str:call_id>/customer": AGENTS,
    "desktop/calls/<str:call_id>/wrapup": AGENTS,
    "desktop/callbacks/": AGENTS,
    "desktop/callbacks/<int:callback_id>/dial": AGENTS,
    "wfm/": WORKFORCE,
    "wfm/templates/": WORKFORCE,
    "wfm/templates/<int:template_id>/": WORKFORCE,
    "wfm/schedule/": WORKFORCE,
    "wfm/schedule/assign": WORKFORCE,
    "wfm/schedule/shifts/<int:shift_id>/remove": WORKFORCE,
    "wfm/time-off/": WORKFORCE,
    "wfm/staffing/": WORKFORCE,
    "wfm/generate/": WORKFORCE,
    "wfm/adherence/": WORKFORCE,
    "wfm/adherence/live": WORKFORCE,
    "wfm/my/": AGENTS,
    "qa/": QA_STAFF,
    "qa/sample/": QA_LEADS,
    "qa/calls/": QA_STAFF,
    "qa/calls/<int:call_id>/evaluate/": QA_STAFF,
    "qa/evaluations/": EVALUATION_READERS,
    "qa/evaluations/<int:evaluation_id>/": EVALUATION_READERS,
    # QA, the agent on the call, the supervisor of the agent's team (recording_access_allowed).
    "qa/calls/<int:call_id>/recording": USERS,
    "qa/scorecards/": QA_STAFF,
    "qa/scorecards/new/": QA_LEADS,
    "qa/scorecards/<int:scorecard_id>/": QA_STAFF,
    "qa/calibrations/": QA_STAFF,
    "qa/calibrations/new/": QA_LEADS,
    "qa/calibrations/<int:calibration_id>/": QA_STAFF,  # quinn is one of its analysts
    "qa/coaching/": WORKFORCE,
    "qa/coaching/new/": WORKFORCE,
    "qa/coaching/<int:session_id>/": frozenset({AGENT, SUP, ADMIN}),  # alice's session, by her supervisor
    "qa/disputes/": QA_LEADS,
    "qa/settings/": QA_LEADS,
    "qa/settings/leads/": QA_LEADS,
    "customers/": CRM,
    "customers/new/": CRM_WRITERS,
    "customers/import/": WORKFORCE,
    "customers/<int:customer_id>/": CRM,
    "tickets/": CRM,
    "tickets/new/": CRM_WRITERS,
    "tickets/<int:ticket_id>/": CRM,
    "wallboard/": SUPERVISORS,
    "reports/": SUPERVISORS,
    "reports/export.csv": SUPERVISORS,
    "reports/subscription": SUPERVISORS,
    "my-numbers/": AGENTS,
    "django-admin/": CONSOLE,
}

APIS: dict[str, frozenset[str]] = {
    "api/me/": USERS,
    "api/me/preferences/": USERS,
    "api/telephony/events": NOBODY,  # feeds authenticate with their own secret, never a user
    "api/telephony/commands": NOBODY,
    "api/telephony/calls/<int:call_id>/recording": QA_STAFF,
    "api/telephony/ivr/flows/<int:flow_id>/draft": CONSOLE,
    "api/telephony/ivr/flows/<int:flow_id>/publish": CONSOLE,
    "api/telephony/ivr/flows/<int:flow_id>/versions": CONSOLE,
    "api/telephony/ivr/flows/<int:flow_id>/rollback": CONSOLE,
    "api/customers/": CRM,
    "api/customers/import": WORKFORCE,
    "api/^customers/match/?$": CRM,
    "api/customers/<int:customer_id>/": CRM,
    "api/customers/<int:customer_id>/timeline/": CRM,
    "api/customers/<int:customer_id>/changes/": CRM,
    "api/tickets/": CRM,
    "api/tickets/bulk/": CRM_WRITERS,
    "api/tickets/<int:ticket_id>/": CRM,
    "api/tickets/<int:ticket_id>/comments/": CRM_WRITERS,
    "api/tickets/<int:ticket_id>/timeline/": CRM,
    "api/tickets/<int:ticket_id>/merge/": CRM_WRITERS,
    "api/tickets/<int:ticket_id>/watchers/": CRM,  # watching yourself needs only sight of the ticket
    "api/dispositions/": CRM,
    "api/call-scripts/": CRM,
    "api/call-logs/": CRM_WRITERS,
    "api/callbacks/": CRM_WRITERS,
    "api/callbacks/<int:callback_id>/dial": CRM_WRITERS,
    "api/callbacks/<int:callback_id>/cancel": CRM_WRITERS,
    "api/desktop/state": AGENTS,
    "api/desktop/calls/<str:call_id>/actions": AGENTS,
    "api/qa/scorecards/": QA_STAFF,
    "api/qa/scorecards/<int:scorecard_id>/": QA_STAFF,
    "api/qa/evaluations/": EVALUATION_READERS,
    "api/qa/evaluations/<int:evaluation_id>/": EVALUATION_READERS,
    "api/qa/evaluations/<int:evaluation_id>/draft/": QA_STAFF,
    "api/qa/evaluations/<int:evaluation_id>/submit/": frozenset({QA}),  # the evaluator's own
    "api/qa/evaluations/<int:evaluation_id>/acknowledge/": AGENTS,  # the evaluated agent
    "api/qa/evaluations/<int:evaluation_id>/dispute/": frozenset({AGENT, ADMIN}),
    "api/qa/evaluations/<int:evaluation_id>/resolve/": QA_LEADS,
    "api/qa/evaluations/<int:evaluation_id>/comments/": EVALUATION_READERS,
    "api/qa/evaluations/<int:evaluation_id>/timeline/": EVALUATION_READERS,
    "api/qa/calls/": QA_STAFF,
    "api/qa/sampling/policy/": QA_LEADS,
    "api/qa/sampling/run/": QA_LEADS,
    "api/qa/scores/": WORKFORCE,
    "api/qa/calibrations/": QA_LEADS,  # an empty POST: opening one is for leads
    "api/qa/calibrations/<int:calibration_id>/": QA_STAFF,
    "api/qa/coaching/": frozenset({AGENT, SUP, ADMIN}),
    "api/qa/coaching/<int:session_id>/": frozenset({AGENT, SUP, ADMIN}),
    "api/kpi/report": SUPERVISORS,
    "api/audit/": AUDIT_READERS,
    "api/schema/": USERS,
    "api/docs/": USERS,
}

SOCKETS: dict[str, frozenset[str]] = {
    "ws/ping/": USERS,
    "ws/wallboard/": SUPERVISORS,
    "ws/desktop/": AGENTS,
    "ws/alerts/": USERS,
}


def outcome(response) -> str:
    status = response.status_code
    if status >= 500:
        return f"error {status}"
    if status in (401, 403):
        return "deny"
    if status in (301, 302) and "/login/" in response.get("Location", ""):
        return "deny"
    return "allow"


def visit(client: Client, address: str):
    """GET, or an empty POST where GET is not allowed (POST-only actions)."""
    response = client.get(address)
    if response.status_code == 405:
        response = client.post(address, {})
    return response


@pytest.fixture
def world(personas):
    return build_world(personas)


def test_every_url_pattern_is_in_the_table():
    routes = {route.route for route in all_routes()}
    table = set(PAGES) | set(APIS)
    assert sorted(routes - table) == [], "classify these new routes in tests/security/test_role_matrix.py"
    assert sorted(table - routes) == [], "these routes are gone: remove them from the table"


def test_every_page_and_api_allows_exactly_the_roles_of_the_table(world, personas):
    clients = {ANON: Client()}
    for role in USERS:
        clients[role] = Client()
        clients[role].force_login(personas[role])
    table = {**PAGES, **APIS}
    wrong = []
    for route in all_routes():
        address = route_address(route, world)
        for identity in IDENTITIES:
            got = outcome(visit(clients[identity], address))
            expected = "allow" if identity in table[route.route] else "deny"
            if got != expected:
                wrong.append(f"{address} as {identity}: {got}, expected {expected}")
        if route.route == "accounts/logout/":
            for role in USERS:
                clients[role].force_login(personas[role])
    assert wrong == []


async def _socket_outcome(path: str, cookie: bytes | None) -> str:
    headers = [(b"origin", b"http://localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    from callcenter.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    await communicator.disconnect()
    if connected:
        return "allow"
    return "deny" if code in (4401, 4403) else f"closed {code}"


def test_every_websocket_route_is_in_the_table():
    assert sorted(str(route.pattern) for route in websocket_urlpatterns) == sorted(SOCKETS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_every_websocket_allows_exactly_the_roles_of_the_table(personas):
    from asgiref.sync import sync_to_async

    def cookie_of(user) -> bytes:
        client = Client()
        client.force_login(user)
        return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()

    cookies = {ANON: None}
    for role in USERS:
        cookies[role] = await sync_to_async(cookie_of)(personas[role])
    wrong = []
    for path, allowed in SOCKETS.items():
        for identity in IDENTITIES:
            got = await _socket_outcome("/" + path, cookies[identity])
            expected = "allow" if identity in allowed else "deny"
            if got != expected:
                wrong.append(f"{path} as {identity}: {got}, expected {expected}")
    assert wrong == []
