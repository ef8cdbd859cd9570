"""The demo city's approved exports: one in each open workspace, through the export gate.

* 普惠金融 (``operator``): enterprises and average registered capital by industry, for the
  partner banks' small-business credit models; industries of fewer than k enterprises are
  suppressed, as the request and its manifest say;
* 就业服务 (``operator2``): insurance records and insured people by year and insurance.

Each is requested by its operator (the run of the analysis in its history, asked to leave
with a purpose), checked by the guard, and approved by ``bureau``, who signs its manifest.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.orm import Session

from sluice.core.database import Database
from sluice.core.errors import SluiceError
from sluice.core.paging import MAX_PAGE_SIZE, ListQuery
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.identity import repository as identity_repository
from sluice.identity import service as identity
from sluice.sandbox import exports, queries

#: By scenario: the saved analysis exported, and what for.
EXPORTED: Final[dict[str, tuple[str, str]]] = {
    "普惠金融": (
        "各行业在营企业数与平均注册资本",
        "向合作银行提供分行业的在营企业数与平均注册资本，用于小微企业授信模型的行业参考",
    ),
    "就业服务": (
        "各险种各年度参保记录与人数",
        "向人社部门和合作机构提供各险种、各年度的参保规模，用于就业形势分析",
    ),
}
REVIEWER: Final = "bureau"


def seed_export(
    database: Database,
    *,
    settings: Settings,
    username: str,
    workspace_id: uuid.UUID,
    scenario: str,
    analyses: Sequence[tuple[str, str]],
    at: datetime,
) -> None:
    """Request the scenario's export as its operator and approve it as the bureau; a demo
    too small for any group to reach k simply has none."""
    chosen = EXPORTED.get(scenario)
    if chosen is None:
        return
    name, purpose = chosen
    sql = dict(analyses)[name]
    try:
        with database.unit_of_work() as session:
            operator = _login(session, username)
            history = queries.history(
                session,
                actor=operator,
                at=at,
                workspace_id=workspace_id,
                listing=ListQuery(size=MAX_PAGE_SIZE, filters={"outcome": "ok"}),
            )
            ran = next((q for q in history.items if q.sql == sql), None)
            if ran is None:
                return  # the analysis did not run at this scale
            export = exports.request(
                session,
                actor=operator,
                settings=settings,
                at=at,
                workspace_id=workspace_id,
                query_id=ran.id,
                purpose=purpose,
            )
        with database.unit_of_work() as session:
            exports.approve(
                session,
                actor=_login(session, REVIEWER),
                settings=settings,
                at=at + timedelta(hours=4),
                export_id=export.id,
                note="分组汇总结果，小于 k 的分组已抑制，同意出域。",
            )
    except SluiceError:
        return


def _login(session: Session, username: str) -> Principal:
    user = identity_repository.user_by_username(session, username)
    assert user is not None, username
    return identity.principal_for(session, user, via="session")
