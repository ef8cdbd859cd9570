"""An audit entry's fields beyond its target (R8.8): reason, agreement, purpose, consent,
resources (indexed, append-only), request id and client address; old rows read leniently."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from starlette.requests import Request

from sluice.audit import service as audit
from sluice.audit.models import AuditEvent, AuditEventResource
from sluice.core.database import Database
from sluice.core.ids import sm3_hex
from sluice.core.principal import Principal
from sluice.core.settings import Settings
from sluice.web import deps

AT = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)
REQUEST = uuid.UUID("0f7c3e52-7d1d-4c55-8b44-3f0a8b3b1c01")
AGREEMENT = uuid.UUID("5e0c7a0e-9a59-4a8b-8f2e-1f3c4d5e6f70")
CONSENT = uuid.UUID("8a1b2c3d-4e5f-4a6b-9c7d-0e1f2a3b4c5d")
R1 = uuid.UUID("00000000-0000-4000-8000-000000000001")
R2 = uuid.UUID("00000000-0000-4000-8000-000000000002")
BUYER = Principal(
    username="apikey",
    via="api_key",
    organization_id=uuid.uuid4(),
    api_key_id=uuid.uuid4(),
    request_id=REQUEST,
    client_address="203.0.113.7",
)


def _write(database: Database, **fields: object) -> int:
    with database.unit_of_work() as session:
        event = audit.record(
            session,
            actor=BUYER,
            action="guard.decision",
            target_type="authorization",
            target_id=AGREEMENT,
            at=AT,
            outcome="refused",
            detail={"decision": "refused"},
            **fields,  # type: ignore[arg-type]
        )
        session.flush()
        return event.id


def test_an_entry_keeps_every_field_and_indexes_its_resources(database: Database) -> None:
    event_id = _write(
        database,
        reason="out_of_scope",
        authorization_id=AGREEMENT,
        purpose="贷前审查",
        consent_id=CONSENT,
        resources=[R2, R1, R2],
    )
    with database.unit_of_work() as session:
        event = session.get_one(AuditEvent, event_id)
        assert (event.reason, event.authorization_id, event.purpose, event.consent_id) == (
            "out_of_scope",
            AGREEMENT,
            "贷前审查",
            CONSENT,
        )
        assert (event.request_id, event.client_address) == (REQUEST, "203.0.113.7")
        assert event.resources_digest == sm3_hex(f"{R1},{R2}")
        rows = session.execute(
            select(AuditEventResource.resource_id).where(AuditEventResource.event_id == event_id)
        ).scalars()
        assert sorted(rows, key=str) == [R1, R2]
        assert audit.reason_of(event) == "out_of_scope"


def test_today_s_callers_write_entries_without_the_new_fields(database: Database) -> None:
    event_id = _write(database)
    with database.unit_of_work() as session:
        event = session.get_one(AuditEvent, event_id)
        assert event.reason is None and event.resources_digest is None
        assert session.scalars(select(AuditEventResource)).all() == []


def test_old_rows_give_their_reason_code_from_detail_but_not_typed_words() -> None:
    coded = AuditEvent(detail={"reason": "not_in_force"}, reason=None)
    typed = AuditEvent(detail={"reason": "涉嫌违规调用，暂停"}, reason=None)
    sentence = AuditEvent(detail={"reason": "Suspended after a complaint"}, reason=None)
    assert audit.reason_of(coded) == "not_in_force"
    assert audit.reason_of(typed) is None
    assert audit.reason_of(sentence) is None


def test_an_overlong_purpose_is_shortened_and_kept_whole_in_detail(database: Database) -> None:
    purpose = "用途" * 150
    event_id = _write(database, purpose=purpose)
    with database.unit_of_work() as session:
        event = session.get_one(AuditEvent, event_id)
        assert event.purpose is not None and len(event.purpose) == 200
        assert event.detail["purpose"] == purpose


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event_resources SET resource_id = '00000000-0000-4000-8000-000000000009'",
        "DELETE FROM audit_event_resources",
    ],
)
def test_an_entry_s_resources_cannot_be_changed_or_removed(
    database: Database, statement: str
) -> None:
    _write(database, resources=[R1])
    with pytest.raises(DatabaseError, match="append-only"), database.unit_of_work() as session:
        session.execute(text(statement))
    with database.unit_of_work() as session:
        assert session.scalars(select(AuditEventResource.resource_id)).all() == [R1]


# -- the request's id and the client's address (web.deps) --------------------------------------


def _address(settings: Settings, peer: str, *forwarded: str) -> str | None:
    """What ``web.deps`` reads as the client of a request from ``peer``."""
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    app = SimpleNamespace(state=SimpleNamespace(settings=settings))
    scope = {"type": "http", "client": (peer, 50000), "headers": headers, "app": app}
    return deps.client_address(Request(scope))


@pytest.mark.rendering
def test_without_trusted_proxies_the_client_is_the_direct_peer() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.trusted_proxies == []
    assert _address(settings, "198.51.100.4", "203.0.113.9") == "198.51.100.4"


@pytest.mark.rendering
@pytest.mark.parametrize(
    ("peer", "forwarded", "seen"),
    [
        # The proxy appended the client it saw; whatever the client claimed before is ignored.
        ("10.0.0.2", ["1.2.3.4, 203.0.113.9"], "203.0.113.9"),
        # Two trusted hops, headers split over two lines.
        ("10.0.0.2", ["203.0.113.9", "10.0.0.3"], "203.0.113.9"),
        # A peer that is no trusted proxy is the client, whatever it forwards.
        ("198.51.100.4", ["203.0.113.9"], "198.51.100.4"),
        # A hop that is not an address stops at the proxy that reported it.
        ("10.0.0.2", ["203.0.113.9, not-an-ip"], "10.0.0.2"),
        # No header: the proxy itself.
        ("10.0.0.2", [], "10.0.0.2"),
        ("::1", ["2001:db8::7"], "2001:db8::7"),
    ],
)
def test_behind_trusted_proxies_the_client_is_the_nearest_untrusted_hop(
    peer: str, forwarded: list[str], seen: str
) -> None:
    settings = Settings(_env_file=None, trusted_proxies=["10.0.0.0/8", "::1"])  # type: ignore[call-arg]
    assert _address(settings, peer, *forwarded) == seen


@pytest.mark.rendering
def test_a_trusted_proxy_that_is_no_network_is_refused() -> None:
    with pytest.raises(ValueError, match="not an address or network"):
        Settings(_env_file=None, trusted_proxies=["proxy.local"])  # type: ignore[call-arg]


@pytest.mark.rendering
@pytest.mark.parametrize("days", [0, 30, 182])
def test_retention_under_six_months_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="183"):
        Settings(_env_file=None, audit_retention_days=days)  # type: ignore[call-arg]
