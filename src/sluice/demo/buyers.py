"""The demo city's buyers (数据需求方) and what ``var/demo-credentials.json`` says of the
market: each buyer's login, API key and subscriptions, each product with an input a buyer
can send as it is, each data subject's login and consents.

* 营口银行 (``buyer``): the credit score, employment and property verification, for loan
  checks (贷前审查);
* 营口鲅鱼圈保险代理 (``buyer2``): employment verification, for insurance eligibility
  (投保资格核验), and the population statistics;
* 辽宁辽信企业征信 (``buyer3``): the credit score, for post-loan monitoring (贷后管理), and
  the population statistics.

Each buyer's login makes one API key (shown once: its plaintext goes only to the
credentials file) and subscribes, with a daily quota and a rate, to its products the day
after they were listed. Idempotent: a subscription is made once; a key is kept while the
credentials file still holds it and it still works, otherwise a new one is made now.

Resident ID numbers are written to the credentials file grouped as they are printed on
paper (``210802 19900101 123X``): the gateway cleans spaces out of an ID number as
ingestion does, so the input is sent as it is, and the file does not trip the scans that
look for ID numbers stored in the platform's home (``tests/demo/plaintext.py``,
``scan_plaintext_ids.py``). It is the one file meant to hold them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.consent import service as consent
from sluice.core.clock import SHANGHAI, FixedClock, local
from sluice.core.database import Database
from sluice.core.ids import sm3_hex
from sluice.core.paging import ListQuery
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.demo.products import BY_CODE, Listed, login
from sluice.demo.subjects import Subject
from sluice.gateway import service as gateway
from sluice.gateway.states import ACTIVE
from sluice.identity import repository as identity_repository
from sluice.identity import service as identity

KEY_NAME: Final = "业务系统调用密钥"


@dataclass(frozen=True)
class Subscribed:
    """A product a buyer subscribes to: its daily quota and its rate per second."""

    code: str
    quota_per_day: int
    rate_per_second: int


@dataclass(frozen=True)
class DemoBuyer:
    organization: str  # its code in ``city.COMPANIES``
    username: str  # its login in ``city.ACCOUNTS``
    products: tuple[Subscribed, ...]
    #: Hours after a product's listing (the next morning) that it subscribed.
    delay_hours: int


BUYERS: Final = (
    DemoBuyer(
        "ykbank",
        "buyer",
        (
            Subscribed("sme-credit-score", 2000, 20),
            Subscribed("employment-verification", 2000, 20),
            Subscribed("property-ownership-verification", 1000, 10),
        ),
        20,
    ),
    DemoBuyer(
        "bayuquan-ins",
        "buyer2",
        (
            Subscribed("employment-verification", 500, 5),
            Subscribed("population-by-district-age", 100, 5),
        ),
        22,
    ),
    DemoBuyer(
        "liaoxin",
        "buyer3",
        (
            Subscribed("sme-credit-score", 1000, 10),
            Subscribed("population-by-district-age", 100, 5),
        ),
        26,
    ),
)
BUYER_BY_CODE: Final = {b.organization: b for b in BUYERS}


def subscribed_at(buyer: DemoBuyer, listed: Listed) -> datetime:
    """When the buyer subscribed to a product: the morning after its listing, plus the
    buyer's own delay."""
    morning = datetime.combine(local(listed.listed_at).date(), time(8), tzinfo=SHANGHAI)
    return morning + timedelta(hours=buyer.delay_hours)


def seed_buyers(
    database: Database,
    *,
    settings: Settings,
    now: datetime,
    listed: list[Listed],
    previous: dict[str, Any],
) -> dict[str, str]:
    """Each buyer's API key and subscriptions (see the module docstring); returns the
    plaintext keys by buyer organization code."""
    by_code = {p.code: p for p in listed}
    known = {b.get("organization_code"): b.get("api_key") for b in previous.get("buyers", [])}
    keys = {}
    for buyer in BUYERS:
        times = [subscribed_at(buyer, by_code[s.code]) for s in buyer.products if s.code in by_code]
        if not times:
            continue
        with database.unit_of_work() as session:
            actor = login(session, buyer.username)
            keys[buyer.organization] = _key(
                session,
                actor,
                known.get(buyer.organization),
                at=min(times) - timedelta(minutes=10),
                now=now,
            )
            have = {
                s.product_code for s in gateway.subscriptions(session, actor=actor, status=ACTIVE)
            }
            for item in buyer.products:
                if item.code in by_code and item.code not in have:
                    gateway.subscribe(
                        session,
                        actor=actor,
                        settings=settings,
                        at=subscribed_at(buyer, by_code[item.code]),
                        product_code=item.code,
                        quota_limit=item.quota_per_day,
                        quota_period="day",
                        rate_limit=item.rate_per_second,
                        rate_period="second",
                    )
    return keys


def _key(
    session: Session, actor: Principal, plaintext: str | None, *, at: datetime, now: datetime
) -> str:
    """The buyer's key from the credentials file if it still works, else a new one (made
    before its first subscription on a first run, now on a later one)."""
    live = [
        k
        for k in identity.own_api_keys(session, actor=actor)
        if k.revoked_at is None and k.suspended_at is None
    ]
    if plaintext and any(k.key_hash == sm3_hex(plaintext) for k in live):
        return plaintext
    made_at = at if not live else now
    _, key = identity.create_api_key(session, actor=actor, clock=FixedClock(made_at), name=KEY_NAME)
    return key


# -- the credentials file ---------------------------------------------------------------------


def shown(subject: Subject) -> str:
    """A subject's identifier as the credentials file shows it: an ID number grouped
    6-8-4 (see the module docstring), a credit code as it is."""
    value = subject.identifier
    if subject.kind == "person" and len(value) == 18:
        return f"{value[:6]} {value[6:14]} {value[14:]}"
    return value


@dataclass(frozen=True)
class Example:
    """A call a buyer can make as it is: about a subject who consented (if the product needs
    it), with the consent and purpose to send."""

    buyer: str  # organization code
    purpose: str
    subject: str | None = None  # username
    #: For a consent-requiring product: the subject, buyer and product the consent names.
    consent: tuple[str, str, str] | None = None


def credentials(
    database: Database,
    *,
    now: datetime,
    listed: list[Listed],
    keys: dict[str, str],
    subjects: list[Subject],
    examples: dict[str, Example],
) -> dict[str, Any]:
    """The credentials file's ``buyers``, ``products`` and ``subjects``, read back from what
    the platform now holds (subscriptions, consents in force). A subject whose password
    is not known (its account was opened on a run whose credentials file is gone) is left
    out; the examples still name its consents."""
    with database.unit_of_work() as session:
        buyers = _buyers(session, keys)
        codes = {p.id: p.code for p in listed}
        consents = _consents_in_force(session, subjects, codes, now)
    names = {b["organization_code"]: b["organization"] for b in buyers}
    return {
        "buyers": buyers,
        "products": _products(examples, subjects, consents, names, set(codes.values())),
        "subjects": [
            {
                "kind": s.kind,
                ("id_number" if s.kind == "person" else "uscc"): shown(s),
                "username": s.username,
                "password": s.password,
                "consents": [
                    {"consent_id": str(i), "buyer": buyer, "product": code}
                    for i, buyer, code in consents.get(s.username, [])
                ],
            }
            for s in subjects
            if s.password
        ],
    }


def _buyers(session: Session, keys: dict[str, str]) -> list[dict[str, Any]]:
    found = []
    for buyer in BUYERS:
        organization = identity_repository.organization_by_code(session, buyer.organization)
        if organization is None or buyer.organization not in keys:
            continue
        actor = login(session, buyer.username)
        active = {
            s.product_code for s in gateway.subscriptions(session, actor=actor, status=ACTIVE)
        }
        found.append(
            {
                "organization": organization.name,
                "organization_code": buyer.organization,
                "username": buyer.username,
                "api_key": keys[buyer.organization],
                "products": [s.code for s in buyer.products if s.code in active],
            }
        )
    return found


def _products(
    examples: dict[str, Example],
    subjects: list[Subject],
    consents: dict[str, list[tuple[uuid.UUID, str, str]]],
    names: dict[str, str],
    listed: set[str],
) -> list[dict[str, Any]]:
    """Each listed product with its example call (one whose consent is no longer in force
    is left out)."""
    by_username = {s.username: s for s in subjects}
    ids = {
        (username, buyer, code): i
        for username, found in consents.items()
        for i, buyer, code in found
    }
    products = []
    for code, example in examples.items():
        if code not in listed:
            continue
        product = BY_CODE[code]
        entry: dict[str, Any] = {
            "code": code,
            "type": product.type,
            "consent_required": product.consent_required,
            "example_input": _example_input(code, by_username.get(example.subject or "")),
            "example_purpose": example.purpose,
            "example_buyer": names.get(example.buyer, example.buyer),
        }
        if example.consent is not None:
            subject, buyer, _ = example.consent
            consent_id = ids.get((subject, names.get(buyer, buyer), code))
            if consent_id is None:
                continue
            entry["example_consent_id"] = str(consent_id)
        products.append(entry)
    return products


def _consents_in_force(
    session: Session, subjects: list[Subject], codes: dict[uuid.UUID, str], now: datetime
) -> dict[str, list[tuple[uuid.UUID, str, str]]]:
    """Each subject's consents in force today: (id, buyer's name, product code)."""
    found: dict[str, list[tuple[uuid.UUID, str, str]]] = {}
    for subject in subjects:
        user = identity_repository.user_by_username(session, subject.username)
        if user is None:
            continue
        actor = login(session, subject.username)
        page = consent.consents(session, actor=actor, at=now, query=ListQuery(size=100))
        for view in page.items:
            if view.standing != "active":
                continue
            code = codes.get(view.consent.product_id)
            if code is not None:
                found.setdefault(subject.username, []).append((view.consent.id, view.buyer, code))
    for listed in found.values():
        listed.sort(key=lambda c: (c[2], c[1]))
    return found


def _example_input(code: str, subject: Subject | None) -> dict[str, Any]:
    if code == "population-by-district-age" or subject is None:
        return {}
    if subject.kind == "enterprise":
        return {"uscc": subject.identifier}
    base = {"id_number": shown(subject), "name": subject.name}
    if code == "employment-verification":
        return {**base, "employer_uscc": subject.employer_uscc}
    return {**base, "location": subject.location}


def write_credentials(settings: Settings, market: dict[str, Any]) -> None:
    """Add the market to ``var/demo-credentials.json`` (written just before)."""
    path = settings.credentials_path
    document: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    document.update(market)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2))
    path.chmod(0o600)  # passwords and keys inside
