"""Role checks for pages and APIs; both check permissions that the role groups hold."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission


def page_permission_required(permission: str) -> Callable:
    """Anonymous users go to the login page; logged-in users without the permission get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def api_permission(permission: str) -> type[BasePermission]:
    """A DRF permission class that requires a logged-in user holding `permission`."""

    class HasPermission(BasePermission):
        message = gettext_lazy("Your role does not allow this.")

        def has_permission(self, request: Any, view: Any) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perm(permission))

    HasPermission.__name__ = f"Has_{permission.replace('.', '_')}"
    return HasPermission


def upload_content_length(request: Any) -> int | None:
    """An upload's announced size (the body's Content-Length less a little for the multipart
    envelope), so an oversize upload is refused before it is read; None when not announced."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return max(0, length - 16 * 1024)
