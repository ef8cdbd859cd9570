"""What an application declares, as the services keep it: principal ID numbers only masked,
an ownership graph that refuses what cannot be, evidence kept by its SM3 digest."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from sqlalchemy.orm import Session

from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.errors import Conflict, InvalidInput
from sluice.core.settings import Settings
from sluice.operators import applications, dossier
from sluice.operators.evidence import EvidenceCorrupted
from sluice.operators.ownership import NodeKind, Relation
from sluice.operators.schemas import (
    ApplicationCreate,
)
from tests.operators.factories import (
    complete_application,
    entity,
    link,
    operator_company,
)


def test_the_principal_id_number_is_kept_only_masked(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    view = applications.get(session, actor=actor, clock=clock, application_id=built.application.id)
    assert [p.id_number_masked for p in view.principals] == ["210802********1234"]


def test_the_graph_refuses_what_cannot_be(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    built = complete_application(session, clock, settings, actor)
    app_id = built.application.id
    person = entity(session, clock, actor, app_id, "张三", kind=NodeKind.PERSON)
    holding = built.entities["营口市国有资本投资运营有限公司"]
    with pytest.raises(InvalidInput) as too_much:
        link(session, clock, actor, app_id, person, built.applicant_entity, share_bp=1)
    assert too_much.value.detail("zh-CN") == (
        f"“{built.application.company_name}”已申报的股东持股合计将达 100.01%，超过 100%。"
    )
    with pytest.raises(InvalidInput) as held_person:
        link(session, clock, actor, app_id, holding, person)
    assert held_person.value.message_key == "operators.person_not_held"
    with pytest.raises(Conflict):
        entity(session, clock, actor, app_id, "营口市国资委")
    with pytest.raises(Conflict) as in_use:
        dossier.remove_entity(
            session,
            actor=actor,
            clock=clock,
            application_id=app_id,
            entity_id=built.applicant_entity,
        )
    assert in_use.value.message_key == "operators.applicant_entity_fixed"
    with pytest.raises(Conflict) as twice:
        link(session, clock, actor, app_id, holding, built.applicant_entity, Relation.CONTROLLER)
        link(session, clock, actor, app_id, holding, built.applicant_entity, Relation.CONTROLLER)
    assert twice.value.message_key == "operators.link_exists"


def test_evidence_is_stored_under_its_sm3_digest_and_kept(
    session: Session, clock: FixedClock, settings: Settings
) -> None:
    actor = operator_company(session, clock)
    application = applications.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    content = "营业执照副本（扫描件）".encode() * 100
    document = dossier.upload_evidence(
        session,
        actor=actor,
        clock=clock,
        settings=settings,
        application_id=application.id,
        stream=io.BytesIO(content),
        filename="../../营业执照.pdf",
        content_type="application/pdf",
        title="营业执照",
    )
    digest = hashes.Hash(hashes.SM3())
    digest.update(content)
    assert document.sm3 == digest.finalize().hex()
    stored = settings.home / "evidence" / document.sm3
    # Kept SM4-encrypted like uploads: nothing of the document is on disk in the clear.
    sealed = stored.read_bytes()
    assert sealed.startswith(b"SLSM4GCM")
    assert "营业执照".encode() not in sealed
    assert document.size_bytes == len(content)
    assert document.filename == "营业执照.pdf"
    _, read = dossier.evidence_file(
        session,
        actor=actor,
        settings=settings,
        application_id=application.id,
        evidence_id=document.id,
    )
    assert read == content
    stored.chmod(0o600)
    stored.write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))
    with pytest.raises(EvidenceCorrupted):
        dossier.evidence_file(
            session,
            actor=actor,
            settings=settings,
            application_id=application.id,
            evidence_id=document.id,
        )


def test_evidence_above_the_upload_limit_is_refused(
    session: Session, clock: FixedClock, tmp_path: Path, database: Database
) -> None:
    small = Settings(home=tmp_path / "small", database_url=database.url, upload_max_mb=1)
    actor = operator_company(session, clock)
    application = applications.create_application(
        session, actor=actor, clock=clock, data=ApplicationCreate()
    )
    with pytest.raises(InvalidInput) as refused:
        dossier.upload_evidence(
            session,
            actor=actor,
            clock=clock,
            settings=small,
            application_id=application.id,
            stream=io.BytesIO(b"x" * ((1 << 20) + 1)),
            filename="big.bin",
            content_type=None,
        )
    assert refused.value.detail("zh-CN") == "文件超过 1 MB 的上传上限。"
    assert [p.name for p in (small.home / "evidence").iterdir()] == []
