"""Helpers of the QA pages: permission checks for pages several roles open, form error placement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.dateparse import parse_date

from callcenter.errors import ApplicationError, ForbiddenError, NotFoundError
from qa.services.common import COACH, EVALUATE, MANAGE, OWN

STAFF = (EVALUATE, MANAGE)
ANYONE_IN_QA = (EVALUATE, MANAGE, COACH, OWN)


def any_permission_required(*permissions: str) -> Callable:
    """Anonymous users go to the login page; users holding none of `permissions` get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not any(request.user.has_perm(permission) for permission in permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def domain_errors_to_http(call: Callable[[], Any]) -> Any:
    """Run a selector/service: NotFoundError → 404 page, ForbiddenError → 403 page."""
    try:
        return call()
    except NotFoundError as error:
        raise Http404(error.message) from None
    except ForbiddenError as error:
        raise PermissionDenied(error.message) from None


def show_errors(form: Form, error: ApplicationError) -> None:
    """Put a service's field errors next to the form's fields; the rest on top of the form."""
    placed = False
    for name, problems in (error.fields or {}).items():
        if name in form.fields:
            for problem in problems if isinstance(problems, list) else [problems]:
                form.add_error(name, str(problem))
            placed = True
    if not placed:
        form.add_error(None, error.message)


def int_or_none(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def date_or_none(text: str | None) -> date | None:
    try:
        return parse_date((text or "").strip())
    except ValueError:
        return None


def parse_moment(text: str | None) -> float | None:
    """ "1:05", "65" or "65.5" as seconds; None for empty or unreadable text."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if ":" in text:
            minutes, seconds = text.rsplit(":", 1)
            return int(minutes) * 60 + float(seconds)
        return float(text)
    except ValueError:
        return None
