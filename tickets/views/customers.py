"""Customer pages: search with keyset pages, a new-customer form, and a customer's card with their
contact history, their changes and an edit form (htmx swaps it in place; without JavaScript it is
a plain form). Thin: forms → services → redirect."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from callcenter.permissions import page_permission_required
from tickets.selectors.customers import (
    customer_card,
    customer_changes,
    customer_get,
    customer_search_page,
    customer_timeline,
    customers_sharing_contact_points,
)
from tickets.services import customer_import
from tickets.services import customers as services
from tickets.views.customer_forms import CustomerForm

PAGE_SIZE = 50


def _show_errors(form: Form, error: ApplicationError) -> None:
    """Put a service's field errors next to the fields; the rest on top of the form."""
    for name, problems in (error.fields or {}).items():
        for problem in problems if isinstance(problems, list) else [problems]:
            form.add_error(name if name in form.fields else None, str(problem))
    if not error.fields:
        form.add_error(None, error.message)


# --- search ----------------------------------------------------------------------------------------
@page_permission_required("tickets.view_customer")
def customer_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    cursor = request.GET.get("cursor", "")
    error = None
    try:
        page = customer_search_page(user=request.user, q=q, cursor=cursor, size=PAGE_SIZE)
    except ApplicationError as problem:  # a stale or edited page link: start again from the top
        error = problem.message
        page = customer_search_page(user=request.user, q=q, size=PAGE_SIZE)

    def link(cursor_value: str | None) -> str | None:
        if not cursor_value:
            return None
        params = {"q": q, "cursor": cursor_value} if q else {"cursor": cursor_value}
        return f"{reverse('tickets:customer_list')}?{urlencode(params)}"

    new_url = reverse("tickets:customer_create")
    if page.search.kind == "phone" and not page.customers:
        new_url += "?" + urlencode({"phone": page.search.number or q})
    context = {
        "q": q,
        "page": page,
        "search": page.search,
        "customers": page.customers,
        "next_url": link(page.next_cursor),
        "previous_url": link(page.previous_cursor),
        "error": error,
        "can_add": request.user.has_perm("tickets.add_customer"),
        "can_import": request.user.has_perm(customer_import.IMPORT_PERMISSION),
        "new_url": new_url,
    }
    return render(request, "tickets/customer_list.html", context, status=400 if error else 200)


# --- create ----------------------------------------------------------------------------------------
@page_permission_required("tickets.add_customer")
def customer_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CustomerForm(request.POST, blank_rows=1)
        if form.is_valid():
            try:
                customer = services.customer_create(actor=request.user, **form.service_kwargs())
            except ForbiddenError:
                raise PermissionDenied from None
            except ApplicationError as error:
                _show_errors(form, error)
            else:
                messages.success(request, _("%(name)s added.") % {"name": customer.name})
                for other in customers_sharing_contact_points(customer=customer):
                    messages.warning(
                        request,
                        _("%(name)s (customer %(id)s) has the same phone number or e-mail: a duplicate?")
                        % {"name": other.name, "id": other.pk},
                    )
                return redirect("tickets:customer_detail", customer_id=customer.pk)
    else:
        phone = request.GET.get("phone", "")[:40]
        initial = {"name": request.GET.get("name", "")[:200], "consent_calls": True}
        initial.update({"consent_email": True, "consent_recording": True})
        form = CustomerForm(initial=initial, phones=[(phone, "")] if phone else [], blank_rows=1)
        form.fields["name"].widget.attrs["autofocus"] = True
    return render(request, "tickets/customer_form.html", {"form": form}, status=400 if form.is_bound else 200)


# --- one customer ----------------------------------------------------------------------------------
def _customer_or_404(customer_id: int) -> Any:
    try:
        return customer_get(customer_id=customer_id)
    except NotFoundError as error:
        raise Http404(error.message) from None


@page_permission_required("tickets.view_customer")
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    can_change = request.user.has_perm("tickets.change_customer")
    form = CustomerForm.for_customer(customer) if can_change else None
    htmx = request.headers.get("HX-Request") == "true"
    conflict = None
    saved = False
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = CustomerForm.for_customer(customer, request.POST)
        status = 400
        if form.is_valid():
            try:
                services.customer_update(
                    customer_id=customer.pk,
                    actor=request.user,
                    version=form.cleaned_data["version"],
                    **form.service_kwargs(),
                )
            except ConflictError as error:
                # Keep what the person typed; show the current values and let them save again on purpose.
                customer = _customer_or_404(customer_id)
                conflict = {
                    "message": error.message,
                    "card": customer_card(customer_id=customer.pk, customer=customer),
                }
                data = request.POST.copy()
                data["version"] = str(customer.version)
                form = CustomerForm.for_customer(customer, data)
                form.is_valid()
                status = 409
            except ForbiddenError:
                raise PermissionDenied from None
            except ApplicationError as error:
                _show_errors(form, error)
            else:
                if not htmx:
                    messages.success(request, _("Saved."))
                    return redirect("tickets:customer_detail", customer_id=customer.pk)
                customer = _customer_or_404(customer_id)
                form = CustomerForm.for_customer(customer)
                saved = True
                status = 200
        if htmx:
            # htmx swaps 2xx answers only: the form with its errors or conflict comes back as 200.
            status = 200
    context = {
        "customer": customer,
        "card": customer_card(customer_id=customer.pk, customer=customer),
        "entries": customer_timeline(customer=customer, limit=200),
        "changes": customer_changes(customer=customer, limit=20),
        "form": form,
        "conflict": conflict,
        "saved": saved,
        "can_change": can_change,
        "can_add_ticket": request.user.has_perm("tickets.add_ticket"),
    }
    return render(request, "tickets/customer_detail.html", context, status=status)


# --- CSV import ------------------------------------------------------------------------------------
class CustomerImportForm(Form):
    file = forms.FileField(label=_("CSV file (UTF-8)"))


@page_permission_required(customer_import.IMPORT_PERMISSION)
def customer_import_page(request: HttpRequest) -> HttpResponse:
    """Upload a customer CSV; the result, or every bad row by line, shows on the same page."""
    result = None
    row_errors: list[dict[str, Any]] = []
    status = 200
    form = CustomerImportForm()
    if request.method == "POST":
        form = CustomerImportForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                customer_import.customer_import_check_size(upload.size)
                result = customer_import.customers_import(actor=request.user, content=upload.read())
            except ForbiddenError:
                raise PermissionDenied from None
            except ApplicationError as error:
                form.add_error(None, error.message)
                row_errors = (error.fields or {}).get("rows", [])
                status = error.status_code
            else:
                status = 200
                form = CustomerImportForm()
    context = {
        "form": form,
        "result": result,
        "row_errors": row_errors,
        "columns": customer_import.COLUMNS,
        "max_rows": settings.CUSTOMER_IMPORT_MAX_ROWS,
        "max_bytes": settings.CUSTOMER_IMPORT_MAX_BYTES,
    }
    return render(request, "tickets/customer_import.html", context, status=status)


urlpatterns = [
    path("customers/", customer_list, name="customer_list"),
    path("customers/new/", customer_create, name="customer_create"),
    path("customers/import/", customer_import_page, name="customer_import"),
    path("customers/<int:customer_id>/", customer_detail, name="customer_detail"),
]
