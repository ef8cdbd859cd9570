"""The export gate (出域, R8.6): a query's result leaves the platform only checked and approved.

1. **Request.** The operator names a query of its workspace's history and why it should
   leave, optionally with ε for differential privacy. The gate's automatic checks run in
   the guard (``guard.export_checks``: same versions, policy, columns, k subjects with
   small groups suppressed, noise); a refusal is problem+json with its code.
2. **Budget.** With ε, the workspace's ε budget (``sandbox_dp_epsilon_budget``) is spent
   by one conditional UPDATE (``export_repository.spend``), after the checks and in the
   request's transaction: concurrent requests on PostgreSQL wait for the row and never
   overspend; one beyond the budget is refused (``privacy_budget_exhausted``) and its
   refusal audited; a request refused for any other reason spends nothing.
3. **Candidate.** What passed (after suppression and noise) is written as CSV (UTF-8, a
   header row) with ``dataplane.derived`` under the workspace's owner agreement, SM4
   encrypted: the bureau reviews exactly these bytes and the operator downloads exactly
   them. Ending the agreement destroys the file with the rest of its derived data.
4. **Review.** A bureau user (``sandbox.export_review``) approves, which writes the
   manifest and signs it with the bureau's SM2 key, or rejects with a reason, which
   deletes the file once the rejection commits. A chain that ends while a request waits
   lapses it (the endings hook ``"exports"``; on the next review if the ending happened
   where the sandbox was not loaded).
5. **Download.** The operator of the workspace (nobody else: 404) downloads the file and
   the manifest of an approved export; each download is audited.

The manifest names the export, the operator, the agreement, the purpose, the query (its
SQL and the SQL's SM3), the versions read, the checks passed, k, the groups suppressed,
ε and the noise, and the file (name, size, rows, SM3). Its SM3 digest is that of its
canonical JSON (``core.canonical``), signed with SM2 like the agreements and certificates:
anyone with the bureau's public key (``/api/v1/public-keys``) can check it.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session

from sluice.audit import details as audit_details
from sluice.audit import service as audit
from sluice.authorizations import destruction, endings, parties
from sluice.authorizations import service as authorizations
from sluice.authorizations import states as authorization_states
from sluice.core.canonical import canonical_bytes, canonical_digest
from sluice.core.errors import InvalidInput, KeptWrite, NotFound, SluiceError
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex
from sluice.core.keystore import KeyStoreError
from sluice.core.paging import ListQuery, Page
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.dataplane import derived
from sluice.guard import export_checks
from sluice.guard.export_checks import ExportSubmitted
from sluice.identity import signing
from sluice.sandbox import export_repository as repository
from sluice.sandbox import queries, workspaces
from sluice.sandbox import repository as sandbox_repository
from sluice.sandbox.export_models import ExportRequest
from sluice.sandbox.export_repository import ExportRow
from sluice.sandbox.export_states import APPROVED, EXPORT, PENDING
from sluice.sandbox.models import Workspace

REQUESTED: Final = "sandbox_export.requested"
REFUSED: Final = "sandbox_export.refused"
DOWNLOADED: Final = "sandbox_export.downloaded"
#: Who lapses a request whose agreement ended where no hook saw it.
PLATFORM: Final = Principal.system("sandbox")
MANIFEST_FORMAT: Final = "sluice-export-manifest/1"
FILE_TYPE: Final = "text/csv; charset=utf-8"
MAX_PURPOSE: Final = 500
MAX_REASON: Final = 2000
#: The smallest ε one request may ask for, and the unit ε is kept in.
MIN_EPSILON: Final = Decimal("0.01")
MICRO: Final = Decimal(1_000_000)

audit.declare_actions(
    {
        REQUESTED: ("申请结果出域", "Export requested"),
        REFUSED: ("出域申请被拒绝", "Export request refused"),
        DOWNLOADED: ("下载出域结果", "Export downloaded"),
    }
)
audit.declare_target_types({"sandbox_export": ("出域申请", "Export request")})
audit_details.declare_detail_labels(
    {
        "file_sm3": ("文件的 SM3 摘要", "SM3 of the file"),
        "manifest_digest": ("清单摘要", "Manifest digest"),
        "what": ("内容", "What"),
    }
)
add_messages(
    {
        "problem.export_query_not_run": ("该查询未执行", "The query did not run"),
        "problem.privacy_budget_exhausted": ("隐私预算不足", "Privacy budget exhausted"),
        "problem.export_lapsed": ("出域申请已失效", "Export request lapsed"),
        "problem.export_destroyed": ("出域结果已销毁", "Export destroyed"),
        "export.not_found": ("出域申请不存在。", "There is no such export request."),
        "export.query_not_run": (
            "该查询被拒绝（{code}），没有结果可以出域：请先修改查询并成功运行。",
            "That query was refused ({code}), so it has no result to export; fix it and run "
            "it first.",
        ),
        "export.budget_exhausted": (
            "本工作区的隐私预算 ε 共 {budget}，已用 {spent}，剩余 {left}，不足本次申请的 {asked}。",
            "This workspace's privacy budget is ε {budget}; {spent} is spent and {left} is "
            "left, less than the {asked} asked for.",
        ),
        "export.purpose.required": (
            "请说明出域用途（至少 2 个字）。",
            "Say what the export is for (at least 2 characters).",
        ),
        "export.purpose.too_long": (
            "用途不能超过 {limit} 个字符。",
            "The purpose may be at most {limit} characters long.",
        ),
        "export.epsilon.invalid": (
            "ε 应在 {low} 到 {high}（本工作区的预算）之间。",
            "ε must be between {low} and {high} (this workspace's budget).",
        ),
        "export.reason.required": (
            "请写明驳回理由（至少 2 个字）。",
            "Give the reason for rejecting (at least 2 characters).",
        ),
        "export.reason.too_long": (
            "理由不能超过 {limit} 个字符。",
            "The reason may be at most {limit} characters long.",
        ),
        "export.lapsed": (
            "授权运营协议已终止，该出域申请已失效，其候选结果随协议数据一并销毁。",
            "The agreement has ended: this export request lapsed, and its candidate result "
            "is destroyed with the agreement's data.",
        ),
        "export.destroyed": (
            "授权运营协议已终止，该出域结果已随协议数据一并销毁。",
            "The agreement has ended and this export was destroyed with its data.",
        ),
        "export.not_approved": (
            "该出域申请尚未批准，不能下载。",
            "This export has not been approved and cannot be downloaded.",
        ),
    }
)


class QueryNotRun(SluiceError):
    status = 422
    code = "export_query_not_run"


class PrivacyBudgetExhausted(SluiceError):
    status = 409
    code = "privacy_budget_exhausted"


class ExportLapsed(SluiceError):
    status = 409
    code = "export_lapsed"


class ExportDestroyed(SluiceError):
    status = 410
    code = "export_destroyed"


class NotApproved(SluiceError):
    status = 409
    code = "export_not_approved"


add_messages({"problem.export_not_approved": ("尚未批准", "Not approved")})


# -- reads ----------------------------------------------------------------------------------


def visible(session: Session, *, actor: Principal, at: datetime, export_id: uuid.UUID) -> ExportRow:
    """The request if the actor may see it (its workspace's operator, the bureau)."""
    actor.require(Permission.SANDBOX_READ)
    found = repository.export(session, actor, export_id)
    if found is None:
        raise NotFound("export.not_found")
    _lapse_if_ended(session, found.export, at)
    return found


def in_workspace(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    workspace_id: uuid.UUID,
    export_id: uuid.UUID,
) -> ExportRequest:
    """A request of this workspace, as its reader may see it; any other is ``not_found``."""
    workspaces.visible(session, actor=actor, at=at, workspace_id=workspace_id)
    found = visible(session, actor=actor, at=at, export_id=export_id).export
    if found.workspace_id != workspace_id:
        raise NotFound("export.not_found")
    return found


def of_workspace(
    session: Session, *, actor: Principal, at: datetime, workspace_id: uuid.UUID
) -> list[ExportRequest]:
    workspace = workspaces.visible(session, actor=actor, at=at, workspace_id=workspace_id)
    return repository.of_workspace(session, workspace.id)


def page(session: Session, *, actor: Principal, at: datetime, query: ListQuery) -> Page[ExportRow]:
    actor.require(Permission.SANDBOX_READ)
    found = repository.export_page(session, actor, query)
    for row in found.items:
        _lapse_if_ended(session, row.export, at)
    return found


def pending(session: Session, *, actor: Principal, limit: int) -> tuple[int, list[ExportRow]]:
    actor.require(Permission.SANDBOX_EXPORT_REVIEW)
    return repository.pending(session, actor, limit=limit)


@dataclass(frozen=True)
class Budget:
    total: Decimal
    spent: Decimal

    @property
    def left(self) -> Decimal:
        return max(self.total - self.spent, Decimal(0))


def budget(session: Session, *, settings: Settings, workspace: Workspace) -> Budget:
    """The workspace's ε budget, and what its exports spent of it."""
    return Budget(_total(settings), _epsilon(repository.spent(session, workspace.id)))


@dataclass(frozen=True)
class Candidate:
    """The candidate result as the file holds it (text, as CSV keeps it)."""

    columns: list[str]
    rows: list[list[str]]


def candidate(settings: Settings, export: ExportRequest, *, limit: int) -> Candidate | None:
    """The first rows of the candidate file; ``None`` once it was deleted or destroyed."""
    data = _read(settings, export)
    if data is None:
        return None
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader, [])
    rows = [row for _, row in zip(range(limit), reader, strict=False)]
    return Candidate(header, rows)


# -- the request ----------------------------------------------------------------------------


def request(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    workspace_id: uuid.UUID,
    query_id: uuid.UUID,
    purpose: str,
    epsilon: Decimal | float | str | None = None,
) -> ExportRequest:
    """Check a query of the history for export and keep its candidate for review (see the
    module docstring); a refusal says why, in the reader's language."""
    purpose = _purpose(purpose)
    micro = _micro(epsilon, settings)
    earlier = queries.query(
        session, actor=actor, at=at, workspace_id=workspace_id, query_id=query_id
    )
    if earlier.outcome != "ok" or not earlier.checked_sql:
        raise QueryNotRun("export.query_not_run", code=earlier.outcome)
    workspace = workspaces.visible(session, actor=actor, at=at, workspace_id=workspace_id)
    workspaces.require_active(workspace)
    agreement = workspaces.agreement(session, workspace, at=at)
    export_id = uuid.uuid4()
    if micro is not None:
        _check_budget(session, settings, actor, at, workspace, export_id, micro)
    candidate = export_checks.check_export(
        session,
        actor=actor,
        settings=settings,
        at=at,
        submitted=ExportSubmitted(
            export_id=export_id,
            query_id=earlier.id,
            workspace_key=str(workspace.id),
            authorization_id=agreement.id,
            sql=earlier.checked_sql,
            versions=earlier.versions,
            min_subjects=settings.sandbox_export_min_subjects,
            epsilon=_epsilon(micro) if micro is not None else None,
        ),
    )
    if micro is not None and not repository.spend(
        session, workspace.id, micro, _micro_of(_total(settings))
    ):
        raise _budget_refusal(session, settings, actor, at, workspace, export_id, micro)
    data = _csv(candidate.columns, candidate.rows)
    name = f"export-{export_id}.csv"
    derived.write(settings, workspace.owner_id, name, data)
    _delete_if_rolled_back(session, settings, workspace.owner_id, name)
    export = ExportRequest(
        id=export_id,
        workspace_id=workspace.id,
        query_id=earlier.id,
        authorization_id=agreement.id,
        purpose=purpose,
        requested_by=actor.username,
        requested_at=at,
        status=PENDING,
        sql=candidate.sql,
        sql_sm3=sm3_hex(candidate.sql),
        versions=candidate.read_versions,
        columns=[{"name": n, "type": t} for n, t in candidate.columns],
        checks=candidate.checks,
        min_subjects=settings.sandbox_export_min_subjects,
        groups=candidate.groups,
        suppressed_groups=candidate.suppressed_groups,
        epsilon_micro=micro,
        noise=candidate.noise,
        rows=len(candidate.rows),
        owner_id=workspace.owner_id,
        file_name=name,
        file_sm3=sm3_hex(data),
        file_bytes=len(data),
    )
    session.add(export)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=REQUESTED,
        target_type="sandbox_export",
        target_id=export.id,
        at=at,
        detail={
            "workspace": str(workspace.id),
            "query": str(earlier.id),
            "authorization": agreement.number,
            "purpose": purpose[:200],
            "min_subjects": export.min_subjects,
            "groups": export.groups,
            "suppressed_groups": export.suppressed_groups,
            **({"epsilon": str(_epsilon(micro))} if micro is not None else {}),
            "file_sm3": export.file_sm3,
        },
        authorization_id=agreement.id,
        purpose=purpose,
        resources=[view.resource_id for view in candidate.read],
    )
    return export


def _purpose(purpose: str) -> str:
    purpose = " ".join(purpose.split())
    if len(purpose) < 2:
        raise InvalidInput("export.purpose.required")
    if len(purpose) > MAX_PURPOSE:
        raise InvalidInput("export.purpose.too_long", limit=MAX_PURPOSE)
    return purpose


def _total(settings: Settings) -> Decimal:
    return Decimal(str(settings.sandbox_dp_epsilon_budget)).quantize(Decimal("0.000001"))


def _micro_of(epsilon: Decimal) -> int:
    return int((epsilon * MICRO).to_integral_value())


def _epsilon(micro: int) -> Decimal:
    return (Decimal(micro) / MICRO).normalize()


def _micro(epsilon: Decimal | float | str | None, settings: Settings) -> int | None:
    """ε as millionths, or ``None`` for no noise; between 0.01 and the budget."""
    if epsilon is None or epsilon == "":
        return None
    total = _total(settings)
    try:
        value = Decimal(str(epsilon))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not MIN_EPSILON <= value <= total:
        raise InvalidInput(
            "export.epsilon.invalid", low=str(MIN_EPSILON), high=str(total.normalize())
        )
    return _micro_of(value)


def _check_budget(
    session: Session,
    settings: Settings,
    actor: Principal,
    at: datetime,
    workspace: Workspace,
    export_id: uuid.UUID,
    micro: int,
) -> None:
    """Refuse at once a request the budget plainly cannot cover (the conditional UPDATE
    after the checks is what decides; this only spares running them)."""
    if repository.spent(session, workspace.id) + micro > _micro_of(_total(settings)):
        raise _budget_refusal(session, settings, actor, at, workspace, export_id, micro)


def _budget_refusal(
    session: Session,
    settings: Settings,
    actor: Principal,
    at: datetime,
    workspace: Workspace,
    export_id: uuid.UUID,
    micro: int,
) -> SluiceError:
    total = _total(settings)
    spent = _epsilon(repository.spent(session, workspace.id))
    error = PrivacyBudgetExhausted(
        "export.budget_exhausted",
        budget=str(total.normalize()),
        spent=str(spent),
        left=str(max(total - spent, Decimal(0)).normalize()),
        asked=str(_epsilon(micro)),
    )
    return error.keep(
        _refusal_row(actor, at, workspace.id, export_id, error.code, epsilon=str(_epsilon(micro)))
    )


def _refusal_row(
    actor: Principal,
    at: datetime,
    workspace_id: uuid.UUID,
    export_id: uuid.UUID,
    code: str,
    **detail: Any,
) -> KeptWrite:
    def write(session: Session) -> None:
        audit.record(
            session,
            actor=actor,
            action=REFUSED,
            target_type="sandbox_export",
            target_id=export_id,
            at=at,
            outcome="refused",
            detail={"workspace": str(workspace_id), "code": code, **detail},
        )

    return write


def _csv(columns: tuple[tuple[str, str], ...], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in columns])
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


# -- the review -----------------------------------------------------------------------------


def _reviewing(
    session: Session, actor: Principal, at: datetime, export_id: uuid.UUID, transition: str
) -> ExportRequest:
    actor.require(Permission.SANDBOX_EXPORT_REVIEW)
    found = repository.export(session, actor, export_id)
    if found is None:
        raise NotFound("export.not_found")
    export = found.export
    EXPORT.require(export, transition)
    if _chain_ended(session, export):
        key = export.id

        def lapse(session: Session) -> None:
            kept = repository.export(session, PLATFORM, key)
            if kept is not None:
                _lapse_if_ended(session, kept.export, at)

        raise ExportLapsed("export.lapsed").keep(lapse)
    return export


def approve(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    export_id: uuid.UUID,
    note: str = "",
) -> ExportRequest:
    """Approve the export: the manifest is written and signed with the bureau's SM2 key."""
    export = _reviewing(session, actor, at, export_id, "approve")
    data = _read(settings, export)
    if data is None or sm3_hex(data) != export.file_sm3:  # pragma: no cover - tampering only
        raise ExportDestroyed("export.destroyed")
    export.decided_by, export.decided_at = actor.username, at
    export.decision_reason = " ".join(note.split())[:MAX_REASON] or None
    content = _manifest(session, export, actor=actor, at=at)
    digest = canonical_digest(content)
    bureau = parties.bureau_organization(session)
    made = signing.sign(
        session, organization_id=bureau.id, message=bytes.fromhex(digest), settings=settings, at=at
    )
    export.manifest = json.loads(canonical_bytes(content))
    export.manifest_digest = digest
    export.signer_organization_id = bureau.id
    export.public_key_hex = made.public_key_hex
    export.signature_hex = made.signature_hex
    EXPORT.fire(
        export,
        "approve",
        session=session,
        actor=actor,
        at=at,
        detail={"manifest_digest": digest, "file_sm3": export.file_sm3},
    )
    session.flush()
    return export


def reject(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    export_id: uuid.UUID,
    reason: str,
) -> ExportRequest:
    """Reject the export with a reason; its candidate file is deleted once this commits."""
    reason = " ".join(reason.split())
    if len(reason) < 2:
        raise InvalidInput("export.reason.required")
    if len(reason) > MAX_REASON:
        raise InvalidInput("export.reason.too_long", limit=MAX_REASON)
    export = _reviewing(session, actor, at, export_id, "reject")
    export.decided_by, export.decided_at, export.decision_reason = actor.username, at, reason
    EXPORT.fire(export, "reject", session=session, actor=actor, at=at, detail={"reason": reason})
    _delete_after_commit(session, settings, export.owner_id, export.file_name)
    session.flush()
    return export


def _manifest(
    session: Session, export: ExportRequest, *, actor: Principal, at: datetime
) -> dict[str, Any]:
    workspace = session.get(Workspace, export.workspace_id)
    assert workspace is not None  # a foreign key guarantees it
    operator = parties.organization(session, workspace.operator_id)
    bureau = parties.bureau_organization(session)
    agreement = authorizations.seen(session, PLATFORM, export.authorization_id)
    return {
        "manifest": MANIFEST_FORMAT,
        "export": export.id,
        "issued_at": at,
        "issuer": {"name": bureau.name, "credit_code": bureau.credit_code},
        "operator": {
            "name": operator.name if operator else str(workspace.operator_id),
            "credit_code": operator.credit_code if operator else None,
        },
        "workspace": workspace.id,
        "scenario": workspace.scenario,
        "authorization": {"id": agreement.id, "number": agreement.number},
        "purpose": export.purpose,
        "requested_by": export.requested_by,
        "requested_at": export.requested_at,
        "approved_by": actor.username,
        "query": {"id": export.query_id, "sql": export.sql, "sql_sm3": export.sql_sm3},
        "versions": export.versions,
        "checks": export.checks,
        "k": export.min_subjects,
        "groups": export.groups,
        "suppressed_groups": export.suppressed_groups,
        "privacy": (
            {"epsilon": str(_epsilon(export.epsilon_micro)), "noise": export.noise}
            if export.epsilon_micro is not None
            else None
        ),
        "file": {
            "name": export.file_name,
            "media_type": FILE_TYPE,
            "bytes": export.file_bytes,
            "rows": export.rows,
            "columns": export.columns,
            "sm3": export.file_sm3,
        },
    }


# -- downloads ------------------------------------------------------------------------------


def _downloading(
    session: Session, actor: Principal, at: datetime, workspace_id: uuid.UUID, export_id: uuid.UUID
) -> ExportRequest:
    """An approved export of the caller's own workspace (the operator's alone)."""
    actor.require(Permission.SANDBOX_QUERY)
    export = in_workspace(
        session, actor=actor, at=at, workspace_id=workspace_id, export_id=export_id
    )
    if export.status != APPROVED:
        raise NotApproved("export.not_approved")
    return export


def manifest_document(export: ExportRequest) -> dict[str, Any]:
    """The signed manifest as it is downloaded: the content, its digest and the signature."""
    return {
        "content": export.manifest,
        "digest": export.manifest_digest,
        "signature": {
            "algorithm": signing.ALGORITHM,
            "public_key_hex": export.public_key_hex,
            "signature_hex": export.signature_hex,
        },
    }


def manifest_bytes(document: dict[str, Any]) -> bytes:
    """The manifest document as it is downloaded (readable JSON; the digest is over the
    content's canonical form, not over these bytes)."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def epsilon_text(export: ExportRequest) -> str | None:
    """ε as decimal text, ``None`` for an export without noise."""
    return None if export.epsilon_micro is None else str(_epsilon(export.epsilon_micro))


def manifest(
    session: Session,
    *,
    actor: Principal,
    at: datetime,
    workspace_id: uuid.UUID,
    export_id: uuid.UUID,
) -> dict[str, Any]:
    export = _downloading(session, actor, at, workspace_id, export_id)
    _downloaded(session, actor, at, export, "manifest")
    return manifest_document(export)


def file(
    session: Session,
    *,
    actor: Principal,
    settings: Settings,
    at: datetime,
    workspace_id: uuid.UUID,
    export_id: uuid.UUID,
) -> tuple[str, bytes]:
    """The approved file's name and bytes (``export_destroyed`` once its agreement ended)."""
    export = _downloading(session, actor, at, workspace_id, export_id)
    data = _read(settings, export)
    if data is None:
        raise ExportDestroyed("export.destroyed")
    _downloaded(session, actor, at, export, "file")
    return export.file_name, data


def _downloaded(
    session: Session, actor: Principal, at: datetime, export: ExportRequest, what: str
) -> None:
    audit.record(
        session,
        actor=actor,
        action=DOWNLOADED,
        target_type="sandbox_export",
        target_id=export.id,
        at=at,
        detail={"what": what, "file_sm3": export.file_sm3},
        authorization_id=export.authorization_id,
        purpose=export.purpose,
        resources=[uuid.UUID(str(v["resource_id"])) for v in export.versions if "resource_id" in v],
    )


def verify_manifest(document: dict[str, Any], public_key_hex: str) -> bool:
    """The manifest's content hashes to its digest and the signature checks under the key
    (what anyone with the bureau's public key can do without the platform)."""
    digest = document.get("digest")
    signature = document.get("signature") or {}
    return (
        isinstance(digest, str)
        and canonical_digest(document.get("content") or {}) == digest
        and signing.verify(
            public_key_hex, bytes.fromhex(digest), signature.get("signature_hex", "")
        )
    )


# -- files ----------------------------------------------------------------------------------


def _read(settings: Settings, export: ExportRequest) -> bytes | None:
    try:
        return derived.read(settings, export.owner_id, export.file_name)
    except (KeyStoreError, FileNotFoundError):
        return None


_WRITTEN: Final = "sandbox.export_files_written"
_REJECTED: Final = "sandbox.export_files_rejected"


def _delete_if_rolled_back(
    session: Session, settings: Settings, owner: uuid.UUID, name: str
) -> None:
    """A candidate written in a transaction that rolls back (a later refusal, a failed
    commit) is deleted again: no file without its request."""
    session.info.setdefault(_WRITTEN, []).append((settings, owner, name))
    if not event.contains(session, "after_rollback", _delete_written):
        event.listen(session, "after_rollback", _delete_written)
        event.listen(session, "after_commit", _keep_written)


def _delete_written(session: Session) -> None:
    for settings, owner, name in session.info.pop(_WRITTEN, []):
        derived.delete(settings, owner, name)


def _keep_written(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


def _delete_after_commit(session: Session, settings: Settings, owner: uuid.UUID, name: str) -> None:
    """A rejected candidate is deleted once the rejection commits (never before: a rollback
    must not lose it)."""
    session.info.setdefault(_REJECTED, []).append((settings, owner, name))
    if not event.contains(session, "after_commit", _delete_rejected):
        event.listen(session, "after_commit", _delete_rejected)
        event.listen(session, "after_rollback", _forget_rejected)


def _delete_rejected(session: Session) -> None:
    for settings, owner, name in session.info.pop(_REJECTED, []):
        derived.delete(settings, owner, name)


def _forget_rejected(session: Session) -> None:
    session.info.pop(_REJECTED, None)


# -- endings --------------------------------------------------------------------------------


def _chain_ended(session: Session, export: ExportRequest) -> bool:
    owner = authorizations.seen(session, PLATFORM, export.owner_id)
    return all(m.status in authorization_states.ENDED for m in destruction.chain(session, owner))


def _lapse(session: Session, export: ExportRequest, *, actor: Principal, at: datetime) -> None:
    EXPORT.fire(export, "lapse", session=session, actor=actor, at=at)
    export.decided_at = at


def _lapse_if_ended(session: Session, export: ExportRequest, at: datetime) -> None:
    """A request still waiting when its chain ended where no hook saw it lapses now."""
    if export.status == PENDING and _chain_ended(session, export):
        _lapse(session, export, actor=PLATFORM, at=at)


def _lapse_with(session: Session, ending: endings.Ending) -> None:
    """The endings hook: once nothing of the chain is left, its waiting exports lapse (their
    files go with the chain's derived data, destroyed after the ending commits)."""
    owner = destruction.chain(session, ending.authorization)[0]
    if any(m.status not in authorization_states.ENDED for m in destruction.chain(session, owner)):
        return  # a renewal carries the workspace and its requests on
    workspace = sandbox_repository.by_owner(session, owner.id)
    if workspace is None:
        return
    for export in repository.pending_of_workspace(session, workspace.id):
        _lapse(session, export, actor=ending.actor, at=ending.at)


endings.register_ending_hook("exports", _lapse_with)
