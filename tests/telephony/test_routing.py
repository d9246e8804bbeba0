"""Queue routing settings: validation (overflow chains), change history, and the routing map."""

from __future__ import annotations

import pytest

from callcenter.errors import ApplicationError
from telephony.models import ConfigChange
from telephony.routing import queue_create, queue_routing_map, queue_update
from tests.telephony.factories import QueueFactory


def test_update_records_what_changed(admin):
    queue = QueueFactory(name="sales")
    queue_update(actor=admin, queue_id=queue.pk, sl_target_percent=90, priority=8)
    change = ConfigChange.objects.get(object_type="queue", object_id=queue.pk)
    assert change.action == "updated" and change.actor == admin
    assert change.changes == {"sl_target_percent": [80, 90], "priority": [5, 8]}


def test_update_without_a_change_records_nothing(admin):
    queue = QueueFactory(name="sales")
    queue_update(actor=admin, queue_id=queue.pk, priority=5)
    assert not ConfigChange.objects.exists()


def test_overflow_needs_a_maximum_wait(admin):
    sales, support = QueueFactory(name="sales"), QueueFactory(name="support")
    with pytest.raises(ApplicationError) as caught:
        queue_update(actor=admin, queue_id=sales.pk, overflow_queue=support)
    assert "max_wait_s" in caught.value.fields


def test_overflow_into_itself_is_refused(admin):
    sales = QueueFactory(name="sales")
    with pytest.raises(ApplicationError) as caught:
        queue_update(actor=admin, queue_id=sales.pk, overflow_queue=sales, max_wait_s=60)
    assert caught.value.fields == {"overflow_queue": ["A queue cannot overflow into itself."]}


def test_overflow_loop_is_refused(admin):
    a, b, c = (QueueFactory(name=name) for name in "abc")
    queue_update(actor=admin, queue_id=a.pk, overflow_queue=b, max_wait_s=60)
    queue_update(actor=admin, queue_id=b.pk, overflow_queue=c, max_wait_s=60)
    with pytest.raises(ApplicationError) as caught:
        queue_update(actor=admin, queue_id=c.pk, overflow_queue=a, max_wait_s=60)
    assert "round forever" in caught.value.fields["overflow_queue"][0]
    c.refresh_from_db()
    assert c.overflow_queue is None


def test_priority_is_one_to_nine(admin):
    with pytest.raises(ApplicationError) as caught:
        queue_create(actor=admin, name="vip", priority=10)
    assert "priority" in caught.value.fields


def test_routing_map(admin):
    support = QueueFactory(name="support")
    queue_create(actor=admin, name="sales", max_wait_s=90, overflow_queue=support, priority=7)
    routing = queue_routing_map()
    assert (routing["sales"].max_wait_s, routing["sales"].overflow, routing["sales"].priority) == (
        90,
        "support",
        7,
    )
    assert routing["support"].overflow is None
