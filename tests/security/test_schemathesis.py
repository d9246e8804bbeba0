"""Schemathesis over every operation of the OpenAPI schema, anonymously, as each role and as a feed:
generated requests (valid and invalid) never get a 5xx, and documented answers match their schema.

Bounded and deterministic: a few derandomized examples per operation and identity, no shrinking,
no example database. Path ids point at the security world's objects so requests reach the code
behind the access checks instead of stopping at a 404.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from telephony.models import FeedSource
from tests.security.world import build_world

# Generated requests per operation, (valid, invalid); each is sent anonymously and as every role.
# SCHEMATHESIS_EXAMPLES=50,50 digs deeper by hand; `make test` keeps the bounded default.
EXAMPLES = tuple(int(n) for n in os.environ.get("SCHEMATHESIS_EXAMPLES", "3,2").split(","))
FEED_PATHS = ("/api/telephony/events", "/api/telephony/commands")


@pytest.fixture
def wsgi_app(settings):
    """Django's WSGI handler in the test's transaction: like the test Client, it must not close the
    connection at the start and end of each request (that would end the test's transaction)."""
    settings.ALLOWED_HOSTS = ["*"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def schema(wsgi_app):
    spec = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(spec)
    loaded.app = wsgi_app
    return loaded


def _path_ids(world: Any, path: str) -> dict[str, Any]:
    ids = {
        name: world.ids[name]
        for name in (
            "customer_id",
            "ticket_id",
            "callback_id",
            "flow_id",
            "scorecard_id",
            "evaluation_id",
            "calibration_id",
            "session_id",
        )
    }
    # The desktop names calls by the feed's call id; the recording upload by the call's number.
    ids["call_id"] = world["call_id"] if path.startswith("/api/desktop/") else world["call_pk"]
    return {name: value for name, value in ids.items() if "{" + name + "}" in path}


def _run_examples(strategy: Any, count: int, checks: list[Any], identities: dict[str, dict]) -> None:
    """`count` generated requests, each sent as every identity (one search, many callers)."""

    @hypothesis_settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        for identity, headers in identities.items():
            try:
                case.call_and_validate(headers=headers, checks=checks)
            except BaseException as error:
                error.add_note(f"(sent as {identity})")
                raise

    with contextlib.suppress(Unsatisfiable):  # no such request exists (e.g. nothing to make invalid)
        run()


def _exercise(operation: Any, *, identities: dict[str, dict], path_parameters: dict[str, Any]) -> None:
    """Valid inputs: no 5xx and documented answers as documented. Invalid ones: no 5xx."""
    positive, negative = EXAMPLES
    if not (operation.query or operation.body or operation.headers):
        negative = 0  # nothing but the pinned path ids: no invalid request to make
    for mode, count in (
        (schemathesis.GenerationMode.POSITIVE, positive),
        (schemathesis.GenerationMode.NEGATIVE, negative),
    ):
        if not count:
            continue
        checks: list[Any] = [not_a_server_error]
        if mode is schemathesis.GenerationMode.POSITIVE:
            checks.append(response_schema_conformance)
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)
        _run_examples(strategy, count, checks, identities)


def test_no_operation_answers_a_5xx_to_any_role(schema, personas):
    world = build_world(personas)
    identities: dict[str, dict[str, str]] = {"anonymous": {}}
    for role, user in personas.items():
        identities[role] = {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}
    feed = FeedSource.objects.get(name=settings.ACD_SOURCE)
    feed_identity = {"feed": {"Authorization": f"Bearer {feed.secret}"}}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 60  # every operation of the schema, not a filtered few
    failures = []
    for operation in operations:
        callers = {**identities, **feed_identity} if operation.path in FEED_PATHS else identities
        try:
            _exercise(operation, identities=callers, path_parameters=_path_ids(world, operation.path))
        # Collected rather than raised, so one run reports every failing operation.
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001
            notes = " ".join(getattr(error, "__notes__", []))
            failures.append(f"{operation.label} {notes}:\n{error}")
    assert not failures, "\n\n".join(failures)
