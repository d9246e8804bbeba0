"""Tickets pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from callcenter.errors import NotFoundError
from callcenter.permissions import page_permission_required
from callcenter.views import placeholder
from tickets.selectors.tickets import ticket_get_for_user


@page_permission_required("tickets.view_ticket")
def ticket_list(request: HttpRequest) -> HttpResponse:
    return placeholder(request, title="Tickets", issue_hint="")


@page_permission_required("tickets.view_ticket")
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    from django.http import Http404

    try:
        ticket = ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    except NotFoundError as error:
        raise Http404(error.message) from None
    return render(request, "tickets/ticket_detail.html", {"ticket": ticket})


urlpatterns = [
    path("tickets/", ticket_list, name="ticket_list"),
    path("tickets/<int:ticket_id>/", ticket_detail, name="ticket_detail"),
]
