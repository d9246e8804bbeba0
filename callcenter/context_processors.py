from __future__ import annotations

from django.http import HttpRequest

from callcenter.roles import ROLE_LABELS, Role
from callcenter.selectors import navigation_for


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [], "user_role_labels": [], "user_calendar": "gregorian"}
    names = {group.name for group in user.groups.all()}
    return {
        "nav_links": navigation_for(user, request.path),
        "user_role_labels": [str(ROLE_LABELS[role]) for role in Role if role.value in names],
        "user_calendar": request.session.get("preference", {}).get("calendar", "gregorian"),
    }
