from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sluice.catalog.search import document_terms, normalize, single_characters, terms


def test_a_two_character_query_is_found_inside_a_longer_title() -> None:
    assert terms("企业") <= document_terms("企业登记信息")


def test_an_abbreviation_finds_the_full_form_and_back() -> None:
    assert terms("社保") <= document_terms("社会保险缴费记录")
    assert terms("社会保险") <= document_terms("社保参保信息")
    assert terms("公积金") <= document_terms("住房公积金缴存")
    assert not terms("社保") <= document_terms("企业登记信息")


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
