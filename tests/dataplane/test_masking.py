"""Masked display forms follow declarative profiles and never show a whole value."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.dataplane.masking import (
    COMPOUND_SURNAMES,
    DEFAULT_PROFILES,
    MaskingProfile,
    mask,
    profile_name,
    resolve,
)
from sluice.dataplane.schema import FieldSpec


def masked(values: list[str | None], profile: str | MaskingProfile) -> list[str | None]:
    return list(mask(pa.array(values, pa.string()), profile).to_pylist())


def test_default_profiles_give_the_familiar_forms() -> None:
    assert masked(["张三", "张三丰", "欧阳娜娜", "欧阳", "阿依古丽·买买提"], "person_name") == [
        "张*",
        "张**",
        "欧阳**",  # a compound surname is kept whole
        "欧*",  # ... but 欧阳 alone is 欧 + 阳
        "阿*******",
    ]
    assert masked(["210802199001011234", "21080219900101123X"], "id_number") == [
        "210802********1234",
        "210802********123X",
    ]
    assert masked(["13812345678"], "mobile") == ["138****5678"]
    assert masked(["6222021234567891234"], "bank_card") == ["622202*********1234"]
    assert masked(["91210800MA0QABC127"], "uscc") == ["91210800**********"]
    assert masked(["辽H12345", "辽HD12345"], "plate") == ["辽H***45", "辽H****45"]
    assert masked(["abcdef"], "default") == ["a****f"]
    assert masked(["abcdef"], "full") == ["****"]


def test_addresses_keep_the_administrative_levels_only() -> None:
    assert masked(
        [
            "辽宁省营口市站前区建设街道渤海大街12号3单元501",
            "营口市站前区渤海大街12号",
            "北京市海淀区中关村街道1号",
            "内蒙古自治区呼和浩特市新城区1号",
            "营口市渤海小区5号楼",  # a 小区 is not a district
            "渤海大街12号",  # nothing administrative to keep
            "营口市站前区",  # nothing below the levels: the district is hidden too
        ],
        "address",
    ) == [
        "辽宁省营口市站前区建设街道****",
        "营口市站前区****",
        "北京市海淀区中关村街道****",
        "内蒙古自治区呼和浩特市新城区****",
        "营口市****",
        "****",
        "营口市****",
    ]


def test_short_values_are_hidden_entirely_and_nulls_stay_null() -> None:
    assert masked(["138", "1", None, ""], "mobile") == ["***", "*", None, ""]
    assert masked(["张"], "person_name") == ["*"]


def test_fields_pick_their_profile_and_settings_override() -> None:
    name = FieldSpec.from_json({"name": "n", "type": "person_name"})
    card = FieldSpec.from_json({"name": "c", "type": "text", "masking": "bank_card"})
    other = FieldSpec.from_json({"name": "o", "type": "text"})
    assert (profile_name(name), profile_name(card), profile_name(other)) == (
        "person_name",
        "bank_card",
        "default",
    )
    strict = {"person_name": MaskingProfile(mask_width=2, mask_char="×")}
    assert resolve(name, strict) == strict["person_name"]
    assert masked(["张三丰"], resolve(name, strict)) == ["××"]
    with pytest.raises(KeyError, match="unknown masking profile 'nope'"):
        resolve("nope")


def test_profiles_from_settings_are_checked() -> None:
    assert MaskingProfile.from_json({"keep_first": 3, "keep_last": 4}) == DEFAULT_PROFILES["mobile"]
    with pytest.raises(ValueError, match="unknown masking profile keys: keep"):
        MaskingProfile.from_json({"keep": 3})
    with pytest.raises(ValueError, match="one character"):
        MaskingProfile(mask_char="**")
    with pytest.raises(ValueError, match="'keep' and 'rest'"):
        MaskingProfile(keep_pattern="^(.*)$")


def reference(value: str, profile: MaskingProfile) -> str:
    first = profile.keep_first
    if profile.keep_surname:
        first = 2 if len(value) >= 3 and value[:2] in COMPOUND_SURNAMES else 1
    hidden = len(value) - first - profile.keep_last
    if hidden < 1:
        return profile.mask_char * (profile.mask_width or len(value))
    tail = value[len(value) - profile.keep_last :] if profile.keep_last else ""
    return value[:first] + profile.mask_char * (profile.mask_width or hidden) + tail


PROFILES = st.one_of(
    st.sampled_from([p for name, p in DEFAULT_PROFILES.items() if name != "address"]),
    st.builds(
        MaskingProfile,
        keep_first=st.integers(0, 4),
        keep_last=st.integers(0, 4),
        mask_char=st.sampled_from(["*", "#", "x"]),
        mask_width=st.one_of(st.none(), st.integers(1, 5)),
    ),
)
TEXT = st.text(alphabet=st.sampled_from(list("ab1 张欧阳司马·é😀")), max_size=14)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=30), PROFILES, st.integers(0, 3))
def test_masking_matches_the_rule_character_by_character(
    values: list[str | None], profile: MaskingProfile, offset: int
) -> None:
    arr = pa.array(["pad"] * offset + values, pa.string()).slice(offset)
    expected = [None if v is None else reference(v, profile) for v in values]
    assert mask(arr, profile).to_pylist() == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789张三李ab")), min_size=1, max_size=20))
def test_a_masked_form_never_shows_the_whole_value(value: str) -> None:
    for name in DEFAULT_PROFILES:
        [shown] = masked([value], name)
        assert shown is not None and value not in shown
