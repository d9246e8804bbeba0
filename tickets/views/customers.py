"""Customers pages."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from callcenter.permissions import page_permission_required
from callcenter.views import placeholder


@page_permission_required("tickets.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    return placeholder(request, title="Customers", issue_hint="")


urlpatterns = [path("customers/", customer_list, name="customer_list")]
