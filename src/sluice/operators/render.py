"""What is stored, read back: check results in the reader's language, evidence files as
downloads (API and console alike)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

from sluice.operators import checks
from sluice.operators.models import OperatorCheckResult, OperatorEvidence
from sluice.operators.schemas import CheckRead, FindingRead, PathStep


def path_steps(path: list[dict[str, Any]], locale: str) -> list[PathStep]:
    return [
        PathStep(
            entity_id=str(step["entity_id"]),
            name=step["name"],
            jurisdiction=step["jurisdiction"],
            relation=step.get("relation"),
            share_bp=step.get("share_bp"),
            foreign=bool(step.get("foreign")),
            label=checks.step_label(step, locale),
        )
        for step in path
    ]


def check_read(row: OperatorCheckResult, locale: str) -> CheckRead:
    explanation = row.explanation
    return CheckRead(
        check=row.check,
        requirement=row.requirement,
        entity_name=row.entity_name,
        for_applicant=row.for_applicant,
        result=row.result,
        message=checks.localize(explanation["key"], explanation.get("params", {}), locale),
        findings=[
            FindingRead(
                result=f["result"], message=checks.localize(f["key"], f.get("params", {}), locale)
            )
            for f in explanation.get("findings", [])
        ],
        paths=[path_steps(path, locale) for path in row.paths],
    )


def download(document: OperatorEvidence, content: bytes) -> Response:
    return Response(
        content,
        media_type=document.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
            "X-Content-SM3": document.sm3,
            # Downloaded, never rendered here: the content type is whatever the uploader said.
            "X-Content-Type-Options": "nosniff",
        },
    )
