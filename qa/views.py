"""QA pages."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from callcenter.permissions import page_permission_required
from callcenter.views import placeholder


@page_permission_required("callcenter.use_qa")
def queue(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        title=_("QA queue"),
        issue_hint=_("Call sampling, scorecards and evaluations are coming in the next release."),
    )
