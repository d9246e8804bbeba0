"""Admin console pages of telephony (queues, IVR flows, builder, dialplan) and the IVR APIs."""

from __future__ import annotations

import json

import pytest

from telephony.ivr import services as ivr_services
from telephony.models import ConfigChange, IvrFlow, Queue
from tests.telephony.factories import QueueFactory
from tests.telephony.ivr_samples import TWO_LEVEL

PAGES = ["/console/queues/", "/console/ivr/"]


@pytest.fixture
def queues(db):
    return {name: QueueFactory(name=name) for name in ("sales", "support", "billing")}


@pytest.fixture
def flow(admin, queues):
    return ivr_services.ivr_flow_create(actor=admin, name="main", display_name="Main line")


def as_user(client, user):
    client.force_login(user)
    return client


# --- access ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [*PAGES, "/console/queues/1/", "/console/ivr/1/", "/console/ivr/1/dialplan"])
def test_anonymous_goes_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["agent", "supervisor", "qa"])
@pytest.mark.parametrize("url", PAGES)
def test_other_roles_get_403(client, personas, persona, url):
    assert as_user(client, personas[persona]).get(url).status_code == 403


def test_builder_and_dialplan_are_admin_only(client, supervisor, flow):
    as_user(client, supervisor)
    assert client.get(f"/console/ivr/{flow.pk}/").status_code == 403
    assert client.get(f"/console/ivr/{flow.pk}/dialplan").status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_admin_gets_in(client, admin, url):
    assert as_user(client, admin).get(url).status_code == 200


# --- queues ------------------------------------------------------------------------------------------
def test_queue_list_query_count_is_bounded(client, admin, django_assert_max_num_queries):
    for n in range(30):
        QueueFactory(name=f"q{n}")
    as_user(client, admin)
    with django_assert_max_num_queries(12):
        response = client.get("/console/queues/")
    assert response.content.decode().count("/console/queues/") >= 30


def test_create_queue(client, admin):
    response = as_user(client, admin).post(
        "/console/queues/", {"name": "vip", "sl_target_percent": 90, "sl_threshold_s": 15, "priority": 8}
    )
    assert response.status_code == 302
    queue = Queue.objects.get(name="vip")
    assert (queue.sl_target_percent, queue.priority) == (90, 8)


def test_edit_queue_shows_service_errors_next_to_the_field(client, admin, queues):
    sales, support = queues["sales"], queues["support"]
    response = as_user(client, admin).post(
        f"/console/queues/{sales.pk}/",
        {"sl_target_percent": 80, "sl_threshold_s": 20, "priority": 5, "overflow_queue": support.pk},
    )
    assert response.status_code == 200
    assert "Set a maximum wait" in response.content.decode()
    sales.refresh_from_db()
    assert sales.overflow_queue is None


def test_edit_queue_saves_and_shows_history(client, admin, queues):
    sales, support = queues["sales"], queues["support"]
    as_user(client, admin).post(
        f"/console/queues/{sales.pk}/",
        {
            "sl_target_percent": 85,
            "sl_threshold_s": 20,
            "priority": 5,
            "overflow_queue": support.pk,
            "max_wait_s": 90,
        },
    )
    sales.refresh_from_db()
    assert (sales.max_wait_s, sales.overflow_queue) == (90, support)
    body = client.get(f"/console/queues/{sales.pk}/").content.decode()
    assert "max_wait_s" in body and "Ada" in body


# --- IVR pages ---------------------------------------------------------------------------------------
def test_create_flow_opens_the_builder(client, admin, queues):
    response = as_user(client, admin).post("/console/ivr/", {"name": "Main", "display_name": "Main line"})
    flow = IvrFlow.objects.get(name="main")
    assert response.status_code == 302 and response.url == f"/console/ivr/{flow.pk}/"


def test_builder_embeds_the_draft_and_queues(client, admin, flow):
    body = as_user(client, admin).get(f"/console/ivr/{flow.pk}/").content.decode()
    start = body.index('<script id="ivr-data" type="application/json">') + len(
        '<script id="ivr-data" type="application/json">'
    )
    data = json.loads(body[start : body.index("</script>", start)])
    assert data["revision"] == 1 and data["queues"] == ["billing", "sales", "support"]
    assert data["graph"]["start"] == "main" and data["strings"]["types"]["menu"] == "Menu"
    assert 'data-testid="ivr-tree"' in body


def test_flow_list_query_count_is_bounded(client, admin, queues, django_assert_max_num_queries):
    for n in range(20):
        ivr_services.ivr_flow_create(actor=admin, name=f"flow{n}")
    as_user(client, admin)
    with django_assert_max_num_queries(10):
        response = client.get("/console/ivr/")
    assert response.content.decode().count("Open builder") == 20


def publish(admin, flow, graph=TWO_LEVEL):
    draft = ivr_services.ivr_draft_open(actor=admin, flow_id=flow.pk)
    draft, _ = ivr_services.ivr_draft_save(actor=admin, flow_id=flow.pk, graph=graph, revision=draft.revision)
    return ivr_services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)


def test_dialplan_download(client, admin, flow):
    version = publish(admin, flow)
    response = as_user(client, admin).get(f"/console/ivr/{flow.pk}/dialplan?download=1")
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == 'attachment; filename="extensions-ivr-main-v1.conf"'
    assert "[ivr-main]" in response.content.decode()
    assert client.get(f"/console/ivr/{flow.pk}/versions/{version.pk}/dialplan").status_code == 200


def test_dialplan_of_an_unpublished_flow_is_404(client, admin, flow):
    assert as_user(client, admin).get(f"/console/ivr/{flow.pk}/dialplan").status_code == 404


def test_rollback_from_the_versions_table(client, admin, flow):
    first = publish(admin, flow)
    publish(admin, flow, {"start": "bye", "nodes": {"bye": {"type": "hangup"}}})
    response = as_user(client, admin).post(f"/console/ivr/{flow.pk}/versions/{first.pk}/rollback")
    assert response.status_code == 302
    flow.refresh_from_db()
    assert flow.published.number == 3 and flow.published.graph == TWO_LEVEL


def test_rollback_needs_post(client, admin, flow):
    first = publish(admin, flow)
    assert (
        as_user(client, admin).get(f"/console/ivr/{flow.pk}/versions/{first.pk}/rollback").status_code == 405
    )


# --- IVR APIs ----------------------------------------------------------------------------------------
def api(flow, action):
    return f"/api/telephony/ivr/flows/{flow.pk}/{action}"


@pytest.mark.parametrize(
    ("method", "action"),
    [("get", "draft"), ("put", "draft"), ("post", "publish"), ("get", "versions"), ("post", "rollback")],
)
@pytest.mark.parametrize("persona", ["agent", "supervisor", "qa"])
def test_api_needs_the_admin_role(client, personas, flow, method, action, persona):
    response = getattr(as_user(client, personas[persona]), method)(
        api(flow, action), {}, content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "action"),
    [("get", "draft"), ("put", "draft"), ("post", "publish"), ("get", "versions"), ("post", "rollback")],
)
def test_api_needs_a_login(client, flow, method, action):
    assert getattr(client, method)(api(flow, action), {}, content_type="application/json").status_code == 401


def test_api_rollback(client, admin, flow):
    first = publish(admin, flow)
    publish(admin, flow, {"start": "bye", "nodes": {"bye": {"type": "hangup"}}})
    response = as_user(client, admin).post(
        api(flow, "rollback"), {"version": first.pk}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["number"] == 3 and response.json()["based_on"] == 1


def test_api_saves_the_draft_and_returns_the_checks(client, admin, flow):
    as_user(client, admin)
    broken = json.loads(json.dumps(TWO_LEVEL))
    broken["nodes"]["sales"]["queue"] = "nowhere"
    response = client.put(
        api(flow, "draft"), {"revision": 1, "graph": broken}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["revision"] == 2 and not body["validation"]["ok"]
    assert body["validation"]["errors"] == [
        {"node": "sales", "field": "queue", "message": "There is no queue nowhere."}
    ]


def test_api_stale_revision_is_409(client, admin, flow):
    as_user(client, admin)
    client.put(api(flow, "draft"), {"revision": 1, "graph": TWO_LEVEL}, content_type="application/json")
    response = client.put(
        api(flow, "draft"), {"revision": 1, "graph": TWO_LEVEL}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_api_publish_of_a_broken_flow_is_400_with_issues(client, admin, flow):
    as_user(client, admin)
    broken = {"start": "main", "nodes": {"main": {"type": "menu", "prompt": "Hi", "options": {"1": "gone"}}}}
    client.put(api(flow, "draft"), {"revision": 1, "graph": broken}, content_type="application/json")
    response = client.post(api(flow, "publish"), {"revision": 2}, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ivr_invalid"
    assert error["fields"]["issues"][0] == {
        "node": "main",
        "field": "options.1",
        "message": "Goes to gone, which does not exist.",
    }


def test_api_publish_and_list_versions(client, admin, flow):
    as_user(client, admin)
    client.put(api(flow, "draft"), {"revision": 1, "graph": TWO_LEVEL}, content_type="application/json")
    response = client.post(
        api(flow, "publish"), {"revision": 2, "note": "first"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["number"] == 1
    versions = client.get(api(flow, "versions")).json()
    assert [(v["number"], v["status"], v["note"], v["published_by"]) for v in versions] == [
        (1, "published", "first", "ada")
    ]
    assert ConfigChange.objects.filter(object_type="ivr_flow", action="published").exists()


def test_api_bad_input_names_the_field(client, admin, flow):
    response = as_user(client, admin).put(
        api(flow, "draft"), {"graph": TWO_LEVEL}, content_type="application/json"
    )
    assert response.status_code == 400 and "revision" in response.json()["error"]["fields"]


def test_api_unknown_flow_is_404(client, admin, db):
    response = as_user(client, admin).get("/api/telephony/ivr/flows/999/draft")
    assert response.status_code == 404
