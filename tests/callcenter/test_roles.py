from django.contrib.auth.models import Group

from callcenter.roles import ROLE_PERMISSIONS, Role
from callcenter.services import roles_sync, user_roles, user_roles_set
from tests.callcenter.factories import UserFactory


def test_migrations_create_the_four_role_groups(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"agent", "supervisor", "qa", "admin"}


def test_each_role_holds_its_page_permission(db):
    expected = {
        "agent": "use_agent_desktop",
        "supervisor": "view_wallboard",
        "qa": "use_qa",
        "admin": "use_admin_console",
    }
    for role, codename in expected.items():
        assert Group.objects.get(name=role).permissions.filter(codename=codename).exists()


def test_agents_hold_no_supervisor_or_admin_permission(db):
    codenames = set(Group.objects.get(name="agent").permissions.values_list("codename", flat=True))
    assert "use_agent_desktop" in codenames
    forbidden = {
        "view_wallboard",
        "view_reports",
        "use_qa",
        "use_admin_console",
        "view_all_tickets",
        "change_user",
    }
    assert not codenames & forbidden
    assert not any(codename.startswith("delete_") for codename in codenames)


def test_roles_sync_is_idempotent_and_expands_app_wildcards(db):
    first = roles_sync()
    second = roles_sync()
    assert first == second
    admin = Group.objects.get(name="admin")
    assert admin.permissions.filter(content_type__app_label="django_celery_beat").count() > 4
    assert set(first) == {role.value for role in ROLE_PERMISSIONS}


def test_roles_sync_removes_a_permission_granted_by_hand(db):
    agent_group = Group.objects.get(name="agent")
    wallboard = Group.objects.get(name="supervisor").permissions.get(codename="view_wallboard")
    agent_group.permissions.add(wallboard)
    roles_sync()
    assert not agent_group.permissions.filter(codename="view_wallboard").exists()


def test_giving_the_admin_role_grants_django_admin_access(db):
    user = UserFactory(roles=["agent"])
    assert not user.is_staff
    user_roles_set(user=user, roles=["admin"])
    user.refresh_from_db()
    assert user.is_staff
    assert user_roles(user) == [Role.ADMIN]


def test_taking_the_admin_role_away_removes_django_admin_access(db):
    user = UserFactory(roles=["admin"])
    user_roles_set(user=user, roles=["supervisor"])
    user.refresh_from_db()
    assert not user.is_staff
    assert user_roles(user) == [Role.SUPERVISOR]


def test_roles_hold_permissions_of_apps_migrated_after_callcenter(db):
    """On a fresh database the groups get the permissions of every app, not only the first ones."""
    from django.contrib.auth.models import Group

    agent_group = Group.objects.get(name="agent")
    assert agent_group.permissions.filter(content_type__app_label="tickets", codename="add_customer").exists()
    admin_group = Group.objects.get(name="admin")
    assert admin_group.permissions.filter(content_type__app_label="telephony").exists()
