"""Every named route of the site resolves back to itself: no pattern earlier in `config/urls.py` hides a later
one. The learner pages are listed first (resolving walks the patterns in order, and those are the pages served
most), which is safe only while this holds."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

SAMPLES = {"cuid": "c" + "a1" * 12, "str": "en", "int": "7", "slug": "a-slug", "path": "a/b", "uuid": None}


def _named_routes(
    patterns: list[Any], namespace: str = "", outer: tuple[tuple[str, Any], ...] = ()
) -> list[tuple[str, list[tuple[str, Any]]]]:
    """(full name, argument converters) of every named `path()` route, admin and allauth included (routes
    written as regular expressions are left out: they have no converters to make a sample from)."""
    found = []
    for pattern in patterns:
        if not isinstance(pattern.pattern, RoutePattern) and str(pattern.pattern) != "":
            continue
        converters = (*outer, *getattr(pattern.pattern, "converters", {}).items())
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += _named_routes(pattern.url_patterns, inner, converters)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((f"{namespace}{pattern.name}", list(converters)))
    return found


def _sample_kwargs(converters: list[tuple[str, Any]]) -> dict[str, str] | None:
    kwargs = {}
    for name, converter in converters:
        kind = next((k for k, c in _registered().items() if isinstance(converter, type(c))), None)
        sample = SAMPLES.get(kind or "")
        if sample is None:
            return None
        kwargs[name] = sample
    return kwargs


def _registered() -> dict[str, Any]:
    from django.urls.converters import get_converters

    return get_converters()


def test_every_named_route_resolves_to_itself():
    checked = 0
    for name, converters in _named_routes(get_resolver().url_patterns):
        kwargs = _sample_kwargs(converters)
        if kwargs is None:
            continue
        path = reverse(name, kwargs=kwargs)
        assert resolve(path).view_name == name, f"{path} ({name}) resolves to {resolve(path).view_name}"
        checked += 1
    assert checked > 100  # the learner pages, the admin's, allauth's and the project's other routes
