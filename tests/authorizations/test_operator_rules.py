"""The operator files its data-governance, trading and security rules with the bureau, which
acknowledges them (R5.2: 运营机构完善并报备数据治理、交易和安全管理制度)."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sluice.authorizations import operator_rules
from sluice.authorizations.operator_rule_models import OperatorRule
from sluice.core.canonical import canonical_digest
from sluice.core.errors import Conflict, InvalidInput, NotFound
from sluice.core.ids import sm3_hex
from sluice.operators import evidence
from sluice.web.app import create_app
from tests.authorizations import shared_world
from tests.authorizations.factories import active_authorization
from tests.authorizations.shared_world import Shared
from tests.identity.factories import console_login

#: A small but real PDF: what an operator uploads for its rules.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
GOVERNANCE = "第一条 为规范本公司公共数据治理，明确数据分级分类、质量和元数据管理要求，制定本制度。"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Shared]:
    for built in shared_world.build(request, tmp_path_factory, sqlite_template):
        # The operator holds an agreement in force: it owes the bureau its rules.
        active_authorization(
            built.database, built.clock(), built.settings, built.world, **built.unique()
        )
        yield built


def _file(
    shared: Shared, kind: str, title: str, body: str = "", pdf: bytes | None = None
) -> OperatorRule:
    clock = shared.clock()
    with shared.database.unit_of_work() as session:
        filed = operator_rules.file(
            session,
            actor=shared.world.operator_principal(),
            settings=shared.settings,
            at=clock.now(),
            kind=kind,
            title=title,
            body=body,
            stream=io.BytesIO(pdf) if pdf is not None else None,
            filename="数据交易管理制度.pdf" if pdf is not None else None,
        )
        session.expunge(filed)
        return filed


def _review(
    shared: Shared, rule_id: uuid.UUID, *, acknowledge: bool, note: str = ""
) -> OperatorRule:
    with shared.database.unit_of_work() as session:
        reviewed = operator_rules.review(
            session,
            actor=shared.world.bureau_principal(),
            at=shared.clock().now(),
            rule_id=rule_id,
            acknowledge=acknowledge,
            note=note,
        )
        session.expunge(reviewed)
        return reviewed


def test_filed_rules_are_versioned_sealed_and_digested_and_the_bureau_acknowledges_them(
    shared: Shared,
) -> None:
    first = _file(shared, "governance", "数据治理制度", body=GOVERNANCE)
    trading = _file(shared, "trading", "数据交易管理制度", pdf=PDF)
    assert (first.version, first.status, first.file_sm3) == (1, "filed", None)
    assert first.content["body_sm3"] == sm3_hex(GOVERNANCE)
    assert first.digest == canonical_digest(first.content)
    # The PDF is kept SM4-sealed under its SM3: never in plaintext on disk, read back exact.
    assert trading.file_sm3 == sm3_hex(PDF) and trading.file_bytes == len(PDF)
    assert trading.content["document"] == {
        "name": "数据交易管理制度.pdf",
        "bytes": len(PDF),
        "sm3": sm3_hex(PDF),
    }
    sealed = (evidence.directory_of(shared.settings.home) / sm3_hex(PDF)).read_bytes()
    assert b"/Catalog" not in sealed
    with shared.database.unit_of_work() as session:
        _, content = operator_rules.document(
            session,
            actor=shared.world.bureau_principal(),
            settings=shared.settings,
            rule_id=trading.id,
        )
    assert content == PDF

    # A revision is the next version; only the newest can be acknowledged.
    second = _file(shared, "governance", "数据治理制度（修订）", body=GOVERNANCE + "第二条 ……")
    assert second.version == 2
    with pytest.raises(Conflict) as superseded:
        _review(shared, first.id, acknowledge=True)
    assert superseded.value.code == "rules_superseded"
    assert superseded.value.detail("zh-CN") == (
        "“数据治理制度”已有更新的第 2 版报备，只能确认或退回最新版本。"
    )
    acknowledged = _review(shared, second.id, acknowledge=True, note="内容完整，予以确认。")
    assert (acknowledged.status, acknowledged.reviewed_by) == (
        "acknowledged",
        shared.world.bureau.username,
    )
    with pytest.raises(InvalidInput) as no_reason:
        _review(shared, trading.id, acknowledge=False)
    assert no_reason.value.detail("zh-CN") == "退回须说明理由。"
    returned = _review(shared, trading.id, acknowledge=False, note="缺少交易纠纷处理程序。")
    assert (returned.status, returned.review_note) == ("returned", "缺少交易纠纷处理程序。")


def test_a_filing_needs_an_agreement_a_kind_and_a_text_or_a_pdf(shared: Shared) -> None:
    with pytest.raises(InvalidInput) as empty:
        _file(shared, "security", "数据安全管理制度")
    assert empty.value.detail("zh-CN") == "请填写制度正文或上传 PDF 文件（或两者都有）。"
    with pytest.raises(InvalidInput) as not_pdf:
        _file(shared, "security", "数据安全管理制度", pdf=b"<html>not a pdf</html>")
    assert (
        not_pdf.value.detail("en") == "The uploaded file is not a PDF (it should begin with %PDF-)."
    )
    with pytest.raises(InvalidInput) as kind:
        _file(shared, "marketing", "营销制度", body="……")
    assert kind.value.detail("zh-CN") == "请选择制度类别：数据治理、数据交易或数据安全管理。"

    other = shared.world.operator_principal(shared.world.other_operator)
    with shared.database.unit_of_work() as session, pytest.raises(Conflict) as unbound:
        operator_rules.file(
            session,
            actor=other,
            settings=shared.settings,
            at=shared.clock().now(),
            kind="security",
            title="数据安全管理制度",
            body="……",
        )
    assert unbound.value.detail("zh-CN") == (
        "贵单位尚无经批准或生效中的授权运营协议；协议批准后再报备管理制度。"
    )
    # Another operator's filings do not exist for it.
    mine = _file(shared, "security", "数据安全管理制度", body="第一条 ……")
    with shared.database.unit_of_work() as session, pytest.raises(NotFound):
        operator_rules.rule(session, other, mine.id)


# -- the pages -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(shared: Shared) -> Iterator[TestClient]:
    app = create_app(shared.settings, database=shared.database, clock=shared.clock())
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_operator_uploads_its_rules_and_both_pages_show_their_status(
    shared: Shared, client: TestClient
) -> None:
    client.cookies.clear()
    csrf = console_login(client, shared.world.operator)
    overview = _text(client.get("/console/operator-rules").text)
    assert "数据交易管理制度" in overview
    not_pdf = client.post(
        "/console/operator-rules",
        data={"csrf_token": csrf, "kind": "trading", "title": "数据交易规则", "body": ""},
        files={"file": ("规则.pdf", b"plain text", "application/pdf")},
    )
    assert not_pdf.status_code == 422
    assert "上传的文件不是 PDF（文件头应为 %PDF-）。" in not_pdf.text
    filed = client.post(
        "/console/operator-rules",
        data={"csrf_token": csrf, "kind": "trading", "title": "数据交易规则（2027）", "body": ""},
        files={"file": ("数据交易规则.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    rule_path = filed.headers["location"].split("?")[0]
    page = client.get(filed.headers["location"])
    shown = _text(page.text)
    assert "已报备，待数据局确认。" in shown
    assert 'data-testid="rule-status">已报备待确认<' in page.text
    assert "下载 数据交易规则.pdf" in shown
    download = client.get(f"{rule_path}/document.pdf")
    assert download.content == PDF
    assert download.headers["x-content-sm3"] == sm3_hex(PDF)
    assert download.headers["content-type"] == "application/pdf"
    home = _text(client.get("/console").text)
    assert "运营机构管理制度" in home

    client.cookies.clear()
    csrf = console_login(client, shared.world.bureau)
    assert re.search(r"待确认：\d+ 份运营机构报备的管理制度", _text(client.get("/console").text))
    listed = _text(client.get("/console/operator-rules?status=filed").text)
    assert "数据交易规则（2027）" in listed
    acknowledged = client.post(
        f"{rule_path}/review", data={"csrf_token": csrf, "decision": "acknowledge", "note": ""}
    )
    assert "已确认报备。" in acknowledged.text
    assert 'data-testid="rule-status">数据局已确认<' in acknowledged.text

    client.cookies.clear()
    console_login(client, shared.world.operator)
    mine = client.get("/console/operator-rules")
    trading_row = re.search(r'<tr data-kind="trading">.*?</tr>', mine.text, re.S)
    assert trading_row is not None
    assert "数据交易规则（2027）" in trading_row.group(0)
    assert "数据局已确认" in trading_row.group(0)
    # The other operator sees neither the filing nor its file.
    client.cookies.clear()
    console_login(client, shared.world.other_operator)
    assert client.get(rule_path).status_code == 404
    assert client.get(f"{rule_path}/document.pdf").status_code == 404
