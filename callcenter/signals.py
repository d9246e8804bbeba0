"""Signal receivers of the callcenter app; each forwards to a service."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def roles_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    from callcenter.services import roles_sync

    # post_migrate fires once per app; syncing after the last one is enough.
    if getattr(sender, "name", None) == "callcenter":
        roles_sync()


def preferences_load_on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from callcenter.services import preferences_to_session

    preferences_to_session(request=request, user=user)
