"""Django's ASGI handler with the middleware chain run synchronously, in one thread hop a request.

Every page and API here is a sync view behind sync middleware. Django's own ASGIHandler builds the
chain for async and, where a sync-only middleware meets an async-capable one, converts back and
forth: each conversion, each async-capable middleware's process_request/process_response and the
view itself became a hop between the event loop and a worker thread (py-spy under the desk
benchmark: the hops were about a sixth of a worker's time). Here the whole chain — middleware,
view, response — is Django's sync path (as under WSGI), called once from the event loop; async
views still work, through async_to_sync, as the sync handler does for them.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super(ASGIHandler, self).__init__()
        self.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # thread_sensitive: the same thread the request's other sync work runs in (as Django's
        # own adapter for sync views does), so database connections stay with it.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
