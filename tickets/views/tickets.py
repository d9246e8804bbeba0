"""Ticket pages: the list with saved views, filters and bulk actions; one ticket with its header form,
comments, watchers, merge and timeline; the create form. Thin: forms → services → redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from agents.models import Team
from callcenter.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from callcenter.permissions import page_permission_required
from tickets.models import Customer, Priority, Status
from tickets.selectors import tickets as selectors
from tickets.selectors.tickets import (
    ticket_default_view,
    ticket_get_for_user,
    ticket_next_due,
    ticket_sla_clocks,
    ticket_sla_state,
    ticket_timeline,
    ticket_views_for,
    ticket_watchers,
    ticket_workers,
)
from tickets.services import tickets as services
from tickets.views.ticket_forms import BulkForm, CommentForm, MergeForm, TicketCreateForm, TicketUpdateForm

PAGE_SIZE = 50
LIST_FILTERS = ("status", "priority", "team", "assignee", "q")


def _show_errors(form: Form, error: ApplicationError) -> None:
    """Put a service's field errors next to the fields; the rest on top of the form."""
    placed = False
    for name, problems in (error.fields or {}).items():
        if name in form.fields:
            for problem in problems if isinstance(problems, list) else [problems]:
                form.add_error(name, str(problem))
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _with_sla(tickets: list, now: Any) -> list:
    for ticket in tickets:
        ticket.sla_due = ticket_next_due(ticket)
        ticket.sla_state = ticket_sla_state(ticket, now)
    return tickets


# --- list ------------------------------------------------------------------------------------------
@page_permission_required("tickets.view_ticket")
def ticket_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _bulk(request)
    user = request.user
    views = ticket_views_for(user)
    view = request.GET.get("view") or ticket_default_view(user)
    if view not in dict(views):
        view = ticket_default_view(user)
    filters = {name: request.GET.get(name, "").strip() for name in LIST_FILTERS}
    if filters["status"] not in Status.values:
        filters["status"] = ""
    if not filters["priority"].isdigit():
        filters["priority"] = ""
    queryset = selectors.ticket_list(user=user, view=view, filters={k: v for k, v in filters.items() if v})
    before = request.GET.get("before", "")
    if before.isdigit():
        queryset = queryset.filter(pk__lt=int(before))
    # Keyset page: one row more than shown tells whether an older page exists, without a COUNT.
    rows = list(queryset[: PAGE_SIZE + 1])
    older = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        params = {k: v for k, v in filters.items() if v} | {"view": view, "before": rows[-1].pk}
        older = f"{reverse('tickets:ticket_list')}?{urlencode(params)}"
    here = {k: v for k, v in filters.items() if v} | {"view": view}
    if before.isdigit():
        here["before"] = before
    context = {
        "tickets": _with_sla(rows, timezone.now()),
        "views": views,
        "view": view,
        "filters": filters,
        "older": older,
        "newest": f"{reverse('tickets:ticket_list')}?{urlencode({'view': view})}" if before else None,
        "back": f"{reverse('tickets:ticket_list')}?{urlencode(here)}",
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "teams": Team.objects.all(),
        "workers": ticket_workers(),
        "can_change": user.has_perm("tickets.change_ticket"),
        "can_add": user.has_perm("tickets.add_ticket"),
    }
    return render(request, "tickets/ticket_list.html", context)


def _bulk(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("back", "")
    if not back.startswith(reverse("tickets:ticket_list")):
        back = reverse("tickets:ticket_list")
    form = BulkForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
        return redirect(back)
    action, value = form.cleaned_data["change"]
    if action == "assign" and value == "me":
        value = str(request.user.pk)
    try:
        result = services.tickets_bulk_update(
            ids=form.cleaned_data["ids"], actor=request.user, action=action, value=value or None
        )
    except ForbiddenError as error:
        raise PermissionDenied(error.message) from None
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(back)
    if result.updated:
        messages.success(request, _("Changed %(count)s ticket(s).") % {"count": len(result.updated)})
    for pk, reason in result.skipped.items():
        messages.warning(request, _("T-%(id)s not changed: %(reason)s") % {"id": pk, "reason": reason})
    return redirect(back)


# --- one ticket ------------------------------------------------------------------------------------
def _ticket_or_404(request: HttpRequest, ticket_id: int) -> Any:
    try:
        return ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    except NotFoundError as error:
        raise Http404(error.message) from None


@page_permission_required("tickets.view_ticket")
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    update_form = TicketUpdateForm(initial=TicketUpdateForm.initial_for(ticket))
    comment_form = CommentForm()
    merge_form = MergeForm()
    conflict = None
    status = 200
    if request.method == "POST":
        # Watching oneself is not a change: read-only roles may follow a ticket too.
        if not request.user.has_perm("tickets.change_ticket") and request.POST.get("action") not in (
            "watch",
            "unwatch",
        ):
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "update":
                update_form = TicketUpdateForm(request.POST)
                if update_form.is_valid():
                    data = dict(update_form.cleaned_data)
                    services.ticket_update(
                        ticket_id=ticket.pk, actor=request.user, version=data.pop("version"), **data
                    )
                    messages.success(request, _("Saved."))
                    return redirect("tickets:ticket_detail", ticket_id=ticket.pk)
            elif action == "comment":
                comment_form = CommentForm(request.POST)
                if comment_form.is_valid():
                    services.ticket_comment_add(
                        ticket_id=ticket.pk, actor=request.user, **comment_form.cleaned_data
                    )
                    internal = comment_form.cleaned_data["internal"]
                    messages.success(request, _("Note added.") if internal else _("Reply added."))
                    return redirect(f"{reverse('tickets:ticket_detail', args=[ticket.pk])}#timeline")
            elif action in ("watch", "unwatch"):
                service = services.ticket_watch if action == "watch" else services.ticket_unwatch
                service(ticket_id=ticket.pk, actor=request.user)
                return redirect("tickets:ticket_detail", ticket_id=ticket.pk)
            elif action == "merge":
                merge_form = MergeForm(request.POST)
                if merge_form.is_valid():
                    target = services.ticket_merge(
                        source_id=ticket.pk,
                        target_id=merge_form.cleaned_data["into"],
                        actor=request.user,
                        allow_other_customer=merge_form.cleaned_data["allow_other_customer"],
                    )
                    messages.success(
                        request, _("T-%(source)s is merged into this ticket.") % {"source": ticket.pk}
                    )
                    return redirect("tickets:ticket_detail", ticket_id=target.pk)
            else:
                return HttpResponse(status=400)
            status = 400
        except ConflictError as error:
            # Keep what the person typed; show the current values and let them save again on purpose.
            ticket = _ticket_or_404(request, ticket_id)
            conflict = {"message": error.message, "ticket": ticket}
            data = request.POST.copy()
            data["version"] = str(ticket.version)
            update_form = TicketUpdateForm(data)
            update_form.is_valid()
            status = 409
        except ForbiddenError:
            raise PermissionDenied from None
        except ApplicationError as error:
            form = {"update": update_form, "comment": comment_form, "merge": merge_form}.get(action)
            if form is None:
                raise
            _show_errors(form, error)
            ticket = _ticket_or_404(request, ticket_id)
            status = 400
    context = {
        "ticket": ticket,
        "sla_due": ticket_next_due(ticket),
        "sla_state": ticket_sla_state(ticket),
        "sla_clocks": ticket_sla_clocks(ticket),
        "update_form": update_form,
        "comment_form": comment_form,
        "merge_form": merge_form,
        "conflict": conflict,
        "watchers": ticket_watchers(ticket=ticket),
        "entries": ticket_timeline(ticket=ticket),
        "can_change": request.user.has_perm("tickets.change_ticket"),
    }
    context["watching"] = any(w.pk == request.user.pk for w in context["watchers"])
    return render(request, "tickets/ticket_detail.html", context, status=status)


# --- create ----------------------------------------------------------------------------------------
@page_permission_required("tickets.add_ticket")
def ticket_create(request: HttpRequest) -> HttpResponse:
    customer = None
    if request.method == "POST":
        form = TicketCreateForm(request.POST)
        if form.is_valid():
            try:
                ticket = services.ticket_create(actor=request.user, **form.cleaned_data)
            except ForbiddenError:
                raise PermissionDenied from None
            except ApplicationError as error:
                _show_errors(form, error)
            else:
                messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
                return redirect("tickets:ticket_detail", ticket_id=ticket.pk)
        customer = form.cleaned_data.get("customer") if hasattr(form, "cleaned_data") else None
    else:
        initial: dict[str, Any] = {"call_id": request.GET.get("call_id", "")[:128]}
        customer_id = request.GET.get("customer", "")
        if customer_id.isdigit():
            customer = Customer.objects.filter(pk=int(customer_id)).first()
            if customer is not None:
                initial["customer"] = customer.pk
        if initial["call_id"]:
            initial["channel"] = "phone"
        form = TicketCreateForm(initial=initial)
    return render(
        request,
        "tickets/ticket_form.html",
        {"form": form, "customer": customer},
        status=400 if form.is_bound else 200,
    )


urlpatterns = [
    path("tickets/", ticket_list, name="ticket_list"),
    path("tickets/new/", ticket_create, name="ticket_create"),
    path("tickets/<int:ticket_id>/", ticket_detail, name="ticket_detail"),
]
