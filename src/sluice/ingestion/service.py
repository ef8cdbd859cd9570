"""Ingestion as the control plane sees it: who may ingest what, where it goes, what it left.

The data-plane pipeline (``ingest.ingest_file``) does the work on files and keys; this
module checks the provider owns the resource, lays out where the output goes, runs the
pipeline, records the run and the version, and audits it, all in the caller's unit of
work. Keyword-only, no HTTP, no commit.

Data is never lost or silently replaced (R4.3, R9.3):

- a file with the **current version's** content is a ``duplicate`` and writes nothing;
  a file equal to an **older** version restores it, as a new version with the same
  content hash (``restores_version`` names the one it brings back);
- an upload that would leave the dataset with no rows, or with fewer than
  ``ingest_hold_share_percent`` of the current version's rows, is **held**
  (``states.RUN``): its output waits, and only its provider's ``confirm`` makes it the
  current version (``discard`` drops it). A later upload of the resource supersedes a
  hold still waiting, so a stale hold never replaces newer data;
- each run writes its Parquet output under ``<data>/<provider>/<resource>/<run id>/``,
  so no two runs ever share a directory, and the version number is given only when the
  version is made. If the unit of work does not commit, what the run wrote is removed;
  what a discarded or superseded hold leaves is removed once the decision commits.

What a provider may not see does not exist: another department's resource or run is 404,
never 403. The resource, its fields and the datasets its fields refer to are the catalog's:
this module asks the catalog for them and keeps only its own records (``repository``).
Errors about a file tell its owner what is wrong with the file in their language; the
technical detail (a library's message, a server path) goes to the log.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.catalog import repository as catalog_repository
from sluice.catalog import service as catalog
from sluice.core.clock import Clock
from sluice.core.errors import InvalidInput, NotFound
from sluice.core.i18n import add_messages
from sluice.core.keystore import KeyStore
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane.ingest import RAW_SUFFIX, ReferenceCheck, ingest_file, read_quarantine
from sluice.dataplane.masking import MaskingProfile
from sluice.dataplane.readers import ReadLimits, SourceError, SqlSource, source_format
from sluice.dataplane.schema import DatasetSchema, SchemaError
from sluice.identity import repository as identity_repository
from sluice.ingestion import repository, states
from sluice.ingestion.models import DatasetVersion, IngestionRun

log = logging.getLogger(__name__)

#: Why an upload is held.
NO_ROWS: Final = "no_rows"
SHRINKS: Final = "shrinks"

audit.declare_actions(
    {
        "data.ingested": ("数据汇聚入库", "Data ingested"),
        "data.restored": (
            "恢复历史版本的内容为新版本",
            "An earlier version's content restored as a new version",
        ),
        "data.ingest_held": (
            "上传待确认（当前版本未被替换）",
            "Upload held for confirmation (the current version stays)",
        ),
        "data.ingest_duplicate": ("重复数据（未入库）", "Duplicate data (nothing written)"),
        "data.ingest_failed": ("数据汇聚失败", "Data ingestion failed"),
        "data.quarantine_read": ("查看隔离区数据", "Quarantined rows read"),
    }
)
add_messages(
    {
        "ingest.no_fields": (
            "“{name}”尚未登记数据项，无法校验和入库。",
            "'{name}' has no fields registered yet, so nothing can be checked or stored.",
        ),
        "ingest.bad_schema": (
            "“{name}”的数据项定义有误：{problem}",
            "The fields of '{name}' are not valid: {problem}",
        ),
        "ingest.run_unknown": ("汇聚记录不存在。", "The ingestion run does not exist."),
        "ingest.reference_missing": (
            "数据项“{field}”引用的“{reference}”尚无数据，一致性校验暂不能进行。",
            "Field '{field}' refers to '{reference}', which has no data yet.",
        ),
        "problem.upload_unreadable": ("无法读取上传的文件", "The upload cannot be read"),
        "problem.upload_too_many_rows": ("文件行数超过上限", "Too many rows"),
        "problem.upload_expands_too_far": (
            "文件展开后超过上限",
            "The file expands too far",
        ),
    }
)


def dataset_schema(name: str, document: dict[str, Any]) -> DatasetSchema:
    """The schema of a resource's declared fields (``catalog.schema_document``)."""
    if not document["fields"]:
        raise InvalidInput("ingest.no_fields", name=name)
    try:
        return DatasetSchema.from_json(document)
    except SchemaError as error:
        raise InvalidInput("ingest.bad_schema", name=name, problem=str(error)) from error


def masking_profiles(settings: Settings) -> Mapping[str, MaskingProfile]:
    return {
        name: MaskingProfile.from_json(spec) for name, spec in settings.masking_profiles.items()
    }


def _own_run(session: Session, actor: Principal, run_id: uuid.UUID) -> IngestionRun:
    """A run of one of the actor's resources (any run for the system), else 404."""
    actor.require(Permission.DATA_INGEST)
    run = repository.run(session, actor=actor, run_id=run_id)
    if run is None:
        raise NotFound("ingest.run_unknown")
    return run


def current_version(session: Session, resource_id: uuid.UUID) -> DatasetVersion | None:
    """The resource's current (newest) version, if it has data."""
    return repository.current_version(session, resource_id)


def current_run(session: Session, resource_id: uuid.UUID) -> IngestionRun | None:
    """The run that made the resource's current version."""
    version = current_version(session, resource_id)
    return repository.run_of(session, version) if version else None


def _references(session: Session, resource_id: uuid.UUID) -> list[ReferenceCheck]:
    """Cross-dataset rules: ``"references": {"resource": "gaj/residents", "field": "id_number"}``.

    Identifier values are compared as tokens, which the shared tokenization key makes
    equal across datasets.
    """
    checks = []
    for field in catalog_repository.fields_of(session, [resource_id]).get(resource_id, []):
        reference = field.rules.get("references")
        if not reference:
            continue
        target = catalog.resource_by_codes(session, str(reference["resource"]))
        version = current_version(session, target.id) if target else None
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


def read_limits(settings: Settings) -> ReadLimits:
    return ReadLimits(
        max_rows=settings.ingest_max_rows, max_bytes=settings.ingest_max_uncompressed_mb << 20
    )


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
    """Bring one source into a resource: a new version, a hold, or a recognised repeat
    (see the module docstring)."""
    actor.require(Permission.DATA_INGEST)
    resource = catalog.owned_resource(session, actor=actor, resource_id=resource_id, lock=True)
    provider = identity_repository.organization(session, resource.provider_id)
    assert provider is not None
    fields = catalog_repository.fields_of(session, [resource.id]).get(resource.id, [])
    schema = dataset_schema(resource.name, catalog.schema_document(fields))
    references = _references(session, resource.id)
    current = current_version(session, resource.id)
    run_id = uuid.uuid4()
    where = Path(provider.code) / resource.code
    output = settings.data_dir / where / str(run_id)
    started = clock.now()
    kind = "database" if isinstance(source, SqlSource) else _kind(source)
    try:
        outcome = ingest_file(
            source=source,
            schema=schema,
            dataset_dir=output,
            quarantine_dir=settings.home / "quarantine" / where,
            raw_dir=_raw_dir(settings, provider.code, resource.code),
            keys=KeyStore(settings.keys_path),
            dataset_scope=f"dataset-{resource.id}",
            previous_hashes={current.content_hash} if current else set(),
            masking_profiles=masking_profiles(settings),
            references=references,
            update_frequency=resource.update_frequency,
            last_update=current.created_at if current else None,
            as_of=started,
            limits=read_limits(settings),
        )
    except SourceError as error:
        # The detail may quote a library or name a server path: the log keeps it, the
        # provider is told what is wrong with the file, in their language.
        log.warning(
            "upload %r into %s/%s refused (%s): %s",
            source_name[:120],
            provider.code,
            resource.code,
            error.code,
            error,
        )
        raise InvalidInput(error.key, problem_code=error.code, **error.params) from None
    duplicate = outcome.status == "duplicate"
    if not duplicate:
        _remove_on_rollback(session, [*outcome.written, output])
    restores = (
        None
        if duplicate
        else repository.newest_version_with_content(
            session, resource_id=resource.id, content_hash=outcome.content_hash
        )
    )
    reason = None if duplicate else _hold_reason(outcome.rows_accepted, current, settings)
    if duplicate:
        status = states.DUPLICATE
    elif reason:
        status = states.HELD
    else:
        status = states.INGESTED
    number = (current.version if current else 0) + 1
    run = IngestionRun(
        id=run_id,
        resource_id=resource.id,
        provider_id=resource.provider_id,
        status=status,
        source_kind=kind,
        source_name=source_name[:300],
        content_hash=outcome.content_hash,
        rows_total=outcome.rows_total,
        rows_accepted=outcome.rows_accepted,
        rows_rejected=outcome.rows_rejected,
        version=number if status == states.INGESTED else None,
        report=outcome.report.as_json() if outcome.report else {},
        quarantine_path=str(outcome.quarantine_path) if outcome.quarantine_path else None,
        output_path=None if duplicate else str(output),
        hold_reason=reason,
        compared_version=current.version if current and reason else None,
        compared_rows=current.rows if current and reason else None,
        restores_version=restores,
        actor=actor.username,
        started_at=started,
        finished_at=clock.now(),
    )
    session.add(run)
    session.flush()  # the version row refers to the run; no ORM relationship orders them
    if not duplicate:
        _supersede_holds(session, actor=actor, clock=clock, settings=settings, by=run)
    if status == states.INGESTED:
        _make_version(session, run=run, number=number, clock=clock)
        catalog.mark_has_data(resource)
    action = {
        states.INGESTED: "data.restored" if restores else "data.ingested",
        states.HELD: "data.ingest_held",
        states.DUPLICATE: "data.ingest_duplicate",
    }[status]
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="data_resource",
        target_id=resource.id,
        at=clock.now(),
        detail={
            "run": str(run.id),
            "source": source_name[:120],
            "version": run.version,
            "rows_total": run.rows_total,
            "rows_accepted": run.rows_accepted,
            "rows_rejected": run.rows_rejected,
            "content_hash": run.content_hash,
            **({"restores_version": restores} if restores else {}),
            **(
                {
                    "hold_reason": reason,
                    "current_version": run.compared_version,
                    "current_rows": run.compared_rows,
                }
                if reason
                else {}
            ),
        },
    )
    return run


def confirm(
    session: Session, *, actor: Principal, clock: Clock, settings: Settings, run_id: uuid.UUID
) -> IngestionRun:
    """The provider accepts a held upload: it becomes the resource's new current version."""
    run = _own_run(session, actor, run_id)
    states.RUN.require(run, "confirm")
    resource = catalog.owned_resource(session, actor=actor, resource_id=run.resource_id, lock=True)
    current = current_version(session, resource.id)
    number = (current.version if current else 0) + 1
    now = clock.now()
    states.RUN.fire(
        run,
        "confirm",
        session=session,
        actor=actor,
        at=now,
        detail={
            "version": number,
            "replaces_version": current.version if current else None,
            "rows_before": current.rows if current else 0,
            "rows_after": run.rows_accepted,
            "hold_reason": run.hold_reason,
        },
    )
    run.version = number
    run.decided_by = actor.username
    run.decided_at = now
    _make_version(session, run=run, number=number, clock=clock)
    catalog.mark_has_data(resource)
    _supersede_holds(session, actor=actor, clock=clock, settings=settings, by=run)
    return run


def discard(
    session: Session, *, actor: Principal, clock: Clock, settings: Settings, run_id: uuid.UUID
) -> IngestionRun:
    """The provider drops a held upload: the current version stays; its files go."""
    run = _own_run(session, actor, run_id)
    now = clock.now()
    states.RUN.fire(
        run,
        "discard",
        session=session,
        actor=actor,
        at=now,
        detail={"rows": run.rows_accepted, "hold_reason": run.hold_reason},
    )
    run.decided_by = actor.username
    run.decided_at = now
    _release(session, settings=settings, run=run)
    return run


@dataclass(frozen=True, slots=True)
class HoldPreview:
    """What confirming a held upload would change, for its provider to decide on."""

    reason: str
    threshold_percent: int
    current_version: int | None
    current_rows: int
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    #: Accepted rows as a share of the current version's rows (None: no current version).
    share_percent: float | None
    score_before: float | None
    score_after: float | None

    @property
    def rows_change(self) -> int:
        return self.rows_accepted - self.current_rows

    @property
    def score_change(self) -> float | None:
        if self.score_before is None or self.score_after is None:
            return None
        return round(self.score_after - self.score_before, 2)


def hold_preview(session: Session, *, settings: Settings, run: IngestionRun) -> HoldPreview | None:
    """The preview of a run still held (None for any other run)."""
    if run.status != states.HELD or run.hold_reason is None:
        return None
    current = current_run(session, run.resource_id)
    rows = current.rows_accepted if current else 0
    return HoldPreview(
        reason=run.hold_reason,
        threshold_percent=settings.ingest_hold_share_percent,
        current_version=current.version if current else None,
        current_rows=rows,
        rows_total=run.rows_total,
        rows_accepted=run.rows_accepted,
        rows_rejected=run.rows_rejected,
        share_percent=round(100.0 * run.rows_accepted / rows, 2) if rows else None,
        score_before=_overall(current) if current else None,
        score_after=_overall(run),
    )


def _overall(run: IngestionRun) -> float | None:
    scores = run.report.get("scores") if run.report else None
    return float(scores["overall"]) if scores else None


def _hold_reason(accepted: int, current: DatasetVersion | None, settings: Settings) -> str | None:
    if accepted == 0:
        return NO_ROWS
    share = settings.ingest_hold_share_percent
    if current is not None and current.rows > 0 and accepted * 100 < share * current.rows:
        return SHRINKS
    return None


def _make_version(session: Session, *, run: IngestionRun, number: int, clock: Clock) -> None:
    assert run.output_path is not None
    session.add(
        DatasetVersion(
            resource_id=run.resource_id,
            version=number,
            run_id=run.id,
            path=run.output_path,
            rows=run.rows_accepted,
            content_hash=run.content_hash,
            created_at=clock.now(),
        )
    )


def _supersede_holds(
    session: Session, *, actor: Principal, clock: Clock, settings: Settings, by: IngestionRun
) -> None:
    """Every other hold of the resource still waiting gives way to ``by``."""
    for held in repository.waiting_holds(session, resource_id=by.resource_id, but=by.id):
        states.RUN.fire(
            held,
            "supersede",
            session=session,
            actor=actor,
            at=clock.now(),
            detail={"by_run": str(by.id)},
        )
        _release(session, settings=settings, run=held)


def _raw_dir(settings: Settings, provider_code: str, resource_code: str) -> Path:
    return settings.home / "raw" / provider_code / resource_code


def _release(session: Session, *, settings: Settings, run: IngestionRun) -> None:
    """Once the decision commits, remove what a run that never became a version left:
    its Parquet output, and its encrypted raw file and quarantine unless a run that is
    kept (a version, or a hold still waiting) has the same content."""
    paths: list[Path] = []
    if run.output_path:
        paths.append(Path(run.output_path))
    if not repository.kept_runs_with_content(session, run):
        resource = catalog_repository.resource(session, run.resource_id)
        provider = identity_repository.organization(session, run.provider_id)
        if resource is not None and provider is not None:
            raw = (
                _raw_dir(settings, provider.code, resource.code) / f"{run.content_hash}{RAW_SUFFIX}"
            )
            paths.append(raw)
        if run.quarantine_path:
            paths.append(Path(run.quarantine_path))
    _remove_after_commit(session, paths)


# ---------------------------------------------------------------------------------------
# Files follow the unit of work


_WRITTEN: Final = "dataplane.written"  # removed if the unit of work rolls back
_RELEASED: Final = "dataplane.released"  # removed once the unit of work commits


def _remove_on_rollback(session: Session, paths: Iterable[Path]) -> None:
    session.info.setdefault(_WRITTEN, []).extend(paths)
    _listen(session)


def _remove_after_commit(session: Session, paths: Iterable[Path]) -> None:
    session.info.setdefault(_RELEASED, []).extend(paths)
    _listen(session)


def _listen(session: Session) -> None:
    if not event.contains(session, "after_commit", _committed):
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_rollback", _rolled_back)


def _committed(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _remove(session.info.pop(_RELEASED, []))


def _rolled_back(session: Session) -> None:
    session.info.pop(_RELEASED, None)
    _remove(session.info.pop(_WRITTEN, []))


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _kind(path: Path) -> str:
    try:
        return source_format(path)
    except SourceError:
        return "unknown"


def visible_run(session: Session, *, actor: Principal, run_id: uuid.UUID) -> IngestionRun:
    """One run, for whoever may see it (its department, the bureau's side); else 404."""
    actor.require(Permission.QUALITY_READ)
    run = repository.run(session, actor=actor, run_id=run_id)
    if run is None:
        raise NotFound("ingest.run_unknown")
    return run


def visible_runs(
    session: Session, *, actor: Principal, resource_id: uuid.UUID
) -> list[IngestionRun]:
    """A resource's runs, newest first, for whoever may see them; a resource the actor may
    not see is 404."""
    actor.require(Permission.QUALITY_READ)
    if catalog_repository.visible_resource(session, actor=actor, resource_id=resource_id) is None:
        raise NotFound("catalog.resource_unknown")
    return resource_runs(session, actor=actor, resource_id=resource_id)


def resource_runs(
    session: Session, *, actor: Principal, resource_id: uuid.UUID
) -> list[IngestionRun]:
    """The runs of a resource (one the actor may see) the actor may see, newest first: none
    without ``quality.read`` (their file names, counts and scores are not for everyone)."""
    if not actor.has(Permission.QUALITY_READ):
        return []
    return repository.runs(session, actor=actor, resource_id=resource_id)


def run_page(
    session: Session, *, actor: Principal, resource_id: uuid.UUID, query: ListQuery
) -> Page[IngestionRun]:
    """One page of a resource's runs, for whoever may see them; a resource the actor may
    not see is 404."""
    actor.require(Permission.QUALITY_READ)
    if catalog_repository.visible_resource(session, actor=actor, resource_id=resource_id) is None:
        raise NotFound("catalog.resource_unknown")
    return repository.run_page(session, actor=actor, resource_id=resource_id, query=query)


def recent_runs(
    session: Session, *, actor: Principal, resource_id: uuid.UUID, size: int
) -> Page[IngestionRun]:
    """The newest runs of a resource (one the actor may see) and how many there are; none
    without ``quality.read``, like ``resource_runs``."""
    query = ListQuery(size=size, sort="started", descending=True)
    if not actor.has(Permission.QUALITY_READ):
        return Page([], 0, query)
    return repository.run_page(session, actor=actor, resource_id=resource_id, query=query)


def waiting_hold(
    session: Session, *, actor: Principal, resource_id: uuid.UUID
) -> IngestionRun | None:
    """The resource's upload waiting for its provider's decision, if the actor may see it."""
    if not actor.has(Permission.QUALITY_READ):
        return None
    return repository.waiting_hold(session, actor=actor, resource_id=resource_id)


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
    run = _own_run(session, actor, run_id)
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


def latest_reports(session: Session) -> list[IngestionRun]:
    """The run behind the current version of every resource that has data (a held or
    discarded upload never counts: only what the data is now). An aggregate for the
    provider scores, which the bureau's side reads."""
    return repository.latest_reports(session)


def newest_version_times(session: Session) -> dict[uuid.UUID, datetime]:
    """When each resource with data last got a version (for timeliness)."""
    return repository.newest_version_times(session)
