"""Jurisdiction codes (ISO 3166-1 alpha-2) with names people in the bureau read.

CN is the mainland. Hong Kong, Macao and Taiwan keep their own codes: capital from there
is foreign investment under Chinese law, so they must never be folded into CN.
"""

from __future__ import annotations

import re
from typing import Final

from sluice.core.i18n import add_messages, has_message, translate

CODE: Final = re.compile(r"^[A-Z]{2}$")

#: The jurisdictions an applicant is offered first; any other valid code is accepted too.
COMMON: Final[dict[str, tuple[str, str]]] = {
    "CN": ("中国（大陆）", "China (mainland)"),
    "HK": ("中国香港", "Hong Kong, China"),
    "MO": ("中国澳门", "Macao, China"),
    "TW": ("中国台湾", "Taiwan, China"),
    "US": ("美国", "United States"),
    "GB": ("英国", "United Kingdom"),
    "JP": ("日本", "Japan"),
    "KR": ("韩国", "Korea"),
    "SG": ("新加坡", "Singapore"),
    "DE": ("德国", "Germany"),
    "FR": ("法国", "France"),
    "NL": ("荷兰", "Netherlands"),
    "CH": ("瑞士", "Switzerland"),
    "CA": ("加拿大", "Canada"),
    "AU": ("澳大利亚", "Australia"),
    "KY": ("开曼群岛", "Cayman Islands"),
    "VG": ("英属维尔京群岛", "British Virgin Islands"),
    "BM": ("百慕大", "Bermuda"),
    "LU": ("卢森堡", "Luxembourg"),
    "IE": ("爱尔兰", "Ireland"),
    "MY": ("马来西亚", "Malaysia"),
    "TH": ("泰国", "Thailand"),
    "RU": ("俄罗斯", "Russia"),
    "AE": ("阿拉伯联合酋长国", "United Arab Emirates"),
}

add_messages({f"jurisdiction.{code}": names for code, names in COMMON.items()})


def normalize(value: str) -> str:
    return value.strip().upper()


def is_code(value: str) -> bool:
    return bool(CODE.match(value))


def label(code: str, locale: str) -> str:
    key = f"jurisdiction.{code}"
    return f"{translate(key, locale)} ({code})" if has_message(key) else code
