"""The recording of a call, for the people allowed to hear it, with Range requests for seeking."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qa.recordings import recording_file, recording_response
from qa.selectors import call_get, recording_access_allowed
from qa.views.common import domain_errors_to_http


@login_required
@require_http_methods(["GET", "HEAD"])
def recording(request: HttpRequest, call_id: int) -> HttpResponse:
    """QA staff, the agent on the call and supervisors of the agent's team; others get 403."""
    call = domain_errors_to_http(lambda: call_get(call_id))
    if not recording_access_allowed(user=request.user, call=call):
        raise PermissionDenied
    found = recording_file(call)
    if not found.available:
        raise Http404(_("This call has no recording that can be played here."))
    return recording_response(request, found)


urlpatterns = [
    path("calls/<int:call_id>/recording", recording, name="recording"),
]
