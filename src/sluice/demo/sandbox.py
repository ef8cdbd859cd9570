"""The demo city's sandbox: the workspaces of its agreements, a few saved analyses that make
sense for each scenario, and a query refused in the ended one.

* 普惠金融 (营口数据集团, ``operator``): enterprises by district and tax credit rating, the
  capital of each industry, how punctually enterprises pay their electricity bills;
* 就业服务 (辽宁海港数智, ``operator2``): insured employees by industry and by district,
  records and people by insurance and year;
* 智慧停车 (海港数智, ended by exit, so terminated): its workspace is closed, and the
  query saved there is refused with ``authorization_inactive``, which its history shows.

The two open workspaces each have one approved export (``demo.exports``).

Each saved analysis is run once, as an operator would after writing it, so the history and
the audit log have something in them. Everything goes through the services; a second run
of the demo changes nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.core.database import Database
from sluice.core.errors import SluiceError
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.demo import exports as demo_exports
from sluice.identity import repository as identity_repository
from sluice.identity import service as identity
from sluice.sandbox import queries, workspaces

#: Saved analyses by scenario: (name, SQL).
ANALYSES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "普惠金融": (
        (
            "各区县在营企业与纳税信用级别（2024 年度）",
            """-- 在营企业按登记机关所在区县和 2024 年度纳税信用级别计数
SELECT CASE e.registrar_code
         WHEN '210800' THEN '市本级' WHEN '210802' THEN '站前区' WHEN '210803' THEN '西市区'
         WHEN '210804' THEN '鲅鱼圈区' WHEN '210811' THEN '老边区' WHEN '210881' THEN '盖州市'
         WHEN '210882' THEN '大石桥市' ELSE '其他' END AS district,
       t.rating,
       count(DISTINCT e.uscc_token) AS enterprises
FROM scjgj_enterprises AS e
JOIN swj_tax_credit_ratings AS t ON t.uscc_token = e.uscc_token
WHERE e.status = '存续' AND t.rating_year = 2024
GROUP BY 1, 2
ORDER BY 1, 2""",
        ),
        (
            "各行业在营企业数与平均注册资本",
            """-- 注册资本以万元计
SELECT industry_name,
       count(*) AS enterprises,
       round(avg(registered_capital_fen) / 1000000, 1) AS avg_capital_10k_yuan
FROM scjgj_enterprises
WHERE status = '存续'
GROUP BY industry_name
ORDER BY enterprises DESC""",
        ),
        (
            "非居民用电按时缴费率（按月）",
            """-- 缴费日期和是否按时属敏感字段：只在聚合中使用
SELECT date_trunc('month', billing_month) AS month,
       count(*) AS bills,
       round(100.0 * avg(CASE WHEN on_time THEN 1 ELSE 0 END), 1) AS on_time_pct
FROM power_electricity_bills
WHERE customer_type = '非居民'
GROUP BY 1
ORDER BY 1""",
        ),
    ),
    "就业服务": (
        (
            "各行业参保职工人数（2024 年度养老保险）",
            """-- 职工以身份证号令牌去重计数，单位以统一社会信用代码令牌关联
SELECT e.industry_name,
       count(DISTINCT s.id_number_token) AS insured_employees
FROM rsj_social_insurance AS s
JOIN scjgj_enterprises AS e ON e.uscc_token = s.employer_uscc_token
WHERE s.contribution_year = 2024 AND s.insurance_type = '企业职工基本养老保险'
GROUP BY e.industry_name
ORDER BY insured_employees DESC""",
        ),
        (
            "各区县用工规模与平均缴费基数（2024 年度）",
            """-- 缴费基数属敏感字段：只看平均值（元）
SELECT CASE e.registrar_code
         WHEN '210800' THEN '市本级' WHEN '210802' THEN '站前区' WHEN '210803' THEN '西市区'
         WHEN '210804' THEN '鲅鱼圈区' WHEN '210811' THEN '老边区' WHEN '210881' THEN '盖州市'
         WHEN '210882' THEN '大石桥市' ELSE '其他' END AS district,
       count(DISTINCT s.id_number_token) AS insured_employees,
       round(avg(s.contribution_base_fen) / 100) AS avg_base_yuan
FROM rsj_social_insurance AS s
JOIN scjgj_enterprises AS e ON e.uscc_token = s.employer_uscc_token
WHERE s.contribution_year = 2024
GROUP BY 1
ORDER BY insured_employees DESC""",
        ),
        (
            "各险种各年度参保记录与人数",
            """SELECT contribution_year,
       insurance_type,
       count(*) AS records,
       count(DISTINCT id_number_token) AS people
FROM rsj_social_insurance
GROUP BY 1, 2
ORDER BY 1, 2""",
        ),
    ),
}
#: Who works in which workspace: the demo's operator logins.
OPERATORS: Final = {"普惠金融": "operator", "就业服务": "operator2", "智慧停车": "operator2"}
#: The agreement that ended by exit: its workspace is closed.
ENDED: Final = "智慧停车"
#: What 海港数智 tried in the ended 智慧停车 workspace.
REFUSED_SQL: Final = """SELECT vehicle_type, count(*) AS vehicles
FROM jtj_operating_vehicles
GROUP BY vehicle_type"""


def seed_workspaces(
    database: Database, *, settings: Settings, now: datetime
) -> list[dict[str, Any]]:
    """Open the demo's workspaces, save and run their analyses (once); returns what
    ``var/demo-credentials.json`` lists of them."""
    listed: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    for scenario, username in OPERATORS.items():
        with database.unit_of_work() as session:
            actor = _login(session, username)
            rows = workspaces.workspace_rows(session, actor=actor, at=now)
            found = [r.workspace for r in rows if r.workspace.scenario == scenario]
            if not found:
                continue
            workspace = found[0]
            agreement = workspaces.agreement(session, workspace, at=now)
            listed.append(
                {
                    "id": str(workspace.id),
                    "authorization_id": str(agreement.id),
                    "scenario": scenario,
                    "operator_username": username,
                }
            )
            fresh = not queries.saved(session, actor=actor, at=now, workspace_id=workspace.id)
        if workspace.id in seen or not fresh:
            continue
        seen.add(workspace.id)
        if scenario == ENDED:
            _save(database, username, workspace.id, "各类营运车辆数", REFUSED_SQL, now)
            _try(database, settings, username, workspace.id, REFUSED_SQL, now)
            continue
        for n, (name, sql) in enumerate(ANALYSES[scenario]):
            at = now - timedelta(days=3) + timedelta(hours=n)
            _save(database, username, workspace.id, name, sql, at)
            _try(database, settings, username, workspace.id, sql, at + timedelta(minutes=5))
        demo_exports.seed_export(
            database,
            settings=settings,
            username=username,
            workspace_id=workspace.id,
            scenario=scenario,
            analyses=ANALYSES[scenario],
            at=now - timedelta(days=2),
        )
    return listed


def _login(session: Session, username: str) -> Principal:
    """The demo's operator login, acting as itself (its name is on the history)."""
    user = identity_repository.user_by_username(session, username)
    assert user is not None, username
    return identity.principal_for(session, user, via="session")


def _save(
    database: Database, username: str, workspace_id: uuid.UUID, name: str, sql: str, at: datetime
) -> None:
    with database.unit_of_work() as session:
        actor = _login(session, username)
        queries.save(session, actor=actor, at=at, workspace_id=workspace_id, name=name, sql=sql)


def _try(
    database: Database,
    settings: Settings,
    username: str,
    workspace_id: uuid.UUID,
    sql: str,
    at: datetime,
) -> None:
    """Run it as the operator would; a refusal stays in the history and the audit log."""
    try:
        with database.unit_of_work() as session:
            actor = _login(session, username)
            queries.run(
                session, actor=actor, settings=settings, at=at, workspace_id=workspace_id, sql=sql
            )
    except SluiceError:
        pass


def write_credentials(settings: Settings, listed: list[dict[str, Any]]) -> None:
    """Add the workspaces to ``var/demo-credentials.json`` (written just before)."""
    path = settings.credentials_path
    document: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    document["workspaces"] = listed
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2))
    path.chmod(0o600)  # passwords inside
