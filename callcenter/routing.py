"""All websocket routes, in one place."""

from django.urls import path

from callcenter.consumers import PingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
]
