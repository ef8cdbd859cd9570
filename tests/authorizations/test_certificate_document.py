"""The destruction certificate on paper and on the public check page: what its readers see,
that its printed steps really verify it (followed here with an independent SM2/SM3, as an
outsider would), that its QR code opens the public check, and who may open which."""

from __future__ import annotations

import html as markup
import io
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pypdf
import pytest
import segno
from fastapi.testclient import TestClient
from gmssl import func, sm3
from gmssl.sm2 import CryptSM2

from sluice.authorizations import certificate_service, repository
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from sluice.core.printing import PdfFontsMissing, hex_lines
from sluice.core.settings import Settings
from sluice.dataplane import derived
from sluice.identity import signing
from tests.authorizations import layout
from tests.authorizations.factories import (
    World,
    active_authorization,
    make_world,
    terminate_by_two,
)
from tests.identity.factories import console_login, make_account

#: What the operator derived under the agreement before it ended; a long name on purpose.
DERIVED = {
    "credit-scores-2027Q1.csv": b"credit_code,score\n91210800MA0000001X,712\n",
    "model-features-of-small-and-micro-enterprises-by-month-2027.parquet": b"PAR1" * 40,
}
REASON = "运营机构发生重大数据安全事件"


@dataclass(frozen=True)
class Ended:
    authorization_id: uuid.UUID
    agreement_number: str
    number: str
    files: dict[str, str]  # name -> SM3, taken before destruction


@pytest.fixture
def world(database: Database, clock: FixedClock, settings: Settings) -> World:
    return make_world(database, clock, settings)


@pytest.fixture
def ended(database: Database, clock: FixedClock, settings: Settings, world: World) -> Ended:
    """An agreement that was in force, derived two files, and was terminated: its data is
    destroyed and the bureau has issued and signed the certificate."""
    authorization_id = active_authorization(database, clock, settings, world)
    for name, data in DERIVED.items():
        derived.write(settings, authorization_id, name, data)
    files = {f.name: f.sm3 for f in derived.describe(settings, authorization_id)}
    with database.unit_of_work() as session:
        agreement = terminate_by_two(
            session,
            world,
            clock=clock,
            settings=settings,
            authorization_id=authorization_id,
            reason=REASON,
        )
        certificate = repository.certificate(session, authorization_id)
        assert certificate is not None
        return Ended(authorization_id, agreement.number, certificate.number, files)


def _visible(page: str) -> str:
    """The page's text as read: no styles or titles, inline tags dropped, others a space,
    entities read, whitespace squeezed."""
    page = re.sub(r"<(style|title)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"</?(span|a|strong|em)\b[^>]*>", "", page)
    return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", page)))


def _by_testid(page: str, testid: str, tag: str) -> str:
    found = re.search(rf'<{tag}[^>]*data-testid="{testid}"[^>]*>(.*?)</{tag}>', page, re.S)
    assert found is not None, testid
    return found.group(1)


def _hex_in(fragment: str) -> str:
    return "".join(re.findall(r'<span class="hex-line">([^<]*)</span>', fragment)).replace(" ", "")


def _verify_url(settings: Settings, number: str) -> str:
    return f"{settings.base_url.rstrip('/')}/verify/certificates/{quote(number, safe='')}"


def _certificate_page(client: TestClient, world: World, ended: Ended) -> str:
    console_login(client, world.bureau)
    page = client.get(f"/console/authorizations/{ended.authorization_id}/certificate.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    return page.text


# --- the printable certificate -----------------------------------------------------------


@pytest.mark.rendering
def test_the_certificate_lists_every_destroyed_file_with_its_sm3_and_the_crypto_shredded_key(
    client: TestClient, world: World, ended: Ended
) -> None:
    page = _certificate_page(client, world, ended)
    text = _visible(page)

    assert "数据销毁证明" in text
    assert f"证明编号：{ended.number}" in text
    assert f"授权运营协议{ended.agreement_number}已结束" in text
    assert f"终止原因 {REASON}" in text
    assert "共 2 个文件" in text
    rows = re.findall(
        r'<td class="code">([^<]*)</td>\s*<td class="size">[^<]*</td>\s*'
        r'<td class="hex" data-sm3="[0-9a-f]+">((?:<span class="hex-line">[^<]*</span>)+)</td>',
        page,
    )
    assert {name: _hex_in(shown) for name, shown in rows} == ended.files
    for shown in (lines for _, lines in rows):
        assert re.findall(r">([^<]+)<", shown) == hex_lines(_hex_in(shown), 4)
    assert f"密钥 authorization-{ended.authorization_id} 已销毁（密码学擦除）。" in text


@pytest.mark.rendering
def test_the_printed_steps_verify_the_certificate_with_tools_that_are_not_the_platforms(
    client: TestClient, database: Database, world: World, ended: Ended, settings: Settings
) -> None:
    page = _certificate_page(client, world, ended)
    digest = _hex_in(_by_testid(page, "certificate-digest", "dd"))
    public_key = _hex_in(_by_testid(page, "certificate-public-key", "dd"))
    signature = _hex_in(_by_testid(page, "certificate-signature-value", "dd"))
    canonical = markup.unescape(_by_testid(page, "certificate-canonical", "pre"))
    steps = _visible(_by_testid(page, "certificate-verify", "section"))

    # Step 1: the SM3 of the appendix's canonical content is the digest printed above.
    assert sm3.sm3_hash(func.bytes_to_list(canonical.encode("utf-8"))) == digest
    # Step 2: the key printed is the bureau's, as published for anyone.
    public_keys = f"{settings.base_url}/api/v1/public-keys"
    assert public_keys in steps
    published = client.get(urlsplit(public_keys).path).json()
    bureau_name = _visible(_by_testid(page, "certificate-signature", "div"))
    assert any(
        k["public_key_hex"] == public_key and k["organization"] in bureau_name for k in published
    )
    # Step 3: SM2 with signer ID 1234567812345678 over the digest's 32 bytes.
    assert "签名者 ID 1234567812345678" in steps
    verifier = CryptSM2(private_key="", public_key=public_key)
    verifier.public_key = public_key  # its constructor strips leading "0"/"4" digits
    assert verifier.verify_with_sm3(signature, bytes.fromhex(digest))
    with database.unit_of_work() as session:
        stored = repository.certificate(session, ended.authorization_id)
        assert stored is not None
        assert (stored.digest, stored.signature_hex) == (digest, signature)
    for name in ended.files:
        assert name in canonical


@pytest.mark.rendering
def test_the_qr_code_carries_the_public_check_address_and_is_a_link_to_it(
    client: TestClient, world: World, ended: Ended, settings: Settings
) -> None:
    page = _certificate_page(client, world, ended)
    url = _verify_url(settings, ended.number)
    qr = _by_testid(page, "certificate-qr", "a")

    assert f'<a class="qr" href="{url}" data-testid="certificate-qr">' in page
    assert f"<title>{url}</title>" in qr
    # The modules drawn are those of a QR code of exactly this address (border: 2 modules).
    matrix = segno.make(url, error="m").matrix
    expected = {
        (x + 2, y + 2) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    }
    assert _modules(qr) == expected
    # The address is printed too, readable, for those without a phone.
    assert f"访问 {settings.base_url}/verify/certificates/{ended.number}" in _visible(page)


def _modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules of segno's SVG: its path draws each row's runs as relative moves."""
    path = re.search(r' d="([^"]+)"', svg)
    assert path is not None
    dark, x, y = set(), 0.0, 0.0
    for command, a, b in re.findall(r"([Mmhv])(-?[\d.]+)(?: (-?[\d.]+))?", path.group(1)):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        elif command == "h":
            dark.update((int(x) + i, int(y)) for i in range(int(float(a))))
            x += float(a)
    return dark


@pytest.mark.rendering
def test_the_pdf_links_its_qr_code_to_the_public_check_and_shows_the_signature(
    client: TestClient, world: World, ended: Ended, settings: Settings, database: Database
) -> None:
    console_login(client, world.bureau)
    response = client.get(f"/console/authorizations/{ended.authorization_id}/certificate.pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    links = {
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots") or []
        if "/A" in annotation.get_object()
    }
    assert _verify_url(settings, ended.number) in links
    flat = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    with database.unit_of_work() as session:
        stored = repository.certificate(session, ended.authorization_id)
        assert stored is not None
        assert stored.signature_hex in flat and stored.public_key_hex in flat
    for sm3_hex in ended.files.values():
        assert sm3_hex in flat
    assert ended.number in flat


@pytest.mark.rendering
def test_nothing_on_the_printed_certificate_crosses_the_margins_or_the_signature_box(
    client: TestClient, world: World, ended: Ended
) -> None:
    pages = layout.pages(_certificate_page(client, world, ended))
    (qr,) = layout.elements(pages[0], "qr")
    heading = [t for t in layout.texts(pages[0]) if t.within("masthead") and not t.within("qr")]

    assert heading and all(t.span.right < layout.border_span(qr).left for t in heading)
    assert layout.page_content(pages[0]).holds(layout.border_span(qr))
    for page in pages:
        margins = layout.page_content(page)
        assert [t.text for t in layout.texts(page) if not margins.holds(t.span)] == []
        for text in layout.texts(page):
            box = text.within("signature-block")
            if box is not None:
                assert layout.content_span(box).holds(text.span), text.text
            cell = text.within("hex") or text.within("code")
            if cell is not None and type(cell).__name__ == "TableCellBox":
                assert layout.content_span(cell).holds(text.span), text.text


@pytest.mark.rendering
def test_the_console_shows_where_to_open_print_and_check_the_certificate(
    client: TestClient, world: World, ended: Ended
) -> None:
    console_login(client, world.operator)
    detail = client.get(f"/console/authorizations/{ended.authorization_id}").text
    links = _by_testid(detail, "certificate-documents", "p")

    base = f"/console/authorizations/{ended.authorization_id}"
    assert f'href="{base}/certificate.html"' in links
    assert f'href="{base}/certificate.pdf"' in links
    assert f'href="/verify/certificates/{quote(ended.number, safe="")}"' in links
    assert _visible(links).strip().split(" · ") == ["打印版证明（网页）", "证明 PDF", "公开核验页"]


@pytest.mark.rendering
def test_without_chinese_fonts_the_certificate_pdf_explains_and_links_to_the_html(
    client: TestClient, world: World, ended: Ended, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fonts(*args: object, **kwargs: object) -> bytes:
        raise PdfFontsMissing(fonts="Noto Sans CJK SC / Noto Serif CJK SC")

    monkeypatch.setattr(certificate_service, "render_pdf", no_fonts)
    console_login(client, world.bureau)
    page = client.get(f"/console/authorizations/{ended.authorization_id}/certificate.pdf")

    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "无法生成数据销毁证明的 PDF 版本" in page.text
    html_link = f"/console/authorizations/{ended.authorization_id}/certificate.html"
    assert f'href="{html_link}"' in page.text


# --- who may open it -----------------------------------------------------------------------


def test_the_agreements_parties_and_the_registry_open_it_and_another_operator_finds_nothing(
    client: TestClient, database: Database, clock: FixedClock, world: World, ended: Ended
) -> None:
    base = f"/console/authorizations/{ended.authorization_id}"
    registry = make_account(database, clock, Role.REGISTRY)
    for reader in (world.bureau, world.operator, registry):
        client.cookies.clear()
        console_login(client, reader)
        assert client.get(f"{base}/certificate.html").status_code == 200, reader.role

    client.cookies.clear()
    console_login(client, world.other_operator)
    for document in ("certificate.html", "certificate.pdf"):
        refused = client.get(f"{base}/{document}")
        assert refused.status_code == 404
        assert ended.number not in refused.text


def test_an_agreement_still_in_force_has_no_certificate_to_open(
    client: TestClient, database: Database, clock: FixedClock, settings: Settings, world: World
) -> None:
    authorization_id = active_authorization(database, clock, settings, world)
    console_login(client, world.bureau)

    page = client.get(f"/console/authorizations/{authorization_id}/certificate.html")
    assert page.status_code == 404
    assert "该授权尚无销毁证明。" in _visible(page.text)


# --- the public check ------------------------------------------------------------------------


def _public(client: TestClient, path: str) -> Any:
    client.cookies.clear()  # nobody logged in: whoever scanned the paper
    return client.get(path)


def test_the_public_check_says_a_real_certificate_is_genuine_and_shows_no_personal_data(
    client: TestClient, world: World, ended: Ended, settings: Settings, database: Database
) -> None:
    page = _public(client, urlsplit(_verify_url(settings, ended.number)).path)

    assert page.status_code == 200
    text = _visible(page.text)
    assert "✓ 核验通过：本证明由数据局签发，内容未被改动。" in text
    assert "核验未通过" not in text
    assert f"证明编号 {ended.number}" in text
    assert f"授权运营协议编号 {ended.agreement_number}" in text
    assert "签发日期 2026-11-26" in text
    with database.unit_of_work() as session:
        stored = repository.certificate(session, ended.authorization_id)
        assert stored is not None
        operator = stored.content["authorization"]["operator"]
        assert stored.digest in text
    # Nothing of the operator, the files, the reason or the people involved.
    for private in (operator, REASON, *ended.files, *ended.files.values(), "陈晓", "王建国"):
        assert private not in text


@pytest.mark.parametrize("tampered", ["signature", "content"])
def test_the_public_check_says_a_tampered_certificate_is_not_genuine(
    client: TestClient,
    database: Database,
    world: World,
    ended: Ended,
    settings: Settings,
    tampered: str,
) -> None:
    with database.unit_of_work() as session:
        stored = repository.certificate(session, ended.authorization_id)
        assert stored is not None
        if tampered == "signature":
            flipped = "0" if stored.signature_hex[-1] != "0" else "1"
            stored.signature_hex = stored.signature_hex[:-1] + flipped
        else:
            content = dict(stored.content)
            content["items"] = content["items"][:1]  # a file quietly left off the list
            stored.content = content

    page = _public(client, urlsplit(_verify_url(settings, ended.number)).path)

    assert page.status_code == 200
    text = _visible(page.text)
    assert "✗ 核验未通过：证明内容或签名与数据局的公钥不符" in text
    assert "核验通过" not in text


@pytest.mark.parametrize("number", ["营数销〔2026〕99号", "x" * 200])
def test_the_public_check_of_an_unknown_number_is_a_404_page(
    client: TestClient, ended: Ended, number: str
) -> None:
    page = _public(client, f"/verify/certificates/{quote(number, safe='')}")

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "核验通过" not in page.text


def test_after_the_bureau_rotates_its_key_the_console_still_calls_the_certificate_genuine(
    client: TestClient,
    database: Database,
    clock: FixedClock,
    settings: Settings,
    world: World,
    ended: Ended,
) -> None:
    assert world.bureau.organization_id is not None
    with database.unit_of_work() as session:
        old = signing.current_key(session, world.bureau.organization_id)
        assert old is not None
        old.retired_at = clock.now()
        session.flush()
        new = signing.ensure_key(
            session, organization_id=world.bureau.organization_id, settings=settings, at=clock.now()
        )
        assert new.public_key_hex != old.public_key_hex
    console_login(client, world.bureau)
    detail = client.get(f"/console/authorizations/{ended.authorization_id}").text
    assert 'data-testid="certificate-valid"' in detail
    assert 'data-testid="certificate-invalid"' not in detail
    # The scope table names the grade by its label, as the catalog does.
    scope = detail.split('<table data-testid="scope">')[1].split("</table>")[0]
    assert "<td>三级（敏感）</td>" in scope and "<td>3</td>" not in scope
