"""Catalog search: the terms an entry is found under, and the order people see results in."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from sluice.catalog import repository, service
from sluice.catalog.search import (
    document_terms,
    normalize,
    single_characters,
    synonym_terms,
    terms,
    variants,
)
from sluice.core.clock import FixedClock
from sluice.core.database import Database
from sluice.core.permissions import Role
from tests.catalog.factories import publish, resource_data
from tests.identity.factories import make_account


def test_a_two_character_query_is_found_inside_a_longer_title() -> None:
    assert terms("企业") <= document_terms("企业登记信息")


def test_an_abbreviation_finds_the_full_form_and_back() -> None:
    assert terms("社保") <= document_terms("社会保险缴费记录")
    assert terms("社会保险") <= document_terms("社保参保信息")
    assert terms("公积金") <= document_terms("住房公积金缴存")
    assert not terms("社保") <= document_terms("企业登记信息")


def test_a_synonym_term_is_known_as_one() -> None:
    """The ranking counts a term held only through a synonym for less: it must know which."""
    assert synonym_terms("社会保险缴费记录") == {"社保"}
    assert synonym_terms("社保缴费") >= {"社会", "会保", "保险"}
    assert synonym_terms("企业登记信息") & terms("企业登记信息") == set()
    assert variants("社保缴费") == {"社会保险缴费"}
    assert variants("登记") == set()


def test_full_width_and_case_do_not_matter() -> None:
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert terms("uscc") <= document_terms("字段 USCC")


def test_single_characters_are_left_to_the_title_match() -> None:
    assert terms("水") == set()
    assert single_characters("水 电费") == ["水"]


@given(st.text(alphabet="企业社会保险公积金登记信息不动产户籍人口", min_size=2, max_size=12))
def test_any_substring_of_a_document_is_found(text: str) -> None:
    for start in range(len(text) - 1):
        assert terms(text[start : start + 2]) <= document_terms(text)


# --- ranking, as the public API returns it ------------------------------------------------


def _provider(database: Database, clock: FixedClock) -> uuid.UUID:
    account = make_account(database, clock, Role.PROVIDER)
    assert account.organization_id is not None
    return account.organization_id


def _titles(client: TestClient, q: str = "") -> list[str]:
    response = client.get("/api/v1/catalog", params={"q": q, "page_size": 100})
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_a_title_match_outranks_entries_that_only_mention_the_words(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """Each word of the query in the title beats a description that repeats them, whatever
    the alphabet says (住房 sorts before 职工, 参 before 社)."""
    publish(
        database,
        clock,
        _provider(database, clock),
        [
            resource_data(
                "details",
                "住房缴存明细",
                description="住房公积金缴存职工的住房公积金缴存明细，按住房公积金账户列出。",
            ),
            resource_data("accounts", "职工住房公积金缴存信息", description="按月更新。"),
            resource_data("units", "参保单位信息", description="社保经办机构登记的参保单位。"),
            resource_data("insurance", "社会保险参保信息", description="按月更新。"),
        ],
    )
    assert _titles(client, "缴存 公积金") == ["职工住房公积金缴存信息", "住房缴存明细"]
    # A title holding the words through a synonym (社会保险 for 社保) still beats a
    # description holding them as typed.
    assert _titles(client, "社保") == ["社会保险参保信息", "参保单位信息"]


def test_the_words_as_typed_rank_above_their_synonym(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    publish(
        database,
        clock,
        _provider(database, clock),
        [
            resource_data("long", "社会保险参保信息", description="社会保险参保。"),
            resource_data("short", "社保经办机构信息", description="社保经办机构。"),
        ],
    )
    assert _titles(client, "社保") == ["社保经办机构信息", "社会保险参保信息"]
    assert _titles(client, "社会保险") == ["社会保险参保信息", "社保经办机构信息"]


def test_among_title_matches_the_closer_entry_ranks_first(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """BM25: the title that is mostly the query, and whose description is about it too,
    comes before a long title that merely contains it (here also first in title order)."""
    publish(
        database,
        clock,
        _provider(database, clock),
        [
            resource_data(
                "permits",
                "企业投资项目核准与备案及变更信息汇编",
                description="按月更新。",
            ),
            resource_data(
                "enterprises",
                "企业登记信息",
                description="在营口登记的企业：统一社会信用代码、企业名称、企业类型。",
            ),
        ],
    )
    assert _titles(client, "企业") == ["企业登记信息", "企业投资项目核准与备案及变更信息汇编"]


def test_with_no_query_data_on_the_platform_comes_first_and_editions_last(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """The catalog opens on what can be used, not on whatever sorts first: entries with
    data, then undated ones, then yearly editions newest first."""
    provider = _provider(database, clock)
    publish(
        database,
        clock,
        provider,
        [
            resource_data("stats2019", "2019年分区县常住人口统计"),
            resource_data("stats2024", "2024年分区县常住人口统计"),
            resource_data("permits", "建设用地规划许可证信息"),
            resource_data("water", "用水缴费记录"),
        ],
    )
    with database.unit_of_work() as session:
        water = repository.resource_by_code(session, provider_id=provider, code="water")
        assert water is not None
        service.mark_has_data(water)
    assert _titles(client) == [
        "用水缴费记录",
        "建设用地规划许可证信息",
        "2024年分区县常住人口统计",
        "2019年分区县常住人口统计",
    ]


def test_a_page_of_results_is_the_next_slice_of_the_same_order(
    client: TestClient, database: Database, clock: FixedClock
) -> None:
    """Only the first page's worth is sorted (``index._best``); later pages and ties at
    the page's edge still follow one order."""
    publish(
        database,
        clock,
        _provider(database, clock),
        [resource_data(f"r{n:02d}", f"第{n:02d}号企业登记信息") for n in range(25)],
    )
    everything = _titles(client, "企业")
    assert len(everything) == 25 and everything == sorted(everything)
    pages = [
        client.get("/api/v1/catalog", params={"q": "企业", "page": n, "page_size": 10}).json()
        for n in (1, 2, 3)
    ]
    assert [i["title"] for page in pages for i in page["items"]] == everything
    assert {page["total"] for page in pages} == {25}
