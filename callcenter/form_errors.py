"""Service errors shown on the form that caused them."""

from __future__ import annotations

from django.forms import Form

from callcenter.errors import ApplicationError


def show_service_errors(form: Form, error: ApplicationError) -> None:
    """Put a service's field errors next to the fields; the rest (or the message) on top of the form."""
    placed = False
    for name, problems in (error.fields or {}).items():
        if name in form.fields:
            for problem in problems if isinstance(problems, list) else [problems]:
                form.add_error(name, str(problem))
            placed = True
    if not placed:
        form.add_error(None, error.message)
