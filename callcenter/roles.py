"""The four roles, the permissions each role's group holds, each role's home page and navigation.

Roles are Django groups; views and APIs check permissions, never group names, so a superuser or
a custom group with the same permission works too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    QA = "qa"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, Promise] = {
    Role.AGENT: _("Agent"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.QA: _("QA analyst"),
    Role.ADMIN: _("Administrator"),
}

# "app_label.codename", or "app_label.*" for every permission of an app.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.AGENT: (
        "callcenter.use_agent_desktop",
        "tickets.view_customer",
        "tickets.add_customer",
        "tickets.change_customer",
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.change_ticket",
        "tickets.view_callback",
        "tickets.add_callback",
        "tickets.change_callback",
        "tickets.view_calllog",
        "tickets.add_calllog",
        "tickets.change_calllog",
    ),
    # Supervisors work every team's tickets and configure SLA policies, dispositions and scripts.
    Role.SUPERVISOR: ("callcenter.view_wallboard", "callcenter.view_reports", "tickets.*"),
    Role.QA: (
        "callcenter.use_qa",
        "tickets.view_customer",
        "tickets.view_ticket",
        "tickets.view_all_tickets",
        "tickets.view_calllog",
    ),
    Role.ADMIN: (
        "callcenter.use_admin_console",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "django_celery_beat.*",
        "telephony.*",
        "agents.*",
        "tickets.*",
        "kpi.*",
    ),
}

# When a user holds several roles, the first in this order decides the home page.
ROLE_HOME_ORDER: tuple[Role, ...] = (Role.ADMIN, Role.SUPERVISOR, Role.QA, Role.AGENT)
ROLE_HOME_URL_NAME: dict[Role, str] = {
    Role.ADMIN: "console:home",
    Role.SUPERVISOR: "kpi:wallboard",
    Role.QA: "qa:queue",
    Role.AGENT: "agents:desktop",
}


@dataclass(frozen=True)
class NavItem:
    label: Promise
    url_name: str
    permission: str


NAVIGATION: tuple[NavItem, ...] = (
    NavItem(_("Desktop"), "agents:desktop", "callcenter.use_agent_desktop"),
    NavItem(_("Customers"), "tickets:customer_list", "tickets.view_customer"),
    NavItem(_("Tickets"), "tickets:ticket_list", "tickets.view_ticket"),
    NavItem(_("Wallboard"), "kpi:wallboard", "callcenter.view_wallboard"),
    NavItem(_("Reports"), "kpi:reports", "callcenter.view_reports"),
    NavItem(_("QA queue"), "qa:queue", "callcenter.use_qa"),
    NavItem(_("Admin console"), "console:home", "callcenter.use_admin_console"),
)
