"""Reads of the shell: a user's home page, navigation, and the state of background parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from callcenter.models import Heartbeat
from callcenter.roles import (
    NAVIGATION,
    ROLE_HOME_ORDER,
    ROLE_HOME_URL_NAME,
    ROLE_LABELS,
    ROLE_PERMISSIONS,
    Role,
)

User = get_user_model()


def user_home_url(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """The home page of the user's first role in ROLE_HOME_ORDER, or None for a user with no role."""
    for role in ROLE_HOME_ORDER:
        if all(user.has_perm(spec) for spec in ROLE_PERMISSIONS[role] if spec.startswith("callcenter.")):
            return reverse(ROLE_HOME_URL_NAME[role])
    return None


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    active: bool


def navigation_for(user: AbstractBaseUser | AnonymousUser, current_path: str) -> list[NavLink]:
    if not user.is_authenticated:
        return []
    links = []
    for item in NAVIGATION:
        if user.has_perm(item.permission):
            url = reverse(item.url_name)
            links.append(NavLink(str(item.label), url, current_path.startswith(url)))
    return links


@dataclass(frozen=True)
class ComponentStatus:
    component: str
    hostname: str
    last_seen: datetime
    age_s: float


def heartbeat_list() -> list[ComponentStatus]:
    now = timezone.now()
    return [
        ComponentStatus(h.component, h.hostname, h.last_seen, (now - h.last_seen).total_seconds())
        for h in Heartbeat.objects.order_by("component")
    ]


def user_list_with_roles() -> QuerySet:
    from django.contrib.auth.models import Group

    role_groups = Group.objects.filter(name__in=[role.value for role in Role]).order_by("name")
    return User.objects.order_by("username").prefetch_related(Prefetch("groups", queryset=role_groups))


def role_counts() -> list[tuple[str, int]]:
    """(translated role label, number of users) for every role, in Role order."""
    from django.contrib.auth.models import Group

    counts = dict(
        Group.objects.filter(name__in=[role.value for role in Role])
        .annotate(n=Count("user", distinct=True))
        .values_list("name", "n")
    )
    return [(str(ROLE_LABELS[role]), counts.get(role.value, 0)) for role in Role]
