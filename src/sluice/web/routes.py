"""Every route the application serves, as one flat list.

FastAPI 0.16x keeps an included router as one ``_IncludedRouter`` entry in ``app.routes``
instead of copying its routes; the edge, the access tests and the docs need the real ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi import FastAPI, UploadFile
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from sluice.web.deps import Public, Requires


def all_routes(app: FastAPI) -> list[BaseRoute]:
    return list(_flatten(app.routes))


def _flatten(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flatten(included.routes)
        else:
            yield route


def takes_files(route: APIRoute) -> bool:
    """True when the route's body declares an uploaded file."""
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        for param in dependant.body_params:
            annotation = param.field_info.annotation
            if annotation is UploadFile or UploadFile in getattr(annotation, "__args__", ()):
                return True
        stack.extend(dependant.dependencies)
    return False


def file_routes(app: FastAPI) -> list[APIRoute]:
    return [r for r in all_routes(app) if isinstance(r, APIRoute) and takes_files(r)]


def guards_of(route: APIRoute) -> list[Requires | Public]:
    """The access declarations among a route's dependencies, however deep: one
    ``Requires`` (its permission) or ``Public`` for every route, which a test checks."""
    found: list[Requires | Public] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Requires | Public):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found
