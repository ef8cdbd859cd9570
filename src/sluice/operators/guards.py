"""How every act on an application begins and ends.

It begins by reaching the application as the actor may: one they may see (``repository``
scopes it; any other is not found), a draft when the applicant changes it, a submitted one
when the reviewer acts on it. A refusal of the input names the form field it is about; the
rules of one form section are found together as :class:`Problem` s and refused together
(:func:`refuse`), so neither a page nor an API client learns of them one round at a time.
It ends with the application touched and the act in the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sqlalchemy.orm import Session

from sluice.audit import service as audit
from sluice.core.clock import Clock
from sluice.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from sluice.core.i18n import MessageRef, add_messages, translate
from sluice.core.permissions import Permission
from sluice.core.principal import Principal
from sluice.operators import repository
from sluice.operators.models import OperatorApplication
from sluice.operators.states import APPLICATION, DRAFT, SUBMITTED

ENTITY = APPLICATION.entity


add_messages(
    {
        "operators.not_found": (
            "资格申请不存在，或您无权查看。",
            "There is no such application, or you may not see it.",
        ),
        "operators.not_editable": (
            "申请当前为“{state}”，只有“填写中”的申请可以修改。",
            "The application is '{state}'; only a draft can be changed.",
        ),
        "operators.not_under_review": (
            "申请当前为“{state}”，只有“待审核”的申请可以审核。",
            "The application is '{state}'; only a submitted application can be reviewed.",
        ),
    }
)


def invalid(message_key: str, on: str, /, **params: Any) -> InvalidInput:
    """A refusal of the input, naming the field it is about (forms show it there)."""
    kind = message_key.rsplit(".", 1)[-1]
    return InvalidInput(message_key, errors=[{"field": on, "type": kind}], **params)


@dataclass(frozen=True)
class Problem:
    """One rule the values of a form section break, on the field it is about.

    A page shows it next to that field (it is a ``sluice.web.forms.Problem``); the service
    refuses with every problem of the submission at once (:func:`refuse`). ``kind`` is the
    machine ``type`` of the refusal's ``errors`` entry (the key's last part unless given);
    ``problem_code`` a more specific code for the refusal (``invalid_credit_code``);
    ``conflict`` a clash with what is already declared, which the API answers with 409.
    """

    field: str
    key: str
    params: Mapping[str, Any] = dc_field(default_factory=dict)
    kind: str = ""
    problem_code: str | None = None
    conflict: bool = False

    @property
    def type(self) -> str:
        return self.kind or self.key.rsplit(".", 1)[-1]


def problem(
    message_key: str,
    on: str,
    /,
    *,
    kind: str = "",
    problem_code: str | None = None,
    **params: Any,
) -> Problem:
    """A rule broken by the value of ``on``."""
    return Problem(on, message_key, params, kind, problem_code)


def clash(message_key: str, on: str, /, **params: Any) -> Problem:
    """A value of ``on`` clashing with what the application already declares (409)."""
    return Problem(on, message_key, params, conflict=True)


def first_per_field(problems: Sequence[Problem]) -> list[Problem]:
    """One problem a field: the first found (the most basic) is what to fix first."""
    seen: set[str] = set()
    kept = []
    for found in problems:
        if found.field not in seen:
            seen.add(found.field)
            kept.append(found)
    return kept


def _listed(problems: Sequence[Problem], locale: str) -> list[dict[str, Any]]:
    return [
        {"field": p.field, "type": p.type, "message": translate(p.key, locale, **p.params)}
        for p in problems
    ]


class SectionInvalid(InvalidInput):
    """Values breaking rules beyond their schema (422): the first says what is wrong, and
    ``errors`` names every one with its message in the reader's language."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        first = problems[0]
        super().__init__(
            first.key,
            errors=[{"field": p.field, "type": p.type} for p in problems],
            problem_code=first.problem_code,
            **first.params,
        )
        self.problems = list(problems)

    def problem(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        return {**super().problem(locale, instance), "errors": _listed(self.problems, locale)}


class SectionClash(Conflict):
    """Values clashing with what the application declares (409); ``errors`` also names
    every other problem of the same submission, so none arrives in a second round."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems[0].key, **problems[0].params)
        self.problems = list(problems)

    def problem(self, locale: str, instance: str | None = None) -> dict[str, Any]:
        return {**super().problem(locale, instance), "errors": _listed(self.problems, locale)}


def refuse(problems: Sequence[Problem]) -> None:
    """Refuse the values if they break any rule, naming all of them; clashes lead."""
    if not problems:
        return
    clashes = [p for p in problems if p.conflict]
    if clashes:
        raise SectionClash(clashes + [p for p in problems if not p.conflict])
    raise SectionInvalid(problems)


def record(
    session: Session,
    *,
    actor: Principal,
    at: Any,
    action: str,
    target_id: uuid.UUID,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"{ENTITY}.{action}",
        target_type=ENTITY,
        target_id=target_id,
        at=at,
        detail=detail,
    )


def _state(application: OperatorApplication) -> MessageRef:
    return MessageRef(f"state.{ENTITY}.{application.status}")


def require_any(actor: Principal, *permissions: Permission) -> None:
    if not any(actor.has(p) for p in permissions):
        raise PermissionDenied(permission=MessageRef(f"permission.{permissions[0]}"))


def visible(
    session: Session, actor: Principal, application_id: uuid.UUID, *, for_update: bool = False
) -> OperatorApplication:
    found = repository.visible_application(
        session, actor=actor, application_id=application_id, for_update=for_update
    )
    if found is None:
        raise NotFound("operators.not_found")
    return found


def draft(session: Session, actor: Principal, application_id: uuid.UUID) -> OperatorApplication:
    """The applicant's own application, which must be a draft to change."""
    actor.require(Permission.OPERATORS_APPLY)
    application = visible(session, actor, application_id, for_update=True)
    if application.status != DRAFT:
        raise Conflict("operators.not_editable", state=_state(application))
    return application


def under_review(
    session: Session, actor: Principal, application_id: uuid.UUID
) -> OperatorApplication:
    actor.require(Permission.OPERATORS_REVIEW)
    application = visible(session, actor, application_id, for_update=True)
    if application.status != SUBMITTED:
        raise Conflict("operators.not_under_review", state=_state(application))
    return application


def touch(application: OperatorApplication, clock: Clock) -> Any:
    now = clock.now()
    application.updated_at = now
    return now
