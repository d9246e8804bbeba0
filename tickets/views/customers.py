"""Customers pages: the list and a customer's card with their whole contact history."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path

from callcenter.permissions import page_permission_required
from callcenter.views import placeholder
from tickets.models import Customer
from tickets.selectors.customers import customer_card, customer_timeline


@page_permission_required("tickets.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    return placeholder(request, title="Customers", issue_hint="")


@page_permission_required("tickets.view_customer")
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_id)
    return render(
        request,
        "tickets/customer_detail.html",
        {"card": customer_card(customer_id=customer.pk), "entries": customer_timeline(customer=customer)},
    )


urlpatterns = [
    path("customers/", customer_list, name="customer_list"),
    path("customers/<int:customer_id>/", customer_detail, name="customer_detail"),
]
