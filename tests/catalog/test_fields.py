"""A field's class follows its type (R8.1, DESIGN §4): personal types are identifiers unless
a class is given, and a weaker class for them is refused, naming the field, on the API, the
console form and in schema files; fields stored before the rule are tightened by 0010."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from sluice.catalog.vocabulary import FIELD_TYPES, PERSONAL_TYPES
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.migrate import upgrade
from sluice.core.permissions import Role
from sluice.dataplane.schema import IDENTIFIER_TYPES, FieldSpec, SchemaError
from tests.catalog.factories import publish, resource_data
from tests.html_tables import table_rows
from tests.identity.factories import bearer, console_login, make_account
from tests.infrastructure import PG_URL, skip_or_fail

PERSONAL = ("id_number", "uscc", "mobile", "plate", "address", "person_name")


def _resource(fields: list[dict[str, Any]], code: str = "residents") -> dict[str, Any]:
    return {
        "code": code,
        "name": "户籍人口信息",
        "domain": "governance",
        "update_frequency": "monthly",
        "open_level": "conditional",
        "classification": "population",
        "grade": "3",
        "fields": fields,
    }


def test_the_reviewers_request_now_stores_an_identifier(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = bearer(client, make_account(database, clock, Role.PROVIDER))
    response = client.post(
        "/api/v1/resources",
        json=_resource([{"name": "id_number", "type": "id_number"}]),
        headers=provider,
    )
    assert response.status_code == 201, response.text
    [field] = response.json()["fields"]
    assert (field["name"], field["class"]) == ("id_number", "identifier")
    stored = client.get(f"/api/v1/resources/{response.json()['id']}", headers=provider).json()
    assert stored["fields"][0]["class"] == "identifier"


def test_every_personal_type_defaults_to_identifier_and_others_to_public(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider = bearer(client, make_account(database, clock, Role.PROVIDER))
    fields = [{"name": f"f_{kind}", "type": kind} for kind in (*PERSONAL, "text", "date")]
    response = client.post("/api/v1/resources", json=_resource(fields), headers=provider)
    assert response.status_code == 201, response.text
    classes = {f["name"]: f["class"] for f in response.json()["fields"]}
    assert classes == {
        **{f"f_{kind}": "identifier" for kind in PERSONAL},
        "f_text": "public",
        "f_date": "public",
    }


@pytest.mark.parametrize("weaker", ["public", "internal", "sensitive"])
def test_a_weaker_class_for_a_personal_type_is_a_422_naming_the_field(
    client: TestClient, database: Database, clock: FixedClock, weaker: str
) -> None:
    provider = bearer(client, make_account(database, clock, Role.PROVIDER))
    response = client.post(
        "/api/v1/resources",
        json=_resource(
            [
                {"name": "district", "type": "text"},
                {"name": "holder_id", "type": "id_number", "class": weaker},
            ]
        ),
        headers=provider,
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_input"
    [error] = body["errors"]
    assert error["field"] == "fields.1"
    assert error["type"] == "identifier_class_required"
    assert error["message"] == (
        f"字段“holder_id”的类型为个人或企业标识（id_number），分类须为“标识符”（identifier），"
        f"不能是“{weaker}”。"
    )
    # Nothing was registered.
    assert client.get("/api/v1/resources", headers=provider).json()["total"] == 0


def test_the_console_form_follows_the_type_and_refuses_a_weaker_class(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    account = make_account(database, clock, Role.PROVIDER)
    csrf = console_login(client, account)
    form = {
        "csrf_token": csrf,
        **{k: v for k, v in _resource([]).items() if k != "fields"},
        "fields": "holder_id,id_number,public,身份证号码\nname,person_name,,姓名",
    }
    refused = client.post("/console/resources", data=form)
    assert refused.status_code == 422
    assert "第 1 行：字段“holder_id”的类型为个人或企业标识（id_number），分类须为“标识符”" in (
        refused.text
    )
    form["fields"] = "holder_id,id_number,,身份证号码\nname,person_name,,姓名\ndistrict,text,,区县"
    accepted = client.post("/console/resources", data=form)
    assert accepted.status_code == 200, accepted.text
    [resource] = client.get("/api/v1/resources", headers=bearer(client, account)).json()["items"]
    assert [(f["name"], f["class"]) for f in resource["fields"]] == [
        ("holder_id", "identifier"),
        ("name", "identifier"),
        ("district", "public"),
    ]


@pytest.mark.parametrize("kind", PERSONAL)
def test_schema_files_are_held_to_the_same_rule(kind: str) -> None:
    assert FieldSpec.from_json({"name": "x", "type": kind}).field_class == "identifier"
    with pytest.raises(SchemaError) as refused:
        FieldSpec.from_json({"name": "holder", "type": kind, "class": "internal"})
    assert "field 'holder'" in str(refused.value)
    assert FieldSpec.from_json({"name": "x", "type": kind, "class": "identifier"}).is_identifier


def test_the_catalog_and_the_data_plane_agree_on_what_is_personal() -> None:
    assert PERSONAL_TYPES == IDENTIFIER_TYPES == frozenset(PERSONAL)
    assert PERSONAL_TYPES.issubset(FIELD_TYPES)


# -- the data migration --------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the backend, to be migrated step by step."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'steps.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"steps_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # no PostgreSQL here
        admin.dispose()
        skip_or_fail(f"PostgreSQL unreachable at {PG_URL}: {error!r:.200}")
        return
    separator = "&" if "?" in PG_URL else "?"
    engine = create_engine(f"{PG_URL}{separator}options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_migration_0010_tightens_personal_fields_stored_before_the_rule(
    fresh_engine: Engine,
) -> None:
    upgrade(fresh_engine, "0009")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    org, resource = uuid.uuid4(), uuid.uuid4()
    rows = [
        ("id_number", "id_number", "public"),
        ("mobile", "mobile", "sensitive"),
        ("plate", "plate", "identifier"),
        ("district", "text", "public"),
        ("note", "text", "internal"),
    ]
    organizations = sa.table(
        "organizations",
        *(sa.column(c) for c in ("code", "kind", "name")),
        sa.column("id", sa.Uuid()),
        sa.column("active", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    resources = sa.table(
        "catalog_resources",
        *(
            sa.column(c)
            for c in (
                "code",
                "name",
                "description",
                "domain",
                "update_frequency",
                "open_level",
                "classification",
                "grade",
                "origin",
            )
        ),
        sa.column("id", sa.Uuid()),
        sa.column("provider_id", sa.Uuid()),
        sa.column("has_data", sa.Boolean()),
        sa.column("version", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    fields = sa.table(
        "catalog_fields",
        *(sa.column(c) for c in ("name", "title", "type", "field_class")),
        sa.column("id", sa.Uuid()),
        sa.column("resource_id", sa.Uuid()),
        sa.column("position", sa.Integer()),
        sa.column("rules", sa.JSON()),
    )
    with fresh_engine.begin() as connection:
        connection.execute(
            organizations.insert().values(
                id=org, code="gaj", kind="provider", name="市公安局", active=True, created_at=now
            )
        )
        connection.execute(
            resources.insert().values(
                id=resource,
                provider_id=org,
                code="residents",
                name="户籍人口",
                description="",
                domain="governance",
                update_frequency="monthly",
                open_level="conditional",
                classification="population",
                grade="3",
                origin="own",
                has_data=False,
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
        connection.execute(
            fields.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "resource_id": resource,
                    "position": position,
                    "name": name,
                    "title": "",
                    "type": kind,
                    "field_class": klass,
                    "rules": {},
                }
                for position, (name, kind, klass) in enumerate(rows)
            ],
        )
    upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        found = dict(connection.execute(text("SELECT name, field_class FROM catalog_fields")).all())
    assert found == {
        "id_number": "identifier",
        "mobile": "identifier",
        "plate": "identifier",
        "district": "public",
        "note": "internal",
    }


def test_a_provider_may_tighten_a_column_rule_and_the_entry_page_shows_it(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    provider_account = make_account(database, clock, Role.PROVIDER)
    provider = bearer(client, provider_account)
    tightened = {"in_rows": "no", "as_group_key": "generalised"}
    fields = [
        {"name": "id_number", "type": "id_number", "title": "公民身份号码"},
        {"name": "born_on", "type": "date", "title": "出生日期", "column_rule": tightened},
    ]
    response = client.post("/api/v1/resources", json=_resource(fields), headers=provider)
    assert response.status_code == 201, response.text
    assert response.json()["fields"][1]["rules"]["column_rule"] == tightened

    assert provider_account.organization_id is not None
    [entry] = publish(
        database,
        clock,
        provider_account.organization_id,
        [resource_data("births", "出生登记信息", fields=fields)],
    )
    page = client.get(f"/catalog/{entry}")
    assert page.status_code == 200
    rules = table_rows(page.text, "entry-column-rules")
    assert rules == [
        [
            "id_number 公民身份号码",
            "令牌",
            "不可以",
            "仅 count、count(DISTINCT …)",
            "不可以",
            "仅等值连接与筛选（=、IN 常量、IS NULL）",
        ],
        ["id_number 公民身份号码", "脱敏", "可以", "仅 count", "不可以", "不可以"],
        [
            "born_on 出生日期",
            "原值 已收紧",
            "不可以",
            "可以",
            "仅泛化后（年、季、月、区间）",
            "可以",
        ],
    ]


@pytest.mark.parametrize(
    ("field", "rule", "code", "named"),
    [
        (
            {"name": "amount", "type": "int", "class": "sensitive"},
            {"in_rows": "yes"},
            "rule_loosened",
            "不能放宽为“yes”",
        ),
        (
            {"name": "id_number", "type": "id_number"},
            {"in_aggregates": "count_distinct"},
            "rule_loosened",
            "id_number",
        ),
        ({"name": "district", "type": "text"}, {"in_joins": "no"}, "rule_invalid", "in_joins"),
        ({"name": "district", "type": "text"}, ["no rows"], "rule_invalid", "district"),
    ],
)
def test_a_looser_or_unknown_column_rule_is_refused_at_registration(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    field: dict[str, Any],
    rule: object,
    code: str,
    named: str,
) -> None:
    provider = bearer(client, make_account(database, clock, Role.PROVIDER))
    response = client.post(
        "/api/v1/resources",
        json=_resource([{**field, "column_rule": rule}]),
        headers=provider,
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert named in response.json()["detail"]
    listed = client.get("/api/v1/resources", headers=provider).json()
    assert listed["items"] == []
