"""The gateway's consent check (R8.7): each refusal code exactly, in the order required,
mismatch, expired, revoked, each a 403 problem in both languages that says nothing of whose
consent it is; a revoked consent refuses the very next check; one read per check."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from sluice.consent import service
from sluice.consent.schemas import ConsentGrant
from sluice.core.clock import SHANGHAI
from sluice.core.errors import SluiceError
from tests.consent.world import (
    AFTER_LOAN,
    EMPLOYMENT,
    INCOME,
    LOAN,
    NOW,
    FakeProduct,
    Subject,
    World,
)

FIRST = date(2026, 11, 26)
LAST = date(2027, 5, 25)


def grant(
    world: World,
    subject: Subject,
    *,
    buyer: uuid.UUID | None = None,
    product: FakeProduct = INCOME,
    purpose: str = LOAN,
    first: date = FIRST,
    last: date = LAST,
) -> uuid.UUID:
    with world.database.unit_of_work() as session:
        made = service.grant(
            session,
            actor=subject.principal(),
            settings=world.settings,
            at=NOW,
            data=ConsentGrant(
                buyer_id=buyer or world.buyer.organization_id,  # type: ignore[arg-type]
                product_id=product.id,
                purpose=purpose,
                valid_from=first,
                valid_until=last,
            ),
        )
        return made.id


def check(
    world: World,
    consent_id: uuid.UUID | None,
    *,
    subject: Subject,
    buyer: uuid.UUID | None = None,
    product: FakeProduct = INCOME,
    purpose: str = LOAN,
    at: datetime = NOW,
) -> uuid.UUID:
    with world.database.unit_of_work() as session:
        return service.check(
            session,
            consent_id=consent_id,
            buyer_id=buyer or world.buyer.organization_id,  # type: ignore[arg-type]
            product_id=product.id,
            subject_token=subject.token,
            purpose=purpose,
            at=at,
        )


def refusal(call: Any) -> SluiceError:
    with pytest.raises(SluiceError) as caught:
        call()
    return caught.value


def test_a_consent_that_covers_the_call_is_its_answer(world: World) -> None:
    consent = grant(world, world.zhang)
    assert check(world, consent, subject=world.zhang) == consent


def test_each_refusal_is_a_403_problem_in_both_languages(world: World) -> None:
    consent = grant(world, world.zhang)
    missing = refusal(lambda: check(world, None, subject=world.zhang))
    assert (missing.status, missing.code) == (403, "consent_required")
    assert missing.problem("zh-CN") == {
        "type": "/problems/consent_required",
        "title": "需要信息主体的授权同意",
        "status": 403,
        "detail": "调用该产品需要信息主体的授权同意：请在请求中提供信息主体授予本单位的同意编号"
        "（consent_id）。",
        "code": "consent_required",
    }
    assert missing.problem("en")["detail"] == (
        "This product needs the data subject's consent: send the consent_id of a consent the "
        "subject granted your organization."
    )
    other = refusal(lambda: check(world, consent, subject=world.zhang, product=EMPLOYMENT))
    assert (other.status, other.code) == (403, "consent_mismatch")
    assert other.problem("zh-CN")["detail"] == (
        f"同意 {consent} 授予的是另一数据产品，不能用于本产品。"
    )
    assert other.problem("en")["detail"] == (
        f"Consent {consent} was granted for another product, not this one."
    )


def test_no_id_an_unknown_id_and_another_buyers_consent_are_all_consent_required(
    world: World,
) -> None:
    theirs = grant(world, world.zhang, buyer=world.other_buyer.organization_id)
    unknown = uuid.uuid4()
    assert refusal(lambda: check(world, None, subject=world.zhang)).code == "consent_required"
    found = {}
    for consent in (theirs, unknown):
        error = refusal(lambda c=consent: check(world, c, subject=world.zhang))
        assert (error.status, error.code) == (403, "consent_required")
        found[consent] = error.problem("en")["detail"]
    # Another buyer's consent reads exactly like one that does not exist.
    assert found[theirs].replace(str(theirs), "ID") == found[unknown].replace(str(unknown), "ID")
    assert found[unknown] == (
        f"No consent {unknown} was granted to your organization: send the id of a consent the "
        "subject granted you."
    )
    zh = refusal(lambda: check(world, theirs, subject=world.zhang)).problem("zh-CN")["detail"]
    for leak in (world.zhang.masked, world.zhang.masked[:6], "zhang.wei", INCOME.name):
        assert leak not in found[theirs] and leak not in zh


def test_another_subject_product_or_purpose_is_consent_mismatch(world: World) -> None:
    consent = grant(world, world.zhang)
    for kwargs, detail in (
        (
            {"subject": world.li},
            f"Consent {consent} was granted by another data subject than the one this call "
            "is about.",
        ),
        ({"subject": world.zhang, "product": EMPLOYMENT}, None),
        (
            {"subject": world.zhang, "purpose": AFTER_LOAN},
            f"Consent {consent} was granted for the purpose '{LOAN}', not '{AFTER_LOAN}'.",
        ),
    ):
        error = refusal(lambda k=kwargs: check(world, consent, **k))
        assert (error.status, error.code) == (403, "consent_mismatch")
        if detail:
            assert error.problem("en")["detail"] == detail
    # A consent for product A never serves product B, and B's own consent does not serve A.
    for_b = grant(world, world.zhang, product=EMPLOYMENT, purpose=EMPLOYMENT.purposes[0])
    assert check(world, for_b, subject=world.zhang, product=EMPLOYMENT, purpose="招聘背景核验")
    assert refusal(lambda: check(world, for_b, subject=world.zhang)).code == "consent_mismatch"


def test_outside_its_days_is_consent_expired(world: World) -> None:
    later = grant(world, world.zhang, first=date(2026, 12, 1), last=date(2026, 12, 31))
    pending = refusal(lambda: check(world, later, subject=world.zhang))
    assert (pending.status, pending.code) == (403, "consent_expired")
    assert pending.problem("en")["detail"] == (
        f"Consent {later} takes effect on 2026-12-01; it is not in force yet."
    )
    first_moment = datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)
    last_moment = datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
    assert check(world, later, subject=world.zhang, at=first_moment) == later
    assert check(world, later, subject=world.zhang, at=last_moment) == later
    expired = refusal(
        lambda: check(world, later, subject=world.zhang, at=last_moment + timedelta(seconds=1))
    )
    assert (expired.status, expired.code) == (403, "consent_expired")
    assert expired.problem("zh-CN")["detail"] == (
        f"同意 {later} 的有效期为 2026-12-01 至 2026-12-31，已过期。"
    )


def test_a_revoked_consent_refuses_the_very_next_check(world: World) -> None:
    consent = grant(world, world.li)
    assert check(world, consent, subject=world.li) == consent
    with world.database.unit_of_work() as session:
        service.revoke(session, actor=world.li.principal(), at=NOW, consent_id=consent)
    error = refusal(lambda: check(world, consent, subject=world.li))
    assert (error.status, error.code) == (403, "consent_revoked")
    assert error.problem("en") == {
        "type": "/problems/consent_revoked",
        "title": "Consent revoked",
        "status": 403,
        "detail": f"Consent {consent} was revoked by the data subject and can no longer be used.",
        "code": "consent_revoked",
    }
    # The order: a mismatch is named before the revocation.
    assert refusal(lambda: check(world, consent, subject=world.zhang)).code == "consent_mismatch"


@contextmanager
def statements(world: World) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT")):
            seen.append(statement)

    engine = world.database.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_check_is_one_read(world: World) -> None:
    consent = grant(world, world.zhang)
    with statements(world) as seen:
        check(world, consent, subject=world.zhang)
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("SELECT")
