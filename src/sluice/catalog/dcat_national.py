"""The core fields of the national government information resource catalog (政务信息资源目录
核心元数据) as an entry shows them, and the DCAT-AP property each one becomes.

The entry page lists them under their national names; the RDF carries each through the
property named here (docs/dcat.md has the full table, with Sluice's columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sluice.catalog.schemas import EntryRead
from sluice.catalog.themes import RESOURCE_FORMAT
from sluice.catalog.vocabulary import vocabulary_label
from sluice.core.clock import display
from sluice.core.i18n import add_messages, translate


@dataclass(frozen=True)
class NationalField:
    key: str
    #: The DCAT-AP property (path from the dataset) that carries it.
    dcat: str


NATIONAL_FIELDS: Final = (
    NationalField("name", "dct:title"),
    NationalField("code", "dct:identifier"),
    NationalField("provider", "dct:publisher"),
    NationalField("classification", "dcat:theme"),
    NationalField("open_level", "dct:accessRights"),
    NationalField("update_frequency", "dct:accrualPeriodicity"),
    NationalField("published", "dct:issued"),
    NationalField("format", "dcat:distribution/dct:format"),
)

add_messages(
    {
        "national.heading": ("目录核心元数据", "Core catalog metadata"),
        "national.help": (
            "按政务信息资源目录核心元数据列出；机读目录（DCAT-AP）中的对应属性见各项右侧。",
            "As the government information resource catalog's core metadata lists them; the "
            "matching property of the machine-readable catalog (DCAT-AP) is given beside each.",
        ),
        "national.name": ("资源名称", "Resource name"),
        "national.code": ("资源代码", "Resource code"),
        "national.provider": ("资源提供方", "Provider"),
        "national.classification": ("资源分类", "Resource classification"),
        "national.open_level": ("共享/开放属性", "Sharing and open attribute"),
        "national.update_frequency": ("更新周期", "Update cycle"),
        "national.published": ("发布日期", "Release date"),
        "national.format": ("资源格式", "Resource format"),
        "national.format_value": (
            "{format}（{count} 个数据项）",
            "{format} ({count} fields)",
        ),
    }
)


def resource_code(provider_code: str, code: str) -> str:
    """资源代码: the provider's code before the resource's own, unique in the city as the
    national code puts the provider's code before the resource's sequence."""
    return f"{provider_code}/{code}"


def national_values(entry: EntryRead, locale: str) -> list[tuple[NationalField, str]]:
    """Each national field with the entry's value in the reader's language."""
    fields = len(entry.fields or [])
    values = {
        "name": entry.title,
        "code": resource_code(entry.provider.code, entry.code),
        "provider": entry.provider.name,
        "classification": vocabulary_label("classification", entry.classification, locale),
        "open_level": vocabulary_label("open_level", entry.open_level, locale),
        "update_frequency": vocabulary_label("update_frequency", entry.update_frequency, locale),
        "published": display(entry.published_at, with_time=False),
        "format": translate(
            "national.format_value",
            locale,
            format=translate(f"vocab.resource_format.{RESOURCE_FORMAT}", locale),
            count=fields,
        ),
    }
    return [(field, values[field.key]) for field in NATIONAL_FIELDS]
