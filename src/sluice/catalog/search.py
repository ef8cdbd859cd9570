"""Chinese full-text search terms: character bigrams, with synonyms known as such.

Chinese has no spaces, so a word tokenizer needs a dictionary; overlapping character
bigrams need none and still find 企业 in 企业登记信息. Abbreviations people type (社保 for
社会保险) are terms of an entry whose text holds the full form, so a query stays a plain
AND over its own bigrams. The ranking (``index``) counts how often each term occurs and
whether the text holds it itself or only through a synonym, which counts for less.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Final

#: Groups of interchangeable phrases: an entry mentioning any one is found by all.
SYNONYMS: Final[tuple[tuple[str, ...], ...]] = (
    ("社会保险", "社保"),
    ("住房公积金", "公积金"),
    ("医疗保险", "医保"),
    ("最低生活保障", "低保"),
    ("居民身份证", "身份证"),
    ("不动产", "房产", "房屋"),
    ("市场监督管理", "市场监管", "工商"),
    ("机动车", "车辆", "汽车"),
    ("税务", "纳税", "税收"),
    ("供水", "水费", "自来水"),
    ("供电", "电费", "用电"),
    ("户籍", "户口", "人口"),
    ("卫生健康", "卫健", "医疗"),
    ("企业", "法人", "公司"),
    ("营业执照", "执照"),
)

_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9_]+")


def normalize(text: str) -> str:
    """Full-width forms to half-width (NFKC) and lower case, so ＡＢＣ１ matches abc1."""
    return unicodedata.normalize("NFKC", text).lower()


def _bigrams(run: str) -> Iterable[str]:
    for i in range(len(run) - 1):
        yield run[i : i + 2]


def single_characters(query: str) -> list[str]:
    """One-character CJK words of a query (水, 电): matched on titles, not through terms."""
    return [run for run in _CJK.findall(normalize(query)) if len(run) == 1]


def term_counts(text: str) -> Counter[str]:
    """Each term of a text with the number of times it occurs there."""
    clean = normalize(text)
    found = Counter(bigram for run in _CJK.findall(clean) for bigram in _bigrams(run))
    found.update(word for word in _WORD.findall(clean) if len(word) >= 2)
    return found


def terms(text: str) -> set[str]:
    """The terms a query must all match (no synonym expansion on the query side)."""
    return set(term_counts(text))


def synonym_terms(text: str) -> set[str]:
    """The terms a text is found under only through a synonym it holds."""
    clean = normalize(text)
    found: set[str] = set()
    for group, group_terms in _GROUP_TERMS:
        if any(phrase in clean for phrase in group):
            found |= group_terms
    return found - terms(clean) if found else found


_GROUP_TERMS: Final = tuple(
    (group, {t for phrase in group for t in terms(phrase)}) for group in SYNONYMS
)


def document_terms(*texts: str) -> set[str]:
    """The terms an entry is indexed under: its own plus those of every synonym it holds."""
    joined = " ".join(texts)
    return terms(joined) | synonym_terms(joined)


def variants(word: str) -> set[str]:
    """What a query word also reads as with a synonym it holds in another form:
    社保缴费 → 社会保险缴费. The word itself is not among them."""
    clean = normalize(word)
    found: set[str] = set()
    for group in SYNONYMS:
        for phrase in group:
            if phrase in clean:
                found.update(clean.replace(phrase, other) for other in group if other != phrase)
    return found
