"""Tokens: keyed, deterministic, joinable, and free of the values' structure."""

from __future__ import annotations

import os
import re

import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.dataplane.tokens import TOKEN_CHARS, fingerprints, token_of, tokenize
from tests.dataplane import defects

KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
OTHER_KEY = bytes(range(16))


def reference_token(value: str, key: bytes) -> str:
    """The documented scheme, one value at a time with the plain SM4 primitive."""
    sm4 = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305
    data = value.encode()
    if re.fullmatch(r"[0-9]{17}[0-9X]", value):
        return sm4.update(int(value[:17]).to_bytes(8, "big") + data[17:] + bytes(6) + b"\xfe").hex()
    if len(data) <= 15:
        return sm4.update(data + bytes(15 - len(data)) + bytes([len(data)])).hex()
    state = sm4.update(len(data).to_bytes(8, "big") + bytes(7) + b"\xff")
    padded = data + bytes(-len(data) % 16)
    for start in range(0, len(padded), 16):
        block = bytes(a ^ b for a, b in zip(state, padded[start : start + 16], strict=True))
        state = sm4.update(block)
    return state.hex()


def test_sm4_known_answer_gb_t_32907() -> None:
    # The primitive the tokens rest on: GB/T 32907-2016 appendix A.1.
    sm4 = Cipher(algorithms.SM4(KEY), modes.ECB()).encryptor()  # noqa: S305
    assert sm4.update(KEY).hex() == "681edf34d206965e86b3e94f536e4246"


VALUES = [
    "210802199001011234",
    "21080219900101123X",
    "13800138000",
    "张三",
    "欧阳娜娜",
    "a" * 15,
    "a" * 16,
    "a" * 17,
    "辽宁省营口市站前区建设街道渤海大街12号3单元501",
    "x",
]


def test_tokens_follow_the_documented_scheme() -> None:
    tokens = tokenize(pa.array(VALUES), KEY).to_pylist()
    assert tokens == [reference_token(v, KEY) for v in VALUES]
    assert all(len(t) == TOKEN_CHARS and re.fullmatch("[0-9a-f]{32}", t) for t in tokens)


def test_same_value_same_token_other_key_other_token_null_stays_null() -> None:
    first = tokenize(pa.array(["13800138000", None, "13800138000"]), KEY).to_pylist()
    assert first[0] == first[2] and first[1] is None
    assert tokenize(pa.array(["13800138000"]), OTHER_KEY)[0].as_py() != first[0]
    assert token_of("13800138000", KEY) == first[0]


def test_chunked_columns_and_slices_give_the_same_tokens() -> None:
    whole = tokenize(pa.array(VALUES), KEY).to_pylist()
    chunked = tokenize(pa.chunked_array([VALUES[:3], VALUES[3:]]), KEY).to_pylist()
    sliced = tokenize(pa.array(["pad", *VALUES]).slice(1), KEY).to_pylist()
    assert chunked == whole == sliced


def test_ids_sharing_district_and_birth_date_share_nothing_in_their_tokens() -> None:
    # Splitting an ID over two blocks would give all of these the same first half.
    ids = [defects.resident_id(f"21080219900101{n:03d}") for n in range(1000)]
    tokens = tokenize(pa.array(ids), KEY).to_pylist()
    assert len({t[:8] for t in tokens}) == 1000
    assert len({t[16:] for t in tokens}) == 1000


def test_a_key_must_be_sixteen_bytes() -> None:
    with pytest.raises(ValueError, match="16-byte"):
        tokenize(pa.array(["x"]), b"short")


TEXT = st.text(alphabet=st.sampled_from(list("0123456789Xab张三 ")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TEXT, st.from_regex(r"\A[0-9]{17}[0-9X]\Z")), min_size=1, max_size=25))
def test_tokens_are_equal_exactly_when_values_are(values: list[str]) -> None:
    tokens = tokenize(pa.array(values, pa.string()), KEY).to_pylist()
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            assert (tokens[i] == tokens[j]) == (a == b)
    assert tokens == [reference_token(v, KEY) for v in values]


@settings(max_examples=300, deadline=None)
@given(st.one_of(TEXT, st.from_regex(r"\A[0-9]{17}[0-9X]\Z"), st.text(max_size=60)))
def test_one_value_alone_gets_the_token_its_column_gives_it(value: str) -> None:
    """``token_of`` (one value, no Arrow: the gateway's inputs) and ``tokenize`` (a column:
    ingestion) must agree, or a buyer's input would never find its subject."""
    column = tokenize(pa.array(["pad", value, "x" * 40], pa.string()), KEY).to_pylist()
    assert token_of(value, KEY) == column[1] == reference_token(value, KEY)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=25))
def test_fingerprints_are_equal_exactly_when_values_are(values: list[str | None]) -> None:
    rows = fingerprints(pa.array(values, pa.string()), os.urandom(16))
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            if a is not None and b is not None:
                assert (rows[i] == rows[j]).all() == (a == b)
