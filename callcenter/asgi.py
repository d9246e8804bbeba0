"""ASGI entry point: Django for HTTP, authenticated Channels consumers for websockets."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings")
# Django must be set up before anything imports models (the consumers do).
django.setup(set_prefix=False)

from callcenter.asgi_http import SyncChainASGIHandler  # noqa: E402

# As get_asgi_application(), with the middleware chain run in one thread hop (asgi_http.py).
django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from callcenter.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

if settings.EMBEDDED_BEAT:
    from callcenter.embedded import embedded_beat_start

    embedded_beat_start()
