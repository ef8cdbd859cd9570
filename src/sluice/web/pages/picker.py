"""The one route every picker asks: ``/console/pick/{kind}?q=…``, answered as an htmx fragment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from sluice.core.errors import NotFound
from sluice.core.paging import MAX_QUERY_LENGTH
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.web import picker
from sluice.web.deps import DbSession, Requires, locale_of
from sluice.web.templating import render

router = APIRouter(tags=["console"])
Member = Annotated[Principal, Depends(Requires(Permission.CONSOLE_VIEW))]


@router.get("/console/pick/{kind}", response_class=HTMLResponse)
def pick(
    request: Request,
    kind: str,
    principal: Member,
    session: DbSession,
    q: Annotated[str, Query(max_length=MAX_QUERY_LENGTH)] = "",
) -> HTMLResponse:
    found = picker.source(kind)
    # A kind this caller may not pick from does not exist for it.
    if found is None or not principal.has(found.permission):
        raise NotFound()
    result = found.search(session, principal, q.strip(), picker.PICK_LIMIT, locale_of(request))
    return render(request, "_pick_results.html", {"result": result, "q": q.strip()})
