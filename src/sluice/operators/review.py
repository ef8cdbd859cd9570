"""Submitting for review, the automated checks, the checklist judged, the decision.

* Submitting needs the evidence every active checklist item asks for (unless the applicant
  meets it by relying on the bureau's platform, where the item allows that); it runs the
  automated checks (``checks``) on the dossier and keeps every result of the run.
* The reviewer may run the checks again, judges each checklist item met or not met (not met
  with a note), and decides with a reason: qualify, reject or return for changes.
* Qualifying is refused while an automated check fails (unless the applicant qualifies
  through a controlled entity, R2.9) or a checklist item is not judged met. The checks are
  run once more when qualifying, so the decision rests on the rules and settings of that
  moment.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock, local
from sluice.core.errors import SluiceError
from sluice.core.i18n import MessageList, add_messages
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.operators import checklist, checks, dossier, guards, repository
from sluice.operators.guards import ENTITY
from sluice.operators.models import (
    OperatorApplication,
    OperatorChecklistAnswer,
    OperatorChecklistItem,
    OperatorCheckResult,
)
from sluice.operators.schemas import Decision, Judgment
from sluice.operators.states import APPLICATION

audit.declare_actions(
    {
        f"{ENTITY}.checks_run": ("运行自动检查", "Automated checks run"),
        f"{ENTITY}.item_judged": ("判定清单项", "Checklist item judged"),
    }
)


class QualificationBlocked(SluiceError):
    status = 409
    code = "qualification_blocked"


add_messages(
    {
        "problem.qualification_blocked": ("暂不能认定合格", "Cannot qualify yet"),
        "error.qualification_blocked": (
            "暂不能认定合格。",
            "The application cannot be qualified yet.",
        ),
        "operators.blocked": (
            "不能认定合格。未通过的自动检查：{checks}；未判定或判定为不符合的清单项：{items}。",
            "Cannot qualify. Automated checks failing: {checks}; checklist items not judged "
            "or not met: {items}.",
        ),
        "operators.evidence_missing": (
            "以下清单项需要上传证明材料：{items}。",
            "These checklist items need evidence: {items}.",
        ),
        "operators.note_required": (
            "判定为不符合时须说明理由。",
            "Please say why the item is not met.",
        ),
        "operators.reason_required": (
            "请填写审核意见（理由）。",
            "Please give the reason for the decision.",
        ),
    }
)


def _run_checks(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    application: OperatorApplication,
) -> checks.Evaluation:
    filed = dossier.for_checks(session, application)
    now = clock.now()
    evaluation = checks.evaluate(filed, settings, on=local(now).date())
    run = application.checks_run + 1
    domestic = settings.domestic_jurisdictions
    rows: list[tuple[str, bool, checks.CheckResult]] = [
        (filed.applicant, True, r) for r in evaluation.applicant_results
    ]
    for tried in evaluation.controlled:
        rows += [(tried.path.end.key, False, r) for r in tried.results]
    for position, (key, own, result) in enumerate(rows):
        session.add(
            OperatorCheckResult(
                application_id=application.id,
                run=run,
                position=position,
                entity_id=uuid.UUID(key),
                entity_name=filed.graph.node(key).name,
                for_applicant=own,
                check=result.check.value,
                requirement=result.requirement,
                result=result.result.value,
                explanation=result.explanation(),
                paths=[checks.path_json(p, domestic=domestic) for p in result.paths],
                ran_at=now,
            )
        )
    through = evaluation.through
    application.checks_run = run
    application.checked_at = now
    application.verdict = evaluation.verdict.value
    application.qualifying_entity_id = uuid.UUID(through.path.end.key) if through else None
    application.qualifying_path = (
        checks.path_json(through.path, domestic=domestic, downwards=True) if through else None
    )
    session.flush()
    guards.record(
        session,
        actor=actor,
        at=now,
        action="checks_run",
        target_id=application.id,
        detail={
            "run": run,
            "verdict": evaluation.verdict.value,
            "results": {r.check.value: r.result.value for r in evaluation.applicant_results},
            "through": through.path.end.name if through else None,
            "settings": {
                "domestic_jurisdictions": list(domestic),
                "min_net_assets_fen": settings.operator_min_net_assets_fen,
                "min_committed_funds_fen": settings.operator_min_committed_funds_fen,
                "max_debt_ratio_percent": settings.operator_max_debt_ratio_percent,
                "require_clean_audit": settings.operator_require_clean_audit,
                "incident_years": settings.operator_incident_years,
            },
        },
    )
    return evaluation


def _missing_evidence(
    session: Session, application: OperatorApplication
) -> list[OperatorChecklistItem]:
    attached = {d.item_id for d in repository.evidence(session, application.id)}
    answers = repository.answers(session, application.id)
    return [
        item
        for item in repository.items(session, active_only=True)
        if checklist.needs_evidence(item, answers.get(item.id), item.id in attached)
    ]


def submit(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    application_id: uuid.UUID,
) -> OperatorApplication:
    application = guards.draft(session, actor, application_id)
    checklist.ensure_default_items(session, clock=clock)
    missing = _missing_evidence(session, application)
    if missing:
        raise guards.invalid(
            "operators.evidence_missing",
            "evidence",
            items=checklist.titles(missing),
        )
    now = guards.touch(application, clock)
    APPLICATION.fire(application, "submit", session=session, actor=actor, at=now)
    application.submitted_at = now
    _run_checks(session, actor=actor, clock=clock, settings=settings, application=application)
    return application


def recheck(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    application_id: uuid.UUID,
) -> checks.Evaluation:
    application = guards.under_review(session, actor, application_id)
    return _run_checks(
        session, actor=actor, clock=clock, settings=settings, application=application
    )


def judge_item(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    application_id: uuid.UUID,
    item_key: str,
    judgment: Judgment,
    note: str | None,
) -> OperatorChecklistAnswer:
    application = guards.under_review(session, actor, application_id)
    item = checklist.active_item(session, item_key)
    if judgment is Judgment.NOT_MET and not (note and note.strip()):
        raise guards.invalid("operators.note_required", "note")
    answer = checklist.answer_row(session, application.id, item.id)
    now = clock.now()
    answer.judgment = judgment.value
    answer.note = note.strip() if note else None
    answer.judged_at = now
    answer.judged_by = actor.username
    guards.record(
        session,
        actor=actor,
        at=now,
        action="item_judged",
        target_id=application.id,
        detail={"item": item.key, "judgment": judgment.value, "note": answer.note},
    )
    return answer


def blockers(
    session: Session, application: OperatorApplication, evaluation: checks.Evaluation
) -> tuple[list[checks.CheckResult], list[OperatorChecklistItem]]:
    """What stops qualification: failing checks (none if R2.9 helps) and checklist items
    not judged met."""
    failing = [] if evaluation.verdict is not checks.Verdict.FAILS else list(evaluation.failing())
    answers = repository.answers(session, application.id)
    open_items = [
        item
        for item in repository.items(session, active_only=True)
        if (answer := answers.get(item.id)) is None or answer.judgment != Judgment.MET.value
    ]
    return failing, open_items


def decide(
    session: Session,
    *,
    actor: Principal,
    clock: Clock,
    settings: Settings,
    application_id: uuid.UUID,
    decision: Decision,
    reason: str,
) -> OperatorApplication:
    application = guards.under_review(session, actor, application_id)
    reason = reason.strip()
    if len(reason) < 2:
        raise guards.invalid("operators.reason_required", "reason")
    if decision is Decision.QUALIFY:
        evaluation = _run_checks(
            session, actor=actor, clock=clock, settings=settings, application=application
        )
        failing, open_items = blockers(session, application, evaluation)
        if failing or open_items:
            raise QualificationBlocked(
                "operators.blocked",
                checks=MessageList([f"operators.check.{r.check.value}" for r in failing]),
                items=checklist.titles(open_items),
            )
    now = guards.touch(application, clock)
    detail: dict[str, Any] = {"reason": reason}
    if decision is Decision.QUALIFY:
        detail["verdict"] = application.verdict
        detail["run"] = application.checks_run
    APPLICATION.fire(
        application, decision.value, session=session, actor=actor, at=now, detail=detail
    )
    application.decision_reason = reason
    application.decided_by = actor.username
    if decision is not Decision.RETURN:
        application.decided_at = now
    return application
