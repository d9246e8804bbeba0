"""Writes of the shell: role groups, user roles, preferences, heartbeats, demo users."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError
from callcenter.models import Heartbeat, UserPreference
from callcenter.roles import ROLE_PERMISSIONS, Role

logger = logging.getLogger(__name__)

User = get_user_model()

DEMO_PASSWORD = "demo"  # noqa: S105 - printed on purpose: these are the demo logins
DEMO_USERS: tuple[tuple[str, Role, str, str], ...] = (
    ("admin", Role.ADMIN, "Ada", "Admin"),
    ("supervisor", Role.SUPERVISOR, "Sam", "Supervisor"),
    ("qa", Role.QA, "Quinn", "Analyst"),
    ("agent1", Role.AGENT, "Alice", "Agent"),
    ("agent2", Role.AGENT, "Bob", "Agent"),
    ("agent3", Role.AGENT, "Carol", "Agent"),
)


def _permissions_for(specs: Iterable[str]) -> list[Permission]:
    query = Q(pk__in=[])
    for spec in specs:
        app_label, codename = spec.split(".", 1)
        if codename == "*":
            query |= Q(content_type__app_label=app_label)
        else:
            query |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(query))


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Make each role's group exist and hold exactly the permissions of ROLE_PERMISSIONS.

    Returns the number of permissions per role. Safe to run any number of times.
    """
    counts: dict[str, int] = {}
    for role, specs in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        permissions = _permissions_for(specs)
        group.permissions.set(permissions)
        counts[role.value] = len(permissions)
    return counts


def user_roles(user: AbstractUser) -> list[Role]:
    names = {group.name for group in user.groups.all()}
    return [role for role in Role if role.value in names]


@transaction.atomic
def user_roles_set(*, user: AbstractUser, roles: Iterable[Role | str]) -> AbstractUser:
    """Give `user` exactly `roles`; admins also get Django admin access (is_staff)."""
    wanted = {Role(role) for role in roles}
    groups = list(Group.objects.filter(name__in=[role.value for role in wanted]))
    if len(groups) != len(wanted):
        raise ApplicationError(_("Role groups are missing; run `python manage.py migrate`."))
    other_groups = user.groups.exclude(name__in=[role.value for role in Role])
    user.groups.set([*groups, *other_groups])
    staff = Role.ADMIN in wanted or user.is_superuser
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    return user


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    roles: Iterable[Role | str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> AbstractUser:
    """Create an active user with `roles`; raise ApplicationError if the username is taken."""
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(_("The username “%(name)s” is taken.") % {"name": username})
    user = User.objects.create_user(
        username=username, password=password, first_name=first_name, last_name=last_name, email=email
    )
    UserPreference.objects.create(user=user)
    return user_roles_set(user=user, roles=roles)


def preferences_get(user: AbstractUser) -> UserPreference:
    preference, _created = UserPreference.objects.get_or_create(user=user)
    return preference


def preferences_to_session(*, request: HttpRequest, user: AbstractUser) -> None:
    """Copy the user's language and calendar into the session so pages read them without a query."""
    preference = preferences_get(user)
    request.session["preference"] = {"language": preference.language, "calendar": preference.calendar}


def preferences_update(
    *, user: AbstractUser, language: str | None = None, calendar: str | None = None
) -> UserPreference:
    preference = preferences_get(user)
    if language is not None:
        preference.language = language
    if calendar is not None:
        preference.calendar = calendar
    preference.full_clean()
    preference.save()
    return preference


def heartbeat_record(*, component: str, hostname: str | None = None) -> Heartbeat:
    """Upsert the component's last sign of life; returns the row."""
    heartbeat, _created = Heartbeat.objects.update_or_create(
        component=component,
        defaults={"hostname": hostname or socket.gethostname(), "last_seen": timezone.now()},
    )
    return heartbeat


def demo_users_seed() -> list[AbstractUser]:
    """Create the demo users of DEMO_USERS (password `demo`), leaving existing ones as they are."""
    users = []
    for username, role, first_name, last_name in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                username=username,
                password=DEMO_PASSWORD,
                roles=[role],
                first_name=first_name,
                last_name=last_name,
                email=f"{username}@example.com",
            )
        elif not user.groups.filter(name=role.value).exists():
            user_roles_set(user=user, roles=[*user_roles(user), role])
        users.append(user)
    return users
