"""Django's cache objects share one Redis connection pool per process."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings


@pytest.mark.skipif(not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), reason="Redis cache")
def test_cache_objects_of_other_threads_use_the_same_pool_and_connections():
    from django.core.cache import caches

    pools, caches_seen = [], []

    def use_cache() -> None:
        cache = caches["default"]  # a new object in each thread (and, under ASGI, each request)
        cache.set("shared-pool-probe", 1, 5)
        assert cache.get("shared-pool-probe") == 1
        caches_seen.append(cache)
        pools.append(cache._cache._get_connection_pool(write=True))

    def opened(pool) -> int:
        return len(pool._available_connections) + len(pool._in_use_connections)

    use_cache()  # the pool and a connection exist from here on (earlier tests may have made more)
    before = opened(pools[0])
    for _ in range(3):
        thread = threading.Thread(target=use_cache)
        thread.start()
        thread.join()
    assert len({id(cache) for cache in caches_seen}) == 4
    assert len({id(pool) for pool in pools}) == 1
    # Used one after another, the threads reused a pooled connection instead of opening one each.
    assert opened(pools[0]) == before
