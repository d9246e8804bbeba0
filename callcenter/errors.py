"""Domain errors and the one place that turns errors into JSON API responses.

Every API error body has the same shape: {"error": {"code", "message", "fields"?}}.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """An error a person can act on; `message` says what is wrong and what to do."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields
        if code:
            self.code = code


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class ForbiddenError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"


class PayloadTooLargeError(ApplicationError):
    """An upload or body over its size or row limit: 413."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "too_large"


def error_body(code: str, message: str, fields: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _validation_message(detail: Any) -> str:
    if isinstance(detail, dict):
        names = ", ".join(str(name) for name in detail)
        return _("Some fields are not valid: %(names)s.") % {"names": names}
    if isinstance(detail, list) and detail:
        return str(detail[0])
    return str(detail)


# Seconds a client should wait before retrying when the database is unreachable.
RETRY_AFTER_S = 5


def is_database_unreachable(exc: BaseException | None) -> bool:
    """The database could not be reached (connection refused or lost), not a bad query: the request
    may succeed if retried, so callers answer 503 and keep nothing half-done (the transaction is gone)."""
    return isinstance(exc, OperationalError | InterfaceError)


def database_unavailable_body() -> dict[str, Any]:
    return error_body(
        "unavailable", _("The database cannot be reached just now; nothing was stored. Retry shortly.")
    )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: domain errors and DRF's own errors, one JSON shape; an unreachable
    database is a 503 with Retry-After (feeds and clients retry), not a 500."""
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if is_database_unreachable(exc):
        return Response(
            database_unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf_exceptions.APIException):
        return response
    if isinstance(exc, drf_exceptions.ValidationError):
        body = error_body("invalid", _validation_message(exc.detail), exc.detail)
    else:
        codes = exc.get_codes()
        body = error_body(codes if isinstance(codes, str) else exc.default_code, str(exc.detail))
    response.data = body
    return response
