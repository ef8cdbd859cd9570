"""Query parameters every list shares, bounded so no number reaches the database unchecked.

An unbounded ``int`` lets ``?offset=9223372036854775808`` through to PostgreSQL's BIGINT and
back as a server error; these types refuse it with 422 at the edge instead.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Query

#: Far past any real list or version number, far below every integer column's limit.
MAX_POSITION: Final = 1_000_000_000

Limit = Annotated[int, Query(ge=1, le=500, description="Most items to return.")]
Offset = Annotated[int, Query(ge=0, le=MAX_POSITION, description="Items to skip.")]
PageNumber = Annotated[int, Query(ge=1, le=MAX_POSITION, description="Page, from 1.")]
VersionNumber = Annotated[int | None, Query(ge=1, le=MAX_POSITION, description="Version.")]
