"""Agent desktop pages."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from callcenter.permissions import page_permission_required
from callcenter.views import placeholder


@page_permission_required("callcenter.use_agent_desktop")
def desktop(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        title=_("Agent desktop"),
        issue_hint=_("Screen pops, call logging, tickets and callbacks are coming in the next release."),
    )
