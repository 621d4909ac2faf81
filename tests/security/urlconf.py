"""Every URL pattern of the project's URL conf, read from `get_resolver()`, and concrete URLs for them.

Nothing here lists URLs by hand: a pattern added to any URL conf (an API route, an admin page, an ops
page) shows up in `url_routes()` and so in the security tests. `concrete_path()` fills each pattern's
arguments with values of real rows and checks that the URL it built resolves back to the same view.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.views import APIView

API_PREFIX = "api/v1/oms/"
_ROUTE_ARG = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>(?:[^()\\]|\\.)*)\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern, with the chain of patterns (include prefixes first) that leads to it."""

    parts: tuple[Any, ...]
    name: str
    callback: Callable

    @property
    def pattern(self) -> str:
        return "".join(str(part) for part in self.parts)

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "cls", None)

    @property
    def is_drf(self) -> bool:
        return isinstance(self.view_class, type) and issubclass(self.view_class, APIView)

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith(API_PREFIX)

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:")

    def offered_methods(self) -> set[str]:
        """HTTP methods (lowercase) the view answers other than with 405."""
        actions = getattr(self.callback, "actions", None)
        cls = self.view_class
        if actions:  # a DRF viewset route: method -> action, within the viewset's http_method_names
            return set(actions) & set(getattr(cls, "http_method_names", actions))
        if cls is not None:
            return {m for m in cls.http_method_names if hasattr(cls, m) and m not in ("options", "head")}
        return {"get", "post"}

    def __str__(self) -> str:
        return f"{self.pattern} [{self.name or 'unnamed'}]"


def _walk(resolver: URLResolver, parts: tuple, namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            child_ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, (*parts, entry.pattern), child_ns)
        elif isinstance(entry, URLPattern):
            yield Route(
                parts=(*parts, entry.pattern), name=f"{namespace}{entry.name or ''}", callback=entry.callback
            )


def url_routes() -> list[Route]:
    """Every URL pattern of the root URL conf, recursively."""
    return list(_walk(get_resolver(), (), ""))


def _view_model(cls: type | None) -> type[models.Model] | None:
    queryset = getattr(cls, "queryset", None)
    if queryset is not None:
        return queryset.model
    meta = getattr(getattr(cls, "serializer_class", None), "Meta", None)
    return getattr(meta, "model", None)


def route_model(route: Route, routes: list[Route], argument: str = "pk") -> type[models.Model] | None:
    """The model whose rows the route's id argument names, found from the view itself.

    A viewset's queryset (or serializer) model; a model admin's model; for `<name>_id` the model
    called `name`; otherwise the model of the viewset registered under the path segment just before
    the argument (`packages/<int:pk>/command/` -> the packages viewset).
    """
    if argument.endswith("_id") and argument not in ("object_id", "content_type_id"):
        wanted = argument[: -len("_id")].replace("_", "")
        found = [model for model in apps.get_models() if model._meta.model_name == wanted]
        if len(found) == 1:
            return found[0]
    model = _view_model(route.view_class)
    if model is not None:
        return model
    for holder in (route.callback, getattr(route.callback, "__wrapped__", None)):
        model_admin = getattr(holder, "model_admin", None) or getattr(holder, "__self__", None)
        model = getattr(model_admin, "model", None)
        if isinstance(model, type) and issubclass(model, models.Model):
            return model
    segment = re.search(r"([\w-]+)/[<(]", route.pattern)
    if segment:
        for other in routes:
            other_model = _view_model(other.view_class)
            if other_model is not None and re.search(
                rf"(^|/|\^){re.escape(segment.group(1))}/", other.pattern
            ):
                return other_model
    return None


def _first_row_pk(model: type[models.Model]) -> str:
    """The pk of a real row; rows.py makes one of every model served today.

    A model added later without a row in rows.py gets an id no row has. That keeps the refusal tests
    sound: a refused request answers 401 (or the login redirect) whatever the id, and any other
    answer, a 404 included, fails them.
    """
    pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return str(pk) if pk is not None else "987654"


def argument_value(name: str, route: Route, routes: list[Route]) -> str:
    """A value for a URL argument: a real row's id for ids, a harmless value for the rest."""
    if name == "format":
        return "json"
    if name == "url":  # the admin's catch-all
        return "no-such-admin-page/"
    if name == "content_type_id":
        return str(ContentType.objects.get_for_model(ContentType).pk)
    if name in ("pk", "id", "object_id") or name.endswith("_id"):
        if "content_type_id" in route.pattern:  # admin "view on site": an object of that type
            return _first_row_pk(ContentType)
        model = route_model(route, routes, name)
        if model is None:
            raise AssertionError(f"Cannot tell which model {route} names: teach tests/security/urlconf.py.")
        return _first_row_pk(model)
    raise AssertionError(f"Unknown URL argument {name!r} in {route}: teach tests/security/urlconf.py.")


def _fill_route(text: str, part: RoutePattern, value: Callable[[str], str]) -> str:
    def one(match: re.Match) -> str:
        filled = value(match.group("name"))
        converter = part.converters.get(match.group("name"))
        regex = getattr(converter, "regex", None)
        if regex and not re.fullmatch(regex, filled) and re.fullmatch(regex, f".{filled}"):
            filled = f".{filled}"  # DRF's format suffix converter takes the dot too
        return filled

    return _ROUTE_ARG.sub(one, text)


def _fill_regex(text: str, value: Callable[[str], str]) -> str:
    def one(match: re.Match) -> str:
        body = match.group("body")
        if re.fullmatch(r"[\w|-]+", body) and "|" in body:  # a choice, e.g. (?P<app_label>auth|authtoken)
            return body.split("|")[0]
        return value(match.group("name"))

    filled = _REGEX_GROUP.sub(one, text)
    filled = filled.replace("/?", "/").replace("\\.", ".").lstrip("^").rstrip("$")
    return filled


def concrete_path(route: Route, routes: list[Route]) -> str:
    """A URL path for the route, with real ids; it is checked to resolve to the route's view."""

    def value(name: str) -> str:
        return argument_value(name, route, routes)

    pieces = []
    for part in route.parts:
        text = str(part)
        if isinstance(part, RoutePattern):
            pieces.append(_fill_route(text, part, value))
        elif isinstance(part, RegexPattern):
            pieces.append(_fill_regex(text, value))
        else:  # pragma: no cover - Django has only these two
            raise AssertionError(f"Unknown pattern type {type(part).__name__} in {route}")
    path = "/" + "".join(pieces)
    match = resolve(path)
    assert match.func is route.callback or getattr(match.func, "cls", object()) is route.view_class, (
        f"{path} built for {route} resolves to {match.view_name} instead"
    )
    return path
