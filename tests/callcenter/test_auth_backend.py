"""The one-query permission backend gives ModelBackend's answers."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from callcenter.auth_backends import ModelBackendOneQuery
from tests.callcenter.factories import UserFactory


def fresh(user):
    """The user as a new request loads it: no permission caches yet."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize("roles", [[], ["agent"], ["supervisor"], ["qa", "agent"], ["admin"]])
def test_it_gives_model_backends_permissions(db, roles):
    user = UserFactory(roles=roles)
    user.user_permissions.add(Permission.objects.get(codename="view_all_tickets"))
    ours, django = ModelBackendOneQuery(), ModelBackend()
    mine, theirs = fresh(user), fresh(user)
    assert ours.get_all_permissions(mine) == django.get_all_permissions(theirs)
    assert (
        ours.get_user_permissions(mine) == django.get_user_permissions(theirs) == {"tickets.view_all_tickets"}
    )
    assert ours.get_group_permissions(mine) == django.get_group_permissions(theirs)


def test_it_reads_them_in_one_query(agent, django_assert_num_queries):
    user = fresh(agent)
    with django_assert_num_queries(1):
        assert user.has_perm("tickets.view_ticket")
        assert not user.has_perm("tickets.view_all_tickets")
        assert user.has_perm("callcenter.use_agent_desktop")


def test_a_role_taken_away_counts_from_the_next_request(agent):
    from callcenter.services import user_roles_set

    assert fresh(agent).has_perm("tickets.view_ticket")
    user_roles_set(user=agent, roles=[])
    assert not fresh(agent).has_perm("tickets.view_ticket")


def test_inactive_users_have_none_and_superusers_all(db):
    inactive = UserFactory(roles=["supervisor"], is_active=False)
    assert fresh(inactive).get_all_permissions() == set()
    root = UserFactory(is_superuser=True)
    assert len(ModelBackendOneQuery().get_all_permissions(fresh(root))) == Permission.objects.count()
