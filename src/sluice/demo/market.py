"""The demo city's market of data products (issue 12), in the order it came about: the
products listed (``products``), the buyers' keys and subscriptions (``buyers``), the data
subjects' accounts (``subjects``) and a few weeks of consents and calls (``history``).
Returns what ``var/demo-credentials.json`` gains (``buyers.write_credentials``).

Idempotent like the rest of the demo: products, caps, registrations, keys and subscriptions
are made where missing; the subjects and their history are made once, on the run that opens
the subjects' accounts. A later run reads the subjects' identifiers and passwords back from
the credentials file, where alone they are kept; if that file is gone, the identifiers are
found again from the generator (the passwords are not: those subjects are left out).
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from sluice.consent import service as consent
from sluice.core.clock import SHANGHAI, local
from sluice.core.database import Database
from sluice.core.settings import Settings
from sluice.demo import buyers, history, subjects
from sluice.demo import products as demo_products
from sluice.demo.subjects import ENTERPRISES, PERSONS, Subject
from sluice.identity import repository as identity_repository


def seed_market(
    database: Database, *, settings: Settings, now: datetime, seed: int, scale: float
) -> dict[str, Any]:
    """Build the market (see the module docstring); its part of the credentials file."""
    previous = _previous(settings)
    listed = demo_products.seed_products(database, settings=settings, now=now)
    if not listed:
        return {}
    keys = buyers.seed_buyers(
        database, settings=settings, now=now, listed=listed, previous=previous
    )
    usernames = (*PERSONS, *ENTERPRISES)
    with database.unit_of_work() as session:
        opened = any(identity_repository.user_by_username(session, u) for u in usernames)
    if opened:
        people = _known(previous) or subjects.choose(
            database, settings=settings, at=now, seed=seed, scale=scale
        )
        people = _matching(database, settings, people)
    else:
        chosen = subjects.choose(database, settings=settings, at=now, seed=seed, scale=scale)
        first = min(p.listed_at for p in listed) + timedelta(days=1)
        opened_at = datetime.combine(local(first).date(), time(9), tzinfo=SHANGHAI)
        people = subjects.open_accounts(database, settings=settings, at=opened_at, subjects=chosen)
        history.seed_history(
            database, settings=settings, now=now, listed=listed, subjects=people, keys=keys
        )
    return buyers.credentials(
        database,
        now=now,
        listed=listed,
        keys=keys,
        subjects=people,
        examples=history.EXAMPLES,
    )


def _previous(settings: Settings) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(settings.credentials_path.read_text())
    except (OSError, ValueError):
        return {}
    return document


def _plain(value: str) -> str:
    return "".join(value.split())


def _known(previous: dict[str, Any]) -> list[Subject]:
    """The subjects as the credentials file lists them, with what the product examples say
    of the person they are about (name, employer, property address)."""
    details: dict[str, dict[str, Any]] = {}
    for product in previous.get("products", []):
        example = product.get("example_input", {})
        if "id_number" in example:
            details.setdefault(_plain(example["id_number"]), {}).update(example)
    found = []
    for entry in previous.get("subjects", []):
        kind = entry.get("kind")
        identifier = _plain(str(entry.get("id_number") or entry.get("uscc") or ""))
        if kind not in ("person", "enterprise") or not identifier:
            continue
        said = details.get(identifier, {})
        found.append(
            Subject(
                username=entry["username"],
                kind=kind,
                identifier=identifier,
                name=said.get("name", ""),
                password=entry.get("password"),
                employer_uscc=said.get("employer_uscc"),
                location=said.get("location"),
            )
        )
    return found


def _matching(database: Database, settings: Settings, people: list[Subject]) -> list[Subject]:
    """The subjects whose account exists and is linked to their identifier's token."""
    kept = []
    with database.unit_of_work() as session:
        for subject in people:
            user = identity_repository.user_by_username(session, subject.username)
            linked = (
                consent.subject_of(session, demo_products.login(session, subject.username))
                if user
                else None
            )
            if linked is not None and linked.token == subjects.token(settings, subject):
                kept.append(subject)
    return kept
