"""One Redis connection pool per process for Django's cache, shared by every cache object.

Django makes a cache object per thread and, under ASGI, per request (its cache handler is
context-local), and each object opened its own pool: a new TCP connection, handshake and health
check to Redis on every request that touched the cache (sessions, login throttling). Sharing the
pool keeps the connections open.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import redis

_pools: dict[tuple, redis.ConnectionPool] = {}
_lock = threading.Lock()


class SharedConnectionPool(redis.ConnectionPool):
    """`from_url` hands out the process's pool for that URL and options (a new one after a fork)."""

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> redis.ConnectionPool:
        key = (os.getpid(), url, tuple(sorted((name, repr(value)) for name, value in kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = super().from_url(url, **kwargs)
            return pool
