"""A provider's workbench panel of uploads held for its confirmation.

An upload that would leave a dataset empty, or with far fewer rows than its current version,
is held until the providing department confirms or discards it (``states``); until then the
old data stays. Only the department's own holds are shown (as ``repository._visible`` and
the service's ownership check decide for the run pages).
"""

from __future__ import annotations

from sqlalchemy import func, select

from sluice.catalog.models import DataResource
from sluice.core.clock import display
from sluice.core.i18n import add_messages
from sluice.core.permissions import Permission, Role
from sluice.ingestion.models import IngestionRun
from sluice.ingestion.states import HELD
from sluice.web.workbench import ROWS, Context, Panel, PanelContent, Todo, add_panel

add_messages(
    {
        "workbench.uploads": ("待确认的上传", "Uploads held for you"),
        "workbench.uploads.held": (
            "待确认：{n} 次上传的数据明显少于当前版本，确认替换或放弃",
            "To confirm: {n} uploads hold much less data than the current version; confirm "
            "or discard them",
        ),
        "workbench.uploads.row": (
            "{resource} · {file}（{rows} 行，当前版本 {current} 行）",
            "{resource} · {file} ({rows} rows; the current version has {current})",
        ),
        "workbench.uploads.at": ("上传于 {at}", "uploaded {at}"),
        "workbench.uploads.none": (
            "没有等待确认的上传。上传的数据通过校验即入库。",
            "No upload waits for you. Uploads that pass the checks are stored at once.",
        ),
    }
)


def _load(ctx: Context) -> PanelContent:
    org = ctx.principal.organization_id
    if org is None:
        return PanelContent(note=ctx._("workbench.uploads.none"))
    held = [IngestionRun.provider_id == org, IngestionRun.status == HELD]
    total = ctx.session.scalar(select(func.count(IngestionRun.id)).where(*held)) or 0
    if not total:
        return PanelContent(note=ctx._("workbench.uploads.none"))
    rows = ctx.session.execute(
        select(IngestionRun, DataResource.name)
        .join(DataResource, DataResource.id == IngestionRun.resource_id)
        .where(*held)
        .order_by(IngestionRun.started_at, IngestionRun.id)
        .limit(ROWS)
    ).all()
    return PanelContent(
        todos=[
            Todo(
                ctx._("workbench.uploads.held", n=total),
                f"/console/ingestions/{rows[0][0].id}",
                rows=[
                    Todo(
                        ctx._(
                            "workbench.uploads.row",
                            resource=name,
                            file=run.source_name,
                            rows=run.rows_accepted,
                            current="—" if run.compared_rows is None else run.compared_rows,
                        ),
                        f"/console/ingestions/{run.id}",
                        meta=ctx._("workbench.uploads.at", at=display(run.started_at)),
                    )
                    for run, name in rows
                ],
            )
        ],
        note=ctx._("workbench.uploads.none"),
    )


add_panel(
    Panel(
        "workbench.uploads",
        Permission.DATA_INGEST,
        _load,
        order=20,
        roles=frozenset({Role.PROVIDER}),
    )
)
