"""Supervisor pages: live wallboard and KPI reports."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from callcenter.permissions import page_permission_required
from callcenter.views import placeholder


@page_permission_required("callcenter.view_wallboard")
def wallboard(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        title=_("Wallboard"),
        issue_hint=_("Live queue and agent figures are coming in the next release."),
    )


@page_permission_required("callcenter.view_reports")
def reports(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        title=_("Reports"),
        issue_hint=_("KPI reports with charts and exports are coming in the next release."),
    )
