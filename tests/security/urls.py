"""Every URL pattern of the root urlconf as a route string, and a concrete address for it built from
the objects of the security world (tests.security.world)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

# Django admin is one site with its own login and staff check: tried at its index, not per model.
ADMIN_PREFIX = "django-admin/"


@dataclass(frozen=True)
class Route:
    route: str  # the pattern as written, e.g. "customers/<int:customer_id>/"
    pattern: Any  # the innermost pattern object, for its converters

    def address(self, world: Any) -> str:
        """A concrete path: each <name> filled with the world's object of that name (int or str)."""
        path = "/" + self.route
        if path.startswith("/api/^") or "^" in path:  # a re_path: the one here is customers/match
            path = path.replace("^", "").replace("/?$", "/").replace("$", "")
        for name, converter in _converters(self.pattern).items():
            if isinstance(converter, IntConverter):
                key = "call_pk" if name == "call_id" else name
                value = world.ids[key] if key in world.ids else world.ids[f"persona:{name}"]
            else:
                value = world.ids[name]
            for written in (f"<int:{name}>", f"<str:{name}>", f"<{name}>"):
                path = path.replace(written, str(value))
        return path


def _converters(pattern: Any) -> dict[str, Any]:
    return dict(getattr(pattern.pattern, "converters", {}) or {})


def _walk(patterns: list[Any], prefix: str, converters: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for item in patterns:
        if isinstance(item, URLResolver):
            route = prefix + str(item.pattern)
            if route.startswith(ADMIN_PREFIX):
                continue
            yield from _walk(item.url_patterns, route, converters)
        elif isinstance(item, URLPattern):
            yield prefix + str(item.pattern), item


def all_routes() -> list[Route]:
    """Every route of the root urlconf (Django admin once, at its index)."""
    routes = [Route(route, pattern) for route, pattern in _walk(get_resolver().url_patterns, "", {})]
    routes.append(Route(ADMIN_PREFIX, None))
    return routes


def route_address(route: Route, world: Any) -> str:
    if route.pattern is None:
        return "/" + route.route
    return route.address(world)
