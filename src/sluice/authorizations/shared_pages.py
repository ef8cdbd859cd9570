"""What the authorization pages share: who may open which, and turning posted forms into the
services' schemas (a form that does not parse is refused with every problem at once)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel
from starlette.datastructures import FormData

from sluice.authorizations.schemas import DecisionIn, ReasonIn
from sluice.core.i18n import add_messages, translate
from sluice.core.permissions import Permission as P
from sluice.core.principal import Principal
from sluice.web.deps import Requires
from sluice.web.forms import parse_form

Reader = Annotated[Principal, Depends(Requires(P.AUTHORIZATIONS_READ))]
Manager = Annotated[Principal, Depends(Requires(P.AUTHORIZATIONS_MANAGE))]
Signer = Annotated[Principal, Depends(Requires(P.AUTHORIZATIONS_SIGN))]
Planner = Annotated[Principal, Depends(Requires(P.PLANS_MANAGE))]
ExitRequester = Annotated[Principal, Depends(Requires(P.EXITS_REQUEST))]
ExitDecider = Annotated[Principal, Depends(Requires(P.EXITS_DECIDE))]
RectIssuer = Annotated[Principal, Depends(Requires(P.RECTIFICATIONS_ISSUE))]
RectResponder = Annotated[Principal, Depends(Requires(P.RECTIFICATIONS_RESPOND))]

add_messages(
    {
        "authz_page.form_problems": (
            "表单有需要修改的地方，见下方提示。",
            "Some fields need attention; see below.",
        ),
        "authz_page.participants_rule": (
            "请填写至少 3 名不重复的参会人员，每行一人。",
            "Name at least 3 different participants, one per line.",
        ),
    }
)


class Redirect(Exception):
    """An action that went well but has its own page to show next (the change is kept)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class FormInvalid(Exception):
    """A form that does not parse: field -> message, already in the reader's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def long_enough(form: FormData, key: str, locale: str, *, min_length: int = 2) -> str:
    """The field's text, or the form refused at that field when it is shorter than
    ``min_length`` (a reason, a note, a statement someone must actually write)."""
    value = text(form, key)
    if len(value) < min_length:
        raise FormInvalid({key: translate("form.too_short", locale, min_length=min_length)})
    return value


def texts(form: FormData, key: str) -> list[str]:
    return [v.strip() for v in form.getlist(key) if isinstance(v, str)]


def uuids(values: list[str]) -> list[uuid.UUID]:
    found: list[uuid.UUID] = []
    for value in values:
        try:
            one = uuid.UUID(value)
        except ValueError:
            continue
        if one not in found:
            found.append(one)
    return found


def plain(form: FormData) -> dict[str, str]:
    """What was typed, to show again with a refusal."""
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def parsed(model: type[BaseModel], values: Mapping[str, Any], locale: str) -> Any:
    data, errors = parse_form(model, values, locale)
    if data is None:
        raise FormInvalid(errors)
    return data


def decision_from(form: FormData, locale: str) -> DecisionIn:
    participants = [line.strip() for line in text(form, "participants").splitlines()]
    values: dict[str, Any] = {
        "meeting": text(form, "meeting"),
        "participants": [p for p in participants if p],
        "outcome": text(form, "outcome"),
        "summary": text(form, "summary"),
    }
    if text(form, "held_on"):
        values["held_on"] = text(form, "held_on")
    data, errors = parse_form(DecisionIn, values, locale)
    if "participants" in errors:
        errors["participants"] = translate("authz_page.participants_rule", locale)
    if data is None:
        raise FormInvalid(errors)
    return data


def reason(form: FormData, locale: str) -> str:
    data: ReasonIn = parsed(ReasonIn, {"reason": text(form, "reason")}, locale)
    return data.reason


def cited_decision(form: FormData) -> uuid.UUID | None:
    found = uuids([text(form, "decision_id")])
    return found[0] if found else None
