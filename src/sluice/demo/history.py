"""A few weeks of the market's past: consents granted and revoked, and the buyers' calls
through the gateway, so the buyer's call log and metering, the subject's "who used my
data", the bureau's consent ledger and the audit log have history.

Each call runs the gateway's own pipeline (``gateway.calls.invoke``, as the route does, with
the buyer's API key and the call's moment as the clock): key, product, subscription,
agreement, input, consent, quota and rate, the product run in the guard, metering, the call
log, the audit row and the subject's use record; a refusal is logged as the route logs it.
The events run in the order they happened, so a consent is revoked between the calls it
allowed and the ones it refuses.

What happens, from the day after each consent (about sixty calls in all):

* 营口银行 scores the enterprise ``enterprise1`` and verifies ``person1``'s and
  ``person2``'s property titles and ``person1``'s and ``person3``'s employment before loans;
  辽信 scores ``enterprise1`` after its loan; 鲅鱼圈保险代理 verifies ``person1``'s and
  ``person2``'s employment; both call the population statistics now and then;
* ``person3`` revokes its consent to 营口银行 after five days: the bank's next calls about
  it are refused ``consent_revoked``;
* a few refusals and answers people meet: a call without its consent
  (``consent_required``), a consent sent for another person (``consent_mismatch``), a
  mistyped ID number (``input_invalid``), statistics asked for marketing
  (``purpose_not_allowed``), an employment claimed at the wrong employer (``no_match``).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from sluice.consent import service as consent
from sluice.consent.schemas import ConsentGrant
from sluice.core.clock import SHANGHAI, FixedClock, local
from sluice.core.database import Database, undo_keeping_refusal
from sluice.core.errors import SluiceError
from sluice.core.settings import Settings
from sluice.demo.buyers import BUYER_BY_CODE, Example, subscribed_at
from sluice.demo.products import INSURANCE, LOAN, PLANNING, Listed, login
from sluice.demo.subjects import EMPLOYMENT, PROPERTY, SCORE, Subject
from sluice.gateway import calls
from sluice.identity import repository as identity_repository
from sluice.identity import service as identity
from sluice.products import service as products

STATISTICS: Final = "population-by-district-age"
#: How long the demo's consents last (days, both ends counted).
CONSENT_DAYS: Final = 180
#: Chance that a buyer calls under a consent on a given day, by product (the employment
#: verification, listed last, a little more often), and that a subscriber asks for the
#: statistics: about sixty calls in all, since the demo is built several times per test run.
DAILY_USE: Final = {SCORE: 0.25, PROPERTY: 0.25, EMPLOYMENT: 0.5}
STATISTICS_DAILY: Final = 0.6
#: ``person3`` revokes after this many days; the bank tries this many times more.
REVOKED_AFTER_DAYS: Final = 5
TRIES_AFTER_REVOKING: Final = 2


@dataclass(frozen=True)
class Grant:
    subject: str  # username
    buyer: str  # organization code
    product: str
    purpose: str
    revoked: bool = False


GRANTS: Final = (
    Grant("enterprise1", "ykbank", SCORE, LOAN),
    Grant("enterprise1", "liaoxin", SCORE, "贷后管理"),
    Grant("person1", "ykbank", EMPLOYMENT, LOAN),
    Grant("person1", "ykbank", PROPERTY, LOAN),
    Grant("person1", "bayuquan-ins", EMPLOYMENT, INSURANCE),
    Grant("person2", "ykbank", PROPERTY, LOAN),
    Grant("person2", "bayuquan-ins", EMPLOYMENT, INSURANCE),
    Grant("person3", "ykbank", EMPLOYMENT, LOAN, revoked=True),
)
#: The call the credentials file offers for each product.
EXAMPLES: Final = {
    SCORE: Example("ykbank", LOAN, "enterprise1", ("enterprise1", "ykbank", SCORE)),
    EMPLOYMENT: Example("ykbank", LOAN, "person1", ("person1", "ykbank", EMPLOYMENT)),
    STATISTICS: Example("bayuquan-ins", PLANNING),
    PROPERTY: Example("ykbank", LOAN, "person1", ("person1", "ykbank", PROPERTY)),
}


@dataclass(frozen=True)
class Call:
    at: datetime
    buyer: str
    product: str
    purpose: str
    inputs: dict[str, Any] = field(default_factory=dict)
    #: The grant whose consent is sent, if any (resolved when the call runs).
    grant: Grant | None = None


@dataclass
class _Run:
    database: Database
    settings: Settings
    keys: dict[str, str]
    subjects: dict[str, Subject]
    consents: dict[Grant, uuid.UUID] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)


def seed_history(
    database: Database,
    *,
    settings: Settings,
    now: datetime,
    listed: list[Listed],
    subjects: list[Subject],
    keys: dict[str, str],
) -> dict[str, int]:
    """Run the market's past (see the module docstring), once: the caller runs it right
    after opening the subjects' accounts. Returns how many calls ended each way."""
    run = _Run(database, settings, keys, {s.username: s for s in subjects})
    by_code = {p.code: p for p in listed}
    rng = random.Random(20261204)
    today = local(now).date()
    events: list[tuple[datetime, int, Callable[[], None]]] = []

    def add(at: datetime, action: Callable[[], None]) -> None:
        if at < now:
            events.append((at, len(events), action))

    for grant in GRANTS:
        if grant.subject not in run.subjects or grant.product not in by_code:
            continue
        granted = subscribed_at(BUYER_BY_CODE[grant.buyer], by_code[grant.product]) + timedelta(
            hours=3
        )
        add(granted, _granting(run, grant, granted))
        planned = _uses(rng, run, grant, granted, today)
        if grant.revoked:
            revoked = _moment(local(granted).date() + timedelta(days=REVOKED_AFTER_DAYS), 20, 0)
            add(revoked, _revoking(run, grant, revoked))
            # The bank, not told, tries again on the next mornings.
            planned = [c for c in planned if c.at < revoked] + [
                _use(run, grant, _moment(local(revoked).date() + timedelta(days=n), 9, 30))
                for n in range(1, TRIES_AFTER_REVOKING + 1)
            ]
        for call in planned:
            add(call.at, _calling(run, call))
    for call in _statistics(rng, by_code, today) + _mishaps(run, by_code, today):
        add(call.at, _calling(run, call))
    for _, _, action in sorted(events, key=lambda e: (e[0], e[1])):
        action()
    return run.outcomes


def _moment(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _office_hours(rng: random.Random, day: date) -> datetime:
    return _moment(day, rng.randint(9, 16), rng.randint(0, 59))


def _inputs(subject: Subject, product: str) -> dict[str, Any]:
    if subject.kind == "enterprise":
        return {"uscc": subject.identifier}
    inputs = {"id_number": subject.identifier, "name": subject.name}
    if product == EMPLOYMENT:
        return {**inputs, "employer_uscc": subject.employer_uscc}
    return {**inputs, "location": subject.location}


def _use(run: _Run, grant: Grant, at: datetime) -> Call:
    """A call under a grant's consent, about its subject."""
    subject = run.subjects[grant.subject]
    inputs = _inputs(subject, grant.product)
    return Call(at, grant.buyer, grant.product, grant.purpose, inputs, grant)


def _uses(
    rng: random.Random, run: _Run, grant: Grant, granted: datetime, today: date
) -> list[Call]:
    """The buyer's calls under one consent: on some days after it was granted."""
    found = []
    day = local(granted).date() + timedelta(days=1)
    while day < today:
        if rng.random() < DAILY_USE[grant.product]:
            found.append(_use(run, grant, _office_hours(rng, day)))
        day += timedelta(days=1)
    return found


def _statistics(rng: random.Random, by_code: dict[str, Listed], today: date) -> list[Call]:
    """The population statistics, asked now and then by their two subscribers."""
    if STATISTICS not in by_code:
        return []
    found = []
    for buyer in ("bayuquan-ins", "liaoxin"):
        start = subscribed_at(BUYER_BY_CODE[buyer], by_code[STATISTICS])
        day = local(start).date() + timedelta(days=1)
        while day < today:
            if rng.random() < STATISTICS_DAILY:
                found.append(Call(_office_hours(rng, day), buyer, STATISTICS, PLANNING))
            day += timedelta(days=1)
    return found


def _grant(subject: str, buyer: str, product: str) -> Grant:
    return next(g for g in GRANTS if (g.subject, g.buyer, g.product) == (subject, buyer, product))


def _mishaps(run: _Run, by_code: dict[str, Listed], today: date) -> list[Call]:
    """The refusals and the no-match people meet, a few days after each buyer subscribed."""
    found = []
    first, second = run.subjects.get("person1"), run.subjects.get("person2")

    def day_after(buyer: str, product: str, days: int) -> date | None:
        if product not in by_code:
            return None
        day = local(subscribed_at(BUYER_BY_CODE[buyer], by_code[product])).date()
        day += timedelta(days=days)
        return day if day < today else None

    if first is not None and (day := day_after("ykbank", EMPLOYMENT, 2)):
        inputs = _inputs(first, EMPLOYMENT)
        grant = _grant("person1", "ykbank", EMPLOYMENT)
        # Sent without its consent, then again with it.
        found.append(Call(_moment(day, 9, 1), "ykbank", EMPLOYMENT, LOAN, inputs))
        found.append(Call(_moment(day, 9, 3), "ykbank", EMPLOYMENT, LOAN, inputs, grant))
        if second is not None and second.employer_uscc != first.employer_uscc:
            # An employer the person does not work for: answered no_match.
            claimed = {**inputs, "employer_uscc": second.employer_uscc}
            found.append(Call(_moment(day, 15, 12), "ykbank", EMPLOYMENT, LOAN, claimed, grant))
    if first and second and (day := day_after("bayuquan-ins", EMPLOYMENT, 3)):
        # person1's consent sent with a call about person2.
        mixed = _grant("person1", "bayuquan-ins", EMPLOYMENT)
        inputs = _inputs(second, EMPLOYMENT)
        found.append(
            Call(_moment(day, 10, 24), "bayuquan-ins", EMPLOYMENT, INSURANCE, inputs, mixed)
        )
    if second is not None and (day := day_after("ykbank", PROPERTY, 4)):
        inputs = _inputs(second, PROPERTY)
        number = str(inputs["id_number"])
        # The check character mistyped.
        inputs["id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")
        grant = _grant("person2", "ykbank", PROPERTY)
        found.append(Call(_moment(day, 14, 40), "ykbank", PROPERTY, LOAN, inputs, grant))
    if day := day_after("liaoxin", STATISTICS, 2):
        found.append(Call(_moment(day, 11, 5), "liaoxin", STATISTICS, "精准营销"))
    return found


def _granting(run: _Run, grant: Grant, at: datetime) -> Callable[[], None]:
    def act() -> None:
        first = local(at).date()
        with run.database.unit_of_work() as session:
            subject = login(session, grant.subject)
            buyer = identity_repository.organization_by_code(session, grant.buyer)
            product = _product_id(session, grant.product)
            assert buyer is not None and product is not None
            made = consent.grant(
                session,
                actor=subject,
                settings=run.settings,
                at=at,
                data=ConsentGrant(
                    buyer_id=buyer.id,
                    product_id=product,
                    purpose=grant.purpose,
                    valid_from=first,
                    valid_until=first + timedelta(days=CONSENT_DAYS - 1),
                ),
            )
            run.consents[grant] = made.id

    return act


def _product_id(session: Session, code: str) -> uuid.UUID | None:
    found = products.find_product(session, code=code)
    return found.id if found is not None else None


def _revoking(run: _Run, grant: Grant, at: datetime) -> Callable[[], None]:
    def act() -> None:
        consent_id = run.consents.get(grant)
        if consent_id is None:
            return
        with run.database.unit_of_work() as session:
            consent.revoke(
                session, actor=login(session, grant.subject), at=at, consent_id=consent_id
            )

    return act


def _calling(run: _Run, call: Call) -> Callable[[], None]:
    def act() -> None:
        outcome = invoke(run.database, run.settings, run.keys[call.buyer], call, run.consents)
        run.outcomes[outcome] = run.outcomes.get(outcome, 0) + 1

    return act


def invoke(
    database: Database,
    settings: Settings,
    key: str,
    call: Call,
    consents: dict[Grant, uuid.UUID],
) -> str:
    """One call through the gateway's pipeline at its moment, in a transaction of its own
    as the route runs it; its outcome (``answered`` or the refusal's code)."""
    consent_id = consents.get(call.grant) if call.grant is not None else None
    path = f"/gateway/v1/products/{call.product}/invoke"
    body = {"input": call.inputs, "purpose": call.purpose}
    if consent_id is not None:
        body["consent_id"] = str(consent_id)
    with database.unit_of_work() as session:
        actor = identity.resolve_api_key(session, clock=FixedClock(call.at), key=key)
        assert actor is not None, call.buyer
        trace = calls.start(
            actor,
            code=call.product,
            kind="call",
            at=call.at,
            purpose=call.purpose,
            consent_id=consent_id,
        )
        signed = calls.Signed("POST", path, json.dumps(body, ensure_ascii=False).encode())
        try:
            calls.invoke(session, trace=trace, settings=settings, signed=signed, inputs=call.inputs)
        except SluiceError as error:
            undo_keeping_refusal(session, error)
            calls.refused(session, trace=trace, error=error)
            return error.code
    return calls.ANSWERED
