"""Tickets pages."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from callcenter.permissions import page_permission_required
from callcenter.views import placeholder


@page_permission_required("tickets.view_ticket")
def ticket_list(request: HttpRequest) -> HttpResponse:
    return placeholder(request, title="Tickets", issue_hint="")


urlpatterns = [path("tickets/", ticket_list, name="ticket_list")]
