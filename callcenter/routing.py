"""All websocket routes, in one place."""

from django.urls import path

from agents.consumers import DesktopConsumer
from callcenter.consumers import AlertsConsumer, PingConsumer
from kpi.consumers import WallboardConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/wallboard/", WallboardConsumer.as_asgi()),
    path("ws/desktop/", DesktopConsumer.as_asgi()),
    path("ws/alerts/", AlertsConsumer.as_asgi()),
]
