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
        "qa.view_own_evaluations",
        # Their own schedule and time-off requests (the pages show only their own).
        "agents.view_scheduledshift",
        "agents.add_timeoffrequest",
    ),
    # Supervisors work every team's tickets and configure SLA policies, dispositions and scripts;
    # they coach, plan the workforce (forecast, staffing, shift templates, schedules), approve time
    # off and watch adherence.
    Role.SUPERVISOR: (
        "callcenter.view_wallboard",
        "callcenter.view_reports",
        # They read the audit log (who changed which ticket, schedule, evaluation…); only admins
        # configure the call center.
        "callcenter.view_audit_log",
        "tickets.*",
        "qa.coach_agents",
        "agents.plan_workforce",
        "agents.approve_time_off",
        "agents.view_adherence",
        "agents.view_shifttemplate",
        "agents.add_shifttemplate",
        "agents.change_shifttemplate",
        "agents.view_scheduledshift",
        "agents.add_scheduledshift",
        "agents.change_scheduledshift",
        "agents.delete_scheduledshift",
        "agents.view_timeoffrequest",
        "agents.change_timeoffrequest",
    ),
    Role.QA: (
        "callcenter.use_qa",
        "tickets.view_customer",
        "tickets.view_ticket",
        "tickets.view_all_tickets",
        "tickets.view_calllog",
        "qa.evaluate_calls",
    ),
    Role.ADMIN: (
        "callcenter.use_admin_console",
        "callcenter.view_audit_log",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "django_celery_beat.*",
        "telephony.*",
        "agents.*",
        "tickets.*",
        "qa.*",
        "kpi.*",
    ),
}

# A QA lead is a member of the qa role who is also in this group (flagged on /qa/settings/ or in
# Django admin): it adds building scorecards, resolving disputes, calibration and reassigning work.
# A group rather than a fifth role, so the role list, homes and navigation stay as they are.
QA_LEAD_GROUP = "qa_lead"
QA_LEAD_PERMISSIONS: tuple[str, ...] = ("callcenter.use_qa", "qa.evaluate_calls", "qa.manage_qa")

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
    NavItem(_("My schedule"), "wfm:my_schedule", "callcenter.use_agent_desktop"),
    NavItem(_("Customers"), "tickets:customer_list", "tickets.view_customer"),
    NavItem(_("Tickets"), "tickets:ticket_list", "tickets.view_ticket"),
    NavItem(_("Wallboard"), "kpi:wallboard", "callcenter.view_wallboard"),
    NavItem(_("Reports"), "kpi:reports", "callcenter.view_reports"),
    NavItem(_("Workforce"), "wfm:home", "agents.plan_workforce"),
    NavItem(_("QA queue"), "qa:queue", "qa.evaluate_calls"),
    NavItem(_("Evaluations"), "qa:evaluation_list", "qa.view_own_evaluations"),
    NavItem(_("Coaching"), "qa:coaching_list", "qa.coach_agents"),
    NavItem(_("Admin console"), "console:home", "callcenter.use_admin_console"),
    NavItem(_("Audit log"), "console:audit", "callcenter.view_audit_log"),
)
