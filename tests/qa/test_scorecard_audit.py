"""Who changed a scorecard and how is in the audit log (scorecards keep versions, not authors)."""

from __future__ import annotations

import copy

import pytest

from callcenter.audit import AuditFilters, audit_entries
from qa.services.scorecards import scorecard_create, scorecard_update
from tests.qa.factories import DEFINITION

pytestmark = pytest.mark.django_db


def _entries():
    return audit_entries(filters=AuditFilters(object_type="scorecard")).entries


def test_creating_and_changing_a_scorecard_is_audited(lead):
    scorecard = scorecard_create(actor=lead, name="Basics", definition=DEFINITION)
    edited = copy.deepcopy(DEFINITION)
    edited["sections"][0]["criteria"][0]["label"] = "Greeted warmly"
    scorecard_update(actor=lead, scorecard_id=scorecard.pk, name="Basics v2", definition=edited)
    updated, created = _entries()
    assert (created.action, created.actor_id, created.object_id) == ("created", lead.pk, scorecard.pk)
    assert created.changes["name"] == [None, "Basics"] and created.changes["version"] == [None, 1]
    assert updated.action == "updated" and updated.object_label == "Basics v2"
    assert updated.changes["name"] == ["Basics", "Basics v2"] and updated.changes["questions"] == [1, 1]


def test_saving_without_a_change_records_nothing(lead):
    scorecard = scorecard_create(actor=lead, name="Basics", definition=DEFINITION)
    scorecard_update(actor=lead, scorecard_id=scorecard.pk, name="Basics", definition=DEFINITION)
    assert [entry.action for entry in _entries()] == ["created"]
