"""Pages of the shell: home redirect, preferences, admin console, health, error pages."""

from __future__ import annotations

import sys

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from callcenter import selectors, services
from callcenter.errors import (
    RETRY_AFTER_S,
    ApplicationError,
    database_unavailable_body,
    error_body,
    is_database_unreachable,
)
from callcenter.forms import PreferenceForm, ThrottledAuthenticationForm, UserCreateForm, UserRolesForm
from callcenter.permissions import page_permission_required

User = get_user_model()
CONSOLE = "callcenter.use_admin_console"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    url = selectors.user_home_url(request.user)
    if url:
        return redirect(url)
    return render(request, "callcenter/no_role.html", status=403)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    preference = services.preferences_get(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        services.preferences_update(user=request.user, **form.cleaned_data)
        services.preferences_to_session(request=request, user=request.user)
        messages.success(request, _("Your preferences are saved."))
        return redirect("preferences")
    return render(request, "callcenter/preferences.html", {"form": form})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and compose: is the database reachable? No login, no details."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def placeholder(request: HttpRequest, *, title: str, issue_hint: str) -> HttpResponse:
    return render(request, "callcenter/placeholder.html", {"title": title, "hint": issue_hint})


# --- Admin console ----------------------------------------------------------------------------


@page_permission_required(CONSOLE)
def console_home(request: HttpRequest) -> HttpResponse:
    context = {"components": selectors.heartbeat_list(), "role_counts": selectors.role_counts()}
    return render(request, "callcenter/console_home.html", context)


@page_permission_required(CONSOLE)
def console_users(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(**form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.username})
            return redirect("console:users")
    users = selectors.user_list_with_roles()
    return render(request, "callcenter/console_users.html", {"users": users, "form": form})


@page_permission_required(CONSOLE)
def console_user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    initial = {"roles": [role.value for role in services.user_roles(user)], "is_active": user.is_active}
    form = UserRolesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if user == request.user and not form.cleaned_data["is_active"]:
            form.add_error("is_active", _("You cannot deactivate your own account."))
        else:
            services.user_roles_set(user=user, roles=form.cleaned_data["roles"])
            if user.is_active != form.cleaned_data["is_active"]:
                user.is_active = form.cleaned_data["is_active"]
                user.save(update_fields=["is_active"])
            messages.success(request, _("User %(name)s updated.") % {"name": user.username})
            return redirect("console:users")
    return render(request, "callcenter/console_user_edit.html", {"subject": user, "form": form})


# --- Error pages: JSON under /api/, HTML elsewhere --------------------------------------------
def _error(request: HttpRequest, status: int, code: str, message: str, template: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message), status=status)
    return render(request, template, {"message": message}, status=status)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "forbidden", _("Your role does not allow this."), "403.html")


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "not_found", _("There is nothing at this address."), "404.html")


def error_500(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its except block, so the exception is at hand.
    if is_database_unreachable(sys.exc_info()[1]):
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(database_unavailable_body(), status=503)
        else:
            # No request context: its processors would ask the unreachable database again.
            message = _("The database cannot be reached just now. Try again in a moment.")
            response = HttpResponse(render_to_string("500.html", {"message": message}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    return _error(
        request, 500, "server_error", _("Something went wrong on our side; it is logged."), "500.html"
    )


class ThrottledLoginView(LoginView):
    """Login with rate limiting; a locked-out attempt answers 429 so clients and monitors can tell."""

    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if any(error.code == "locked" for error in form.non_field_errors().as_data()):
            response.status_code = 429
        return response
