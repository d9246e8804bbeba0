"""Activates the logged-in user's chosen language for each request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserPreferenceMiddleware:
    """Runs after LocaleMiddleware so a user's saved language beats the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            preference = request.session.get("preference")
            if preference is None:
                from callcenter.services import preferences_to_session

                preferences_to_session(request=request, user=request.user)
                preference = request.session["preference"]
            translation.activate(preference["language"])
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
