"""The demo city's data subjects: a few people and an enterprise with logins, linked by the
bureau through the consent ledger to the token of their ID number or credit code.

Who they are is read from the departments' own data, regenerated in memory from the demo's
seed and scale (``datasets.city.make_city`` and the property registry's generator; nothing
is written): people registered as residents who are insured by an employer and hold a
property title, and an enterprise among the biggest employers. Each candidate is then
checked through the listed products themselves (run in the guard as the gateway runs
them), so the examples the credentials file gives answer ``match`` and a score with its
reasons, whatever ingestion made of the data.

The plaintext identifiers go to ``var/demo-credentials.json`` only (``buyers.credentials``):
the ledger keeps the token and the masked form, the account's display name the masked name.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

import numpy as np
from sqlalchemy.orm import Session

from sluice.consent import service as consent
from sluice.consent.schemas import SubjectCreate
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import SluiceError
from sluice.core.settings import Settings
from sluice.dataplane import subject_tokens
from sluice.demo.datasets import SPECS, bdc
from sluice.demo.datasets.city import make_city
from sluice.demo.products import login
from sluice.guard import product_calls
from sluice.guard.product_specs import CallableProduct
from sluice.identity import repository as identity_repository
from sluice.products import service as products

PERSONS: Final = ("person1", "person2", "person3")
ENTERPRISES: Final = ("enterprise1",)
#: How many candidates of each kind are tried against the products, at most.
TRIED: Final = 30
#: Rows of the property registry read for owners (the first batch, at most this many).
OWNER_ROWS: Final = 20_000

EMPLOYMENT: Final = "employment-verification"
PROPERTY: Final = "property-ownership-verification"
SCORE: Final = "sme-credit-score"
MATCH: Final = {"result": "match"}


@dataclass(frozen=True)
class Subject:
    """A demo data subject: its login and the identity behind it (plaintext, for the
    credentials file only). A person's name, employer and property address are what a
    buyer's verification names; ``None`` where a later run does not know them."""

    username: str
    kind: str  # person or enterprise
    identifier: str
    name: str
    password: str | None = None
    employer_uscc: str | None = None
    location: str | None = None

    @property
    def identifier_type(self) -> str:
        return consent.IDENTIFIER_TYPE[self.kind]


def candidates(*, seed: int, scale: float) -> tuple[list[Subject], list[Subject]]:
    """People insured by an employer who hold a property title, and the biggest active
    employers, in the generator's order (usernames left empty)."""
    city = make_city(seed, scale)
    people, firms, jobs = city.people, city.firms, city.jobs
    owners: dict[str, str] = {}
    first = next(bdc.SPEC.rows(city, 10 + SPECS.index(bdc.SPEC)))
    rows = min(len(first["owner_id_number"]), OWNER_ROWS)
    for owner, location in zip(
        first["owner_id_number"].slice(0, rows).to_pylist(),
        first["location"].slice(0, rows).to_pylist(),
        strict=True,
    ):
        owners.setdefault(owner, location)
    persons: list[Subject] = []
    seen: set[str] = set()
    for start in range(0, int(jobs.person.shape[0]), 1000):
        block = slice(start, start + 1000)
        for number, name, employer in zip(
            people.ids(jobs.person[block]).to_pylist(),
            people.names(jobs.person[block]).to_pylist(),
            firms.uscc.take(jobs.employer[block]).to_pylist(),
            strict=True,
        ):
            if number in owners and number not in seen:
                seen.add(number)
                persons.append(Subject("", "person", number, name, None, employer, owners[number]))
        if len(persons) >= TRIED:
            break
    staff = np.bincount(jobs.employer, minlength=firms.count)
    active = firms.active()
    biggest = active[np.argsort(-staff[active], kind="stable")][:TRIED]
    enterprises = [
        Subject("", "enterprise", uscc, name)
        for uscc, name in zip(
            firms.uscc.take(biggest).to_pylist(), firms.name.take(biggest).to_pylist(), strict=True
        )
    ]
    return persons[:TRIED], enterprises


def choose(
    database: Database, *, settings: Settings, at: datetime, seed: int, scale: float
) -> list[Subject]:
    """The demo's subjects (``PERSONS`` then ``ENTERPRISES``): the first candidates the
    listed products answer for: a person whose employment and property title both
    ``match``, an enterprise whose score draws on its utility bills too (else any scored
    one). Fewer when the products or the data do not allow."""
    persons, enterprises = candidates(seed=seed, scale=scale)
    chosen: list[Subject] = []
    with database.unit_of_work() as session:
        ready = {code: _callable(session, code, at) for code in (EMPLOYMENT, PROPERTY, SCORE)}
        employment, owned, score = ready[EMPLOYMENT], ready[PROPERTY], ready[SCORE]
        if employment is not None and owned is not None:
            for person in persons:
                said = {"id_number": person.identifier, "name": person.name}
                employed = {**said, "employer_uscc": person.employer_uscc}
                owns = {**said, "location": person.location}
                if (
                    _answer(session, settings, employment, employed, at)
                    == MATCH
                    == _answer(session, settings, owned, owns, at)
                ):
                    chosen.append(replace(person, username=PERSONS[len(chosen)]))
                if len(chosen) == len(PERSONS):
                    break
        if score is not None:
            fallback = None
            for enterprise in enterprises:
                answer = _answer(session, settings, score, {"uscc": enterprise.identifier}, at)
                if not answer or answer.get("score") is None:
                    continue
                fallback = fallback or enterprise
                if "utility_none" not in {r["code"] for r in answer["reasons"]}:
                    fallback = enterprise
                    break
            if fallback is not None:
                chosen.append(replace(fallback, username=ENTERPRISES[0]))
    return chosen


def _callable(session: Session, code: str, at: datetime) -> CallableProduct | None:
    try:
        return products.callable_product(session, code=code, at=at)
    except products.ProductUnavailable:
        return None


def _answer(
    session: Session,
    settings: Settings,
    product: CallableProduct,
    inputs: Mapping[str, object],
    at: datetime,
) -> dict[str, Any] | None:
    """What the product answers (unaudited: nobody's call, the demo choosing an example)."""
    try:
        return product_calls.run(
            session, settings=settings, product=product, inputs=inputs, at=at
        ).result
    except SluiceError:
        return None


def token(settings: Settings, subject: Subject) -> str:
    return subject_tokens.subject_token(
        subject.identifier, subject.identifier_type, settings=settings
    )


def masked_name(name: str) -> str:
    """A person's name as an account shows it: the surname, the rest starred."""
    return name[:1] + "*" * max(1, len(name) - 1)


def open_accounts(
    database: Database, *, settings: Settings, at: datetime, subjects: Iterable[Subject]
) -> list[Subject]:
    """The bureau opens an account for each subject that has none (linked by its
    identifier's token; a new password each); returns the subjects, those opened now with
    their password."""
    opened = []
    with database.unit_of_work() as session:
        bureau = login(session, "bureau")
        for subject in subjects:
            if identity_repository.user_by_username(session, subject.username) is not None:
                opened.append(subject)
                continue
            password = secrets.token_urlsafe(12)
            consent.create_subject(
                session,
                actor=bureau,
                clock=FixedClock(at),
                settings=settings,
                data=SubjectCreate(
                    username=subject.username,
                    display_name=(
                        subject.name
                        if subject.kind == "enterprise"
                        else f"{masked_name(subject.name)}（信息主体）"
                    ),
                    password=password,
                    kind=subject.kind,
                    identifier=subject.identifier,
                ),
            )
            opened.append(replace(subject, password=password))
    return opened
