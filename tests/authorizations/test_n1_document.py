"""A real agreement's document carries every part N1 requires (national rules: 授权运营协议应
当载明 …): resource scope and catalog, term, products with their security and compliance
review, platform, asset ownership, disclosure, accounting and revenue split, security and
risk monitoring, evaluation/renewal/exit, liability, disputes, change and termination.

The agreement is made through the services with its own wording for every clause, signed
by both parties, and its document is read the way a party gets it (``document_service``):
each part is an article of its own, titled as N1 names it, carrying this agreement's text."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.authorizations import document_service, repository
from sluice.authorizations.clauses import N1_PARTS, TEXT_CLAUSES, AgreementClauses
from sluice.authorizations.document_render import article_label
from sluice.catalog import repository as catalog
from sluice.core.i18n import translate
from tests.authorizations import shared_world
from tests.authorizations.factories import active_authorization
from tests.authorizations.shared_world import Shared

#: This agreement's own wording of every text clause, so the document cannot pass on defaults.
OWN_TEXT = {
    key: f"本协议{zh}条款：甲乙双方约定的第{n}项内容。"
    for n, (key, zh, _) in enumerate(TEXT_CLAUSES, 1)
}
CLAUSES = AgreementClauses.model_validate(
    {
        "products": [
            {
                "name": "企业纳税信用核验",
                "description": "按企业授权核验纳税信用等级，仅返回是否一致",
                "review": "上线前由数据局组织安全评估和合规审查并登记",
            }
        ],
        "revenue": {
            "government_share_bp": 1875,
            "method": "按季度单独核算，政府分成缴入市级财政。",
        },
        **OWN_TEXT,
    }
)


# What is under test is the document made from an agreement's signed content, which reads
# the same from either database: SQLite alone keeps the suite's minutes for what differs.
@pytest.fixture(scope="module", params=["sqlite"])
def documents(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[dict[str, str], list[tuple[str, str]]]]:
    """The signed agreement's document in Chinese and in English, and its scope as catalog
    codes and titles."""
    for shared in shared_world.build(request, tmp_path_factory, sqlite_template):
        agreement = active_authorization(
            shared.database,
            shared.clock(),
            shared.settings,
            shared.world,
            scenario="企业纳税信用核验",
            term_years=5,
            entry_ids=[shared.world.entries[0], shared.finance_entries[0]],
            clauses=CLAUSES,
        )
        yield _render(shared, agreement)


def _render(shared: Shared, agreement: uuid.UUID) -> tuple[dict[str, str], list[tuple[str, str]]]:
    with shared.database.unit_of_work() as session:
        found = repository.authorization(session, agreement)
        assert found is not None
        pages = {
            locale: document_service.html(
                session, shared.world.bureau_principal(), found, version=None, locale=locale
            )
            for locale in ("zh-CN", "en")
        }
        entries = catalog.entries_by_ids(
            session, [shared.world.entries[0], shared.finance_entries[0]]
        )
        providers = catalog.organizations(session, {e.provider_id for e in entries})
        resources = catalog.resources_by_ids(session, [e.resource_id for e in entries])
        scope = [
            (
                f"{providers[e.provider_id].code}/{resources[e.resource_id].code}",
                resources[e.resource_id].name,
            )
            for e in entries
        ]
    return pages, scope


def _articles(page: str) -> dict[str, tuple[str, str]]:
    """Each article with an N1 part's id: its heading and its text, tags dropped."""

    def text(fragment: str) -> str:
        return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()

    found = re.findall(
        r'<section class="article" id="clause-([a-z_]+)">\s*<h2>(.*?)</h2>(.*?)</section>',
        page,
        re.S,
    )
    return {key: (text(heading), text(body)) for key, heading, body in found}


def test_every_n1_part_is_an_article_of_its_own_in_n1_order(
    documents: tuple[dict[str, str], list[tuple[str, str]]],
) -> None:
    pages, _ = documents
    for locale, page in pages.items():
        articles = _articles(page)
        assert list(articles) == list(N1_PARTS), locale
        # Articles 1 and 2 are the mode and scenario and the rights granted; then N1's parts.
        for n, part in enumerate(N1_PARTS, start=3):
            expected = f"{article_label(n, locale)} {translate(f'clause.{part}', locale)}"
            assert articles[part][0] == expected
            assert articles[part][1], (locale, part)


def test_each_part_carries_this_agreements_own_terms(
    documents: tuple[dict[str, str], list[tuple[str, str]]],
) -> None:
    pages, scope = documents
    zh = _articles(pages["zh-CN"])
    assert zh["term"] == ("第三条 授权期限", "自2026年11月26日起至2031年11月25日止，期限5年。")
    heading, text = zh["scope"]
    assert heading == "第四条 数据资源范围和目录"
    assert text.startswith("本协议授权的数据资源共 2 项，以公共数据资源目录为准：")
    for code, title in scope:
        assert f"{code} {title}" in text
    assert zh["products"][1] == (
        "1. 企业纳税信用核验：按企业授权核验纳税信用等级，仅返回是否一致"
        "（安全合规审查：上线前由数据局组织安全评估和合规审查并登记）"
    )
    assert zh["revenue"][1] == "政府分成比例：18.75%。按季度单独核算，政府分成缴入市级财政。"
    for key, own in OWN_TEXT.items():
        assert zh[key][1] == own
    # The collective decision it rests on and both parties' signatures close the document.
    assert "2026年第12次局务会（2026-11-20，三重一大集体决策）" in pages["zh-CN"]
    assert pages["zh-CN"].count("SM2-with-SM3") == 2


def test_the_english_document_words_the_parts_in_english_around_the_agreed_text(
    documents: tuple[dict[str, str], list[tuple[str, str]]],
) -> None:
    pages, _ = documents
    en = _articles(pages["en"])
    assert en["term"] == ("Article 3 Term", "From 2026-11-26 to 2031-11-25 (5-year term).")
    assert en["scope"][0] == "Article 4 Resource scope and catalog"
    assert en["products"] == (
        "Article 5 Products and their review",
        "1. 企业纳税信用核验: 按企业授权核验纳税信用等级，仅返回是否一致 (security and "
        "compliance review: 上线前由数据局组织安全评估和合规审查并登记)",
    )
    assert en["revenue"] == (
        "Article 6 Accounting and revenue split",
        "Government's share of revenue: 18.75%. 按季度单独核算，政府分成缴入市级财政。",
    )
