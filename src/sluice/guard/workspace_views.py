"""What a sandbox workspace may read: one view per resource in scope, over its newest version.

The guard decides it, because it is the guard's business what a query can see: the views of
an agreement are the resources its current version lists (``scope``) that have data, each
named ``<provider>_<resource>`` (``scjgj_enterprises``: the provider's code lowercased and
the resource's code, so a query reads like the catalog) and reading the newest dataset
version of that resource. A renewal or a new version of the data changes the views; a
query records the versions it read.

Each column is described from the version's own Parquet footer (what the engine will
really see), with the metadata ingestion wrote on it (``form``: ``value``, ``token`` or
``masked``; ``field_class``; ``source_field``; ``type``). Its class is the stricter of the
footer's and the catalog's current one, so a field the provider reclassified since the
version was written is judged by its new class. Its rule is ``column_rules.default_rule``,
tightened by the provider's ``column_rule`` on the catalog field if it set one. A footer is
read once per version directory (versions never change).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, cast

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from sluice.authorizations import service as authorizations
from sluice.authorizations.models import Authorization
from sluice.catalog import service as catalog
from sluice.catalog.models import ResourceField
from sluice.dataplane.column_rules import (
    ColumnRule,
    FieldClass,
    Form,
    RuleInvalid,
    RuleLoosened,
    default_rule,
    tighten,
)
from sluice.dataplane.schema import FIELD_CLASSES
from sluice.guard.query_types import ViewColumn, ViewSpec
from sluice.ingestion import service as ingestion

#: Source field types that name the data subject, most specific first: a person's ID number,
#: else an organization's credit code. Their token column is the view's subject column.
SUBJECT_TYPES: Final = ("id_number", "uscc")
_FORMS: Final = ("value", "token", "masked")


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    field_class: FieldClass
    form: Form
    #: The catalog field it comes from (``uscc`` for ``uscc_token`` and ``uscc_masked``).
    source_field: str
    rule: ColumnRule
    #: The token column that identifies the data subject (k-anonymity counts).
    subject: bool = False


@dataclass(frozen=True)
class WorkspaceView:
    name: str
    resource_id: uuid.UUID
    #: The resource's ``provider/resource`` codes and its title, as the agreement lists them.
    code: str
    title: str
    version: int
    dataset_version_id: uuid.UUID
    directory: Path
    rows: int
    columns: tuple[Column, ...]

    def spec(self) -> ViewSpec:
        """The view as the query policy reads it."""
        return ViewSpec(
            self.name,
            tuple(
                ViewColumn(c.name, c.sql_type, c.field_class, c.form, c.rule, c.subject)
                for c in self.columns
            ),
        )


def view_name(codes: str) -> str:
    """``SCJGJ/enterprises`` → ``scjgj_enterprises``: lowercase, anything but letters,
    digits and ``_`` made ``_``, never starting with a digit."""
    name = re.sub(r"[^0-9a-z_]", "_", codes.lower().replace("/", "_"))
    return f"v_{name}" if not name or name[0].isdigit() else name


def workspace_views(session: Session, authorization: Authorization) -> list[WorkspaceView]:
    """The views the agreement's current scope gives its workspace, in name order; a
    resource without data yet has none."""
    scope = authorizations.current_version(session, authorization).content.get("scope", [])
    views = []
    for item in scope:
        resource_id = uuid.UUID(item["resource_id"])
        version = ingestion.current_version(session, resource_id)
        if version is None:
            continue
        directory = Path(version.path)
        fields = {f.name: f for f in catalog.fields_of(session, resource_id=resource_id)}
        views.append(
            WorkspaceView(
                name=view_name(item["code"]),
                resource_id=resource_id,
                code=item["code"],
                title=item.get("title", ""),
                version=version.version,
                dataset_version_id=version.id,
                directory=directory,
                rows=version.rows,
                columns=columns(_footer(str(directory)), fields),
            )
        )
    return sorted(views, key=lambda v: v.name)


def columns(footer: pa.Schema, fields: Mapping[str, ResourceField]) -> tuple[Column, ...]:
    """The view's columns: each field of the footer with its class, form and rule."""
    described = []
    for arrow_field in footer:
        meta = {k.decode(): v.decode() for k, v in (arrow_field.metadata or {}).items()}
        source = meta.get("source_field", arrow_field.name)
        catalog_field = fields.get(source)
        form = cast(Form, meta["form"] if meta.get("form") in _FORMS else "value")
        field_class = _stricter(
            meta.get("field_class", "identifier"),
            catalog_field.field_class if catalog_field else "public",
        )
        described.append(
            Column(
                name=arrow_field.name,
                sql_type=sql_type(arrow_field.type),
                field_class=field_class,
                form=form,
                source_field=source,
                rule=_rule(field_class, form, catalog_field),
            )
        )
    return _mark_subject(described, footer)


def _mark_subject(described: list[Column], footer: pa.Schema) -> tuple[Column, ...]:
    types = {f.name: (f.metadata or {}).get(b"type", b"").decode() for f in footer}
    for wanted in SUBJECT_TYPES:
        for index, column in enumerate(described):
            if column.form == "token" and types.get(column.name) == wanted:
                described[index] = replace(column, subject=True)
                return tuple(described)
    return tuple(described)


def _stricter(first: str, second: str) -> FieldClass:
    """The stricter of two classes; an unknown one counts as ``identifier``."""
    ranks = [
        FIELD_CLASSES.index(c) if c in FIELD_CLASSES else len(FIELD_CLASSES) - 1
        for c in (first, second)
    ]
    return FIELD_CLASSES[max(ranks)]


def _rule(field_class: FieldClass, form: Form, field: ResourceField | None) -> ColumnRule:
    rule = default_rule(field_class, form)
    override: Any = (field.rules or {}).get("column_rule") if field is not None else None
    if isinstance(override, Mapping):
        try:
            return tighten(rule, {str(k): str(v) for k, v in override.items()})
        except (RuleInvalid, RuleLoosened):
            # Refused when the provider registered it (``column_rules.field_rule``); a class
            # tightened since may make an old override read as looser: the class's rule holds.
            return rule
    return rule


@lru_cache(maxsize=512)
def _footer(directory: str) -> pa.Schema:
    files = sorted(Path(directory).glob("*.parquet"))
    if not files:
        return pa.schema([])
    return pq.read_schema(files[0])


def sql_type(arrow_type: pa.DataType) -> str:
    """The SQL type the engine gives a Parquet column of this Arrow type."""
    if pa.types.is_decimal(arrow_type):
        decimal = cast(pa.Decimal128Type, arrow_type)
        return f"DECIMAL({decimal.precision},{decimal.scale})"
    if pa.types.is_timestamp(arrow_type):
        stamp = cast(pa.TimestampType, arrow_type)
        return "TIMESTAMP WITH TIME ZONE" if stamp.tz else "TIMESTAMP"
    for check, name in _SQL_TYPES:
        if check(arrow_type):
            return name
    return "VARCHAR"


_SQL_TYPES: Final[Sequence[tuple[Any, str]]] = (
    (pa.types.is_string, "VARCHAR"),
    (pa.types.is_large_string, "VARCHAR"),
    (pa.types.is_boolean, "BOOLEAN"),
    (pa.types.is_int8, "TINYINT"),
    (pa.types.is_int16, "SMALLINT"),
    (pa.types.is_int32, "INTEGER"),
    (pa.types.is_int64, "BIGINT"),
    (pa.types.is_uint8, "UTINYINT"),
    (pa.types.is_uint16, "USMALLINT"),
    (pa.types.is_uint32, "UINTEGER"),
    (pa.types.is_uint64, "UBIGINT"),
    (pa.types.is_float32, "FLOAT"),
    (pa.types.is_float64, "DOUBLE"),
    (pa.types.is_date32, "DATE"),
    (pa.types.is_date64, "DATE"),
    (pa.types.is_time, "TIME"),
    (pa.types.is_binary, "BLOB"),
)
