"""Ingestion as the control plane sees it: who may ingest what, where it goes, what it left.

The data-plane pipeline (``ingest.ingest_file``) does the work on files and keys; this
module checks the provider owns the resource, lays out the version directories, runs the
pipeline, records the run and the version, and audits it, all in the caller's unit of
work. Keyword-only, no HTTP, no commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.catalog import repository as catalog_repository
from sluice.catalog.models import DataResource, ResourceField
from sluice.core.clock import Clock
from sluice.core.errors import InvalidInput, NotFound, PermissionDenied
from sluice.core.i18n import add_messages
from sluice.core.settings import Settings
from sluice.dataplane.ingest import ReferenceCheck, ingest_file, read_quarantine
from sluice.dataplane.keystore import KeyStore
from sluice.dataplane.masking import MaskingProfile
from sluice.dataplane.models import DatasetVersion, IngestionRun
from sluice.dataplane.readers import SourceError, SqlSource, source_format
from sluice.dataplane.schema import DatasetSchema, SchemaError
from sluice.identity.models import Organization
from sluice.identity.permissions import OrgKind, Permission
from sluice.identity.principal import Principal

audit.declare_actions(
    {
        "data.ingested": ("数据汇聚入库", "Data ingested"),
        "data.ingest_duplicate": ("重复数据（未入库）", "Duplicate data (nothing written)"),
        "data.ingest_failed": ("数据汇聚失败", "Data ingestion failed"),
        "data.quarantine_read": ("查看隔离区数据", "Quarantined rows read"),
    }
)
add_messages(
    {
        "ingest.not_your_resource": (
            "只能向本部门登记的数据资源汇聚数据。",
            "Data can only be uploaded into your own department's resources.",
        ),
        "ingest.no_fields": (
            "“{name}”尚未登记数据项，无法校验和入库。",
            "'{name}' has no fields registered yet, so nothing can be checked or stored.",
        ),
        "ingest.bad_schema": (
            "“{name}”的数据项定义有误：{problem}",
            "The fields of '{name}' are not valid: {problem}",
        ),
        "ingest.unreadable": (
            "无法读取上传的文件：{problem}",
            "The uploaded file could not be read: {problem}",
        ),
        "ingest.run_unknown": ("汇聚记录不存在。", "The ingestion run does not exist."),
        "ingest.reference_missing": (
            "数据项“{field}”引用的“{reference}”尚无数据，一致性校验暂不能进行。",
            "Field '{field}' refers to '{reference}', which has no data yet.",
        ),
    }
)


def schema_document(fields: list[ResourceField]) -> dict[str, Any]:
    """The catalog's fields as the schema document the data plane reads."""
    return {
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "class": f.field_class,
                "title": f.title,
                **{k: v for k, v in f.rules.items() if k != "references"},
            }
            for f in fields
        ]
    }


def dataset_schema(name: str, fields: list[ResourceField]) -> DatasetSchema:
    if not fields:
        raise InvalidInput("ingest.no_fields", name=name)
    try:
        return DatasetSchema.from_json(schema_document(fields))
    except SchemaError as error:
        raise InvalidInput("ingest.bad_schema", name=name, problem=str(error)) from error


def masking_profiles(settings: Settings) -> Mapping[str, MaskingProfile]:
    return {
        name: MaskingProfile.from_json(spec) for name, spec in settings.masking_profiles.items()
    }


def _owned(session: Session, actor: Principal, resource_id: uuid.UUID) -> DataResource:
    actor.require(Permission.DATA_INGEST)
    resource = catalog_repository.resource(session, resource_id)
    if resource is None:
        raise NotFound("catalog.resource_unknown")
    if not actor.is_system and resource.provider_id != actor.organization_id:
        raise PermissionDenied("ingest.not_your_resource")
    return resource


def _latest_version(session: Session, resource_id: uuid.UUID) -> DatasetVersion | None:
    return session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.resource_id == resource_id)
        .order_by(DatasetVersion.version.desc())
        .limit(1)
    )


def _references(
    session: Session, fields: list[ResourceField], provider: Organization
) -> list[ReferenceCheck]:
    """Cross-dataset rules: ``"references": {"resource": "gaj/residents", "field": "id_number"}``.

    Identifier values are compared as tokens, which the shared tokenization key makes
    equal across datasets.
    """
    checks = []
    for field in fields:
        reference = field.rules.get("references")
        if not reference:
            continue
        provider_code, _, resource_code = str(reference["resource"]).partition("/")
        target = session.scalar(
            select(DataResource)
            .join(Organization, Organization.id == DataResource.provider_id)
            .where(Organization.code == provider_code, DataResource.code == resource_code)
        )
        version = _latest_version(session, target.id) if target else None
        if version is None:
            raise InvalidInput(
                "ingest.reference_missing", field=field.name, reference=reference["resource"]
            )
        column = reference["field"]
        target_fields = catalog_repository.fields_of(session, [version.resource_id])[
            version.resource_id
        ]
        if any(f.name == column and f.field_class == "identifier" for f in target_fields):
            column = f"{column}_token"
        checks.append(
            ReferenceCheck(field=field.name, reference=Path(version.path), reference_column=column)
        )
    return checks


def ingest(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    resource_id: uuid.UUID,
    source: Path | SqlSource,
    source_name: str,
) -> IngestionRun:
    """Bring one source into a resource as a new version (or recognise it as a repeat)."""
    resource = _owned(session, actor, resource_id)
    provider = session.get(Organization, resource.provider_id)
    assert provider is not None
    fields = catalog_repository.fields_of(session, [resource.id]).get(resource.id, [])
    schema = dataset_schema(resource.name, fields)
    references = _references(session, fields, provider)
    previous = _latest_version(session, resource.id)
    seen = set(
        session.scalars(
            select(IngestionRun.content_hash).where(
                IngestionRun.resource_id == resource.id, IngestionRun.status == "ingested"
            )
        )
    )
    number = (previous.version if previous else 0) + 1
    home = settings.home
    where = Path(provider.code) / resource.code
    started = clock.now()
    kind = "database" if isinstance(source, SqlSource) else _kind(source)
    try:
        outcome = ingest_file(
            source=source,
            schema=schema,
            dataset_dir=settings.data_dir / where / f"v{number}",
            quarantine_dir=home / "quarantine" / where,
            raw_dir=home / "raw" / where,
            keys=KeyStore(settings.keys_path),
            dataset_scope=f"dataset-{resource.id}",
            previous_hashes=seen,
            masking_profiles=masking_profiles(settings),
            references=references,
            update_frequency=resource.update_frequency,
            last_update=previous.created_at if previous else None,
            as_of=started,
        )
    except SourceError as error:
        raise InvalidInput("ingest.unreadable", problem=str(error)) from error
    run = IngestionRun(
        id=uuid.uuid4(),
        resource_id=resource.id,
        provider_id=resource.provider_id,
        status=outcome.status,
        source_kind=kind,
        source_name=source_name[:300],
        content_hash=outcome.content_hash,
        rows_total=outcome.rows_total,
        rows_accepted=outcome.rows_accepted,
        rows_rejected=outcome.rows_rejected,
        version=number if outcome.status == "ingested" else None,
        report=outcome.report.as_json() if outcome.report else {},
        quarantine_path=str(outcome.quarantine_path) if outcome.quarantine_path else None,
        actor=actor.username,
        started_at=started,
        finished_at=clock.now(),
    )
    session.add(run)
    session.flush()  # the version row refers to the run; no ORM relationship orders them
    if outcome.status == "ingested":
        assert outcome.parquet_path is not None
        session.add(
            DatasetVersion(
                resource_id=resource.id,
                version=number,
                run_id=run.id,
                path=str(outcome.parquet_path.parent),
                rows=outcome.rows_accepted,
                content_hash=outcome.content_hash,
                created_at=clock.now(),
            )
        )
        resource.has_data = True
    audit.record(
        session,
        actor=actor,
        action="data.ingested" if outcome.status == "ingested" else "data.ingest_duplicate",
        target_type="data_resource",
        target_id=resource.id,
        at=clock.now(),
        detail={
            "run": str(run.id),
            "source": source_name[:120],
            "version": run.version,
            "rows_total": run.rows_total,
            "rows_rejected": run.rows_rejected,
            "content_hash": run.content_hash,
        },
    )
    return run


def _kind(path: Path) -> str:
    try:
        return source_format(path)
    except SourceError:
        return "unknown"


def visible_run(session: Session, *, actor: Principal, run_id: uuid.UUID) -> IngestionRun:
    """Providers see their own runs; the bureau sees all."""
    actor.require(Permission.QUALITY_READ)
    run = session.get(IngestionRun, run_id)
    foreign = (
        run is not None
        and actor.organization_kind is OrgKind.PROVIDER
        and run.provider_id != actor.organization_id
    )
    if run is None or foreign:
        raise NotFound("ingest.run_unknown")
    return run


def quarantined_rows(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    run_id: uuid.UUID,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The rejected rows of a run with their reasons, for the provider who owns them."""
    run = session.get(IngestionRun, run_id)
    if run is None:
        raise NotFound("ingest.run_unknown")
    _owned(session, actor, run.resource_id)
    if not run.quarantine_path:
        return []
    table = read_quarantine(
        Path(run.quarantine_path), KeyStore(settings.keys_path), f"dataset-{run.resource_id}"
    )
    audit.record(
        session,
        actor=actor,
        action="data.quarantine_read",
        target_type="ingestion_run",
        target_id=run.id,
        at=clock.now(),
        detail={"rows": min(limit, table.num_rows)},
    )
    rows: list[dict[str, Any]] = table.slice(0, limit).to_pylist()
    return rows


def runs_of(session: Session, resource_id: uuid.UUID) -> list[IngestionRun]:
    return list(
        session.scalars(
            select(IngestionRun)
            .where(IngestionRun.resource_id == resource_id)
            .order_by(IngestionRun.started_at.desc())
        )
    )


def latest_reports(session: Session) -> list[IngestionRun]:
    """The newest ingested run of every resource that has data."""
    newest = (
        select(IngestionRun.resource_id, func.max(IngestionRun.started_at).label("at"))
        .where(IngestionRun.status == "ingested")
        .group_by(IngestionRun.resource_id)
        .subquery()
    )
    return list(
        session.scalars(
            select(IngestionRun).join(
                newest,
                (newest.c.resource_id == IngestionRun.resource_id)
                & (newest.c.at == IngestionRun.started_at),
            )
        )
    )
