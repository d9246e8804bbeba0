"""IVR flows: drafts with revisions, publishing only valid flows, versions, rollback, history, dialplan."""

from __future__ import annotations

import copy

import pytest

from callcenter.errors import ApplicationError, ConflictError
from telephony.ivr import services
from telephony.ivr.selectors import ivr_dialplan_text, ivr_published, ivr_versions
from telephony.models import ConfigChange, IvrVersion
from tests.telephony.factories import QueueFactory
from tests.telephony.ivr_samples import TWO_LEVEL


@pytest.fixture
def queues(db):
    return [QueueFactory(name=name) for name in ("sales", "support", "billing")]


@pytest.fixture
def flow(admin, queues):
    return services.ivr_flow_create(actor=admin, name="main", display_name="Main line")


def save(admin, flow, graph):
    draft = services.ivr_draft_open(actor=admin, flow_id=flow.pk)
    return services.ivr_draft_save(actor=admin, flow_id=flow.pk, graph=graph, revision=draft.revision)


def test_new_flow_has_a_draft_and_is_the_default(flow):
    assert flow.is_default
    assert flow.versions.get().status == "draft"
    assert flow.published is None


def test_saving_bumps_the_revision_and_returns_the_validation(admin, flow):
    draft, result = save(admin, flow, TWO_LEVEL)
    assert draft.revision == 2 and result.ok
    assert draft.graph == TWO_LEVEL


def test_a_draft_may_be_invalid_but_says_so(admin, flow):
    broken = copy.deepcopy(TWO_LEVEL)
    broken["nodes"]["billing"]["queue"] = "nowhere"
    draft, result = save(admin, flow, broken)
    assert draft.graph == broken
    assert [issue.node for issue in result.errors] == ["billing"]


def test_saving_a_stale_revision_is_a_conflict_and_keeps_the_other_change(admin, flow):
    draft = services.ivr_draft_open(actor=admin, flow_id=flow.pk)
    services.ivr_draft_save(actor=admin, flow_id=flow.pk, graph=TWO_LEVEL, revision=draft.revision)
    with pytest.raises(ConflictError, match="Reload it"):
        services.ivr_draft_save(actor=admin, flow_id=flow.pk, graph={"nodes": {}}, revision=draft.revision)
    assert IvrVersion.objects.get(flow=flow, status="draft").graph == TWO_LEVEL


def test_not_a_graph_is_refused(admin, flow):
    with pytest.raises(ApplicationError, match="must be an object with nodes"):
        services.ivr_draft_save(actor=admin, flow_id=flow.pk, graph=["x"], revision=1)


def test_publishing_an_invalid_flow_lists_the_problems_and_changes_nothing(admin, flow):
    broken = copy.deepcopy(TWO_LEVEL)
    broken["nodes"]["main"]["options"]["3"] = "lost"
    draft, _result = save(admin, flow, broken)
    with pytest.raises(services.IvrInvalid) as caught:
        services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)
    assert caught.value.fields["issues"] == [
        {"node": "main", "field": "options.3", "message": "Goes to lost, which does not exist."}
    ]
    flow.refresh_from_db()
    assert flow.published is None
    assert IvrVersion.objects.get(flow=flow).status == "draft"


def test_publishing_numbers_versions_and_retires_the_previous_one(admin, flow):
    draft, _ = save(admin, flow, TWO_LEVEL)
    first = services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision, note="launch")
    changed = copy.deepcopy(TWO_LEVEL)
    changed["nodes"]["main"]["prompt"] = "Welcome back."
    draft, _ = save(admin, flow, changed)
    second = services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)
    first.refresh_from_db()
    assert (first.number, first.status) == (1, "retired")
    assert (second.number, second.status) == (2, "published")
    assert ivr_published().graph == changed
    assert [v.number for v in ivr_versions(flow=flow)] == [2, 1]


def test_new_draft_starts_from_the_published_version(admin, flow):
    draft, _ = save(admin, flow, TWO_LEVEL)
    services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)
    assert services.ivr_draft_open(actor=admin, flow_id=flow.pk).graph == TWO_LEVEL


def test_publishing_a_stale_draft_is_a_conflict(admin, flow):
    draft, _ = save(admin, flow, TWO_LEVEL)
    with pytest.raises(ConflictError):
        services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision - 1)


def test_rollback_publishes_a_copy_of_the_old_version(admin, flow):
    draft, _ = save(admin, flow, TWO_LEVEL)
    first = services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)
    changed = copy.deepcopy(TWO_LEVEL)
    changed["nodes"]["main"]["prompt"] = "Changed."
    draft, _ = save(admin, flow, changed)
    services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)
    third = services.ivr_rollback(actor=admin, flow_id=flow.pk, version_id=first.pk)
    assert third.number == 3 and third.based_on_id == first.pk
    assert ivr_published().graph == TWO_LEVEL
    assert third.note == "Rollback to version 1"


def test_rollback_to_a_version_that_names_a_gone_queue_is_refused(admin, flow, queues):
    draft, _ = save(admin, flow, TWO_LEVEL)
    first = services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)
    draft, _ = save(admin, flow, {"start": "bye", "nodes": {"bye": {"type": "hangup"}}})
    services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)
    queues[2].delete()  # billing
    with pytest.raises(services.IvrInvalid):
        services.ivr_rollback(actor=admin, flow_id=flow.pk, version_id=first.pk)


def test_every_change_is_in_the_history(admin, flow):
    draft, _ = save(admin, flow, TWO_LEVEL)
    services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision, note="go live")
    history = list(ConfigChange.objects.filter(object_type="ivr_flow", object_id=flow.pk).order_by("id"))
    assert [c.action for c in history] == ["created", "draft_saved", "published"]
    assert history[-1].actor == admin and history[-1].note == "go live"
    assert history[-1].changes == {"version": [None, 1]}


def test_only_one_default_flow(admin, flow):
    other = services.ivr_flow_create(actor=admin, name="vip", is_default=True)
    flow.refresh_from_db()
    assert other.is_default and not flow.is_default
    services.ivr_flow_make_default(actor=admin, flow_id=flow.pk)
    other.refresh_from_db()
    assert not other.is_default


def test_duplicate_flow_name_is_refused(admin, flow):
    with pytest.raises(ApplicationError, match="already"):
        services.ivr_flow_create(actor=admin, name="main")


def test_dialplan_of_a_published_version(admin, flow):
    draft, _ = save(admin, flow, TWO_LEVEL)
    version = services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)
    text = ivr_dialplan_text(version=version)
    assert text.startswith("; IVR flow main (Main line)\n; version 1, published ")
    assert "by ada" in text and "[ivr-main-support-menu]" in text and "Queue(billing)" in text
