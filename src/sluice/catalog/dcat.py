"""The published catalog as DCAT 3 in JSON-LD, for harvesters and other portals."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sluice.catalog import repository

# EU frequency authority table, the vocabulary DCAT-AP uses for dct:accrualPeriodicity.
_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES = {
    "realtime": "UPDATE_CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
    "irregular": "IRREG",
}
_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_RIGHTS = {"open": "PUBLIC", "conditional": "RESTRICTED", "closed": "NON_PUBLIC"}

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sluice": "urn:sluice:vocab:",
}


def catalog_document(session: Session, *, base_url: str) -> dict[str, Any]:
    entries = repository.published_entries(session)
    resources = repository.resources_by_ids(session, [e.resource_id for e in entries])
    providers = repository.organizations(session, {e.provider_id for e in entries})
    numbers = repository.batch_numbers(session, {e.batch_id for e in entries})
    base = base_url.rstrip("/")
    datasets = []
    for entry in entries:
        resource = resources[entry.resource_id]
        provider = providers[entry.provider_id]
        dataset: dict[str, Any] = {
            "@id": f"{base}/catalog/{entry.id}",
            "@type": "dcat:Dataset",
            "dct:identifier": str(entry.id),
            "dct:title": {"@value": entry.title, "@language": "zh-CN"},
            "dct:description": {"@value": resource.description, "@language": "zh-CN"},
            "dct:publisher": {
                "@id": f"{base}/organizations/{provider.code}",
                "@type": "foaf:Organization",
                "foaf:name": {"@value": provider.name, "@language": "zh-CN"},
            },
            "dct:accrualPeriodicity": {"@id": _FREQUENCY + FREQUENCIES[resource.update_frequency]},
            "dct:accessRights": {"@id": _ACCESS + ACCESS_RIGHTS[entry.open_level]},
            "dcat:theme": {"@id": f"urn:sluice:domain:{entry.domain}"},
            "dcat:version": str(entry.version),
            "sluice:batch": numbers[entry.batch_id],
            "sluice:classification": resource.classification,
            "sluice:grade": resource.grade,
        }
        if entry.published_at is not None:
            dataset["dct:issued"] = {
                "@value": entry.published_at.isoformat(),
                "@type": "xsd:dateTime",
            }
        dataset["dct:modified"] = {
            "@value": resource.updated_at.isoformat(),
            "@type": "xsd:dateTime",
        }
        datasets.append(dataset)
    return {
        "@context": CONTEXT,
        "@id": f"{base}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": "营口市可授权公共数据资源目录", "@language": "zh-CN"},
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": "营口市数据局"},
        "dcat:dataset": datasets,
    }
