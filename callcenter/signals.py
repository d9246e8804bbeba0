"""Signal receivers of the callcenter app; each forwards to a service."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def roles_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    from django.apps import apps

    from callcenter.services import roles_sync

    # post_migrate fires once per app with models, in INSTALLED_APPS order, and each app's
    # permissions are created by its own signal: sync after the last one, when all exist.
    with_models = [config.name for config in apps.get_app_configs() if config.models_module is not None]
    if getattr(sender, "name", None) == with_models[-1]:
        roles_sync()


def preferences_load_on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from callcenter.services import preferences_to_session

    preferences_to_session(request=request, user=user)
