"""Evidence preservation (存证): what an application said, fixed when it was filed.

Each material is kept with the SM3 of its bytes, sealed with SM4-GCM under the key store's
``registration-evidence`` data key (the material's id bound in, so a sealed blob moved to
another row does not open). The application as a whole is summed up by ``evidence_sm3``:
the SM3 of the canonical record of what was filed (subject as described then, applicant,
statement, every material's name, size and SM3), so neither the text nor a document can be
changed afterwards without the digest showing it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sluice.core.canonical import canonical_digest
from sluice.core.crypto import DecryptionError, seal, unseal
from sluice.core.errors import InvalidInput, SluiceError
from sluice.core.i18n import add_messages
from sluice.core.ids import sm3_hex
from sluice.core.keystore import KeyStore
from sluice.core.settings import Settings
from sluice.registration.models import RegistrationApplication, RegistrationMaterial

KEY_SCOPE: Final = "registration-evidence"
RECORD_FORMAT: Final = "sluice-registration-application/1"
MAX_MATERIALS: Final = 10
MAX_MATERIAL_MB: Final = 20
MAX_NAME: Final = 200


class EvidenceAltered(SluiceError):
    status = 409
    code = "evidence_altered"


add_messages(
    {
        "problem.evidence_altered": ("存证材料与登记时不符", "Evidence altered"),
        "registration.evidence.altered": (
            "材料“{name}”与申请时保存的 SM3 摘要不一致，可能已被改动。",
            "Material '{name}' no longer matches the SM3 digest kept when it was filed; it "
            "may have been altered.",
        ),
        "registration.materials.too_many": (
            "一次申请最多附 {limit} 份材料。",
            "An application may carry at most {limit} materials.",
        ),
        "registration.materials.too_large": (
            "材料“{name}”超过 {limit} MB。",
            "Material '{name}' is larger than {limit} MB.",
        ),
        "registration.materials.empty": (
            "材料“{name}”是空文件。",
            "Material '{name}' is empty.",
        ),
    }
)


@dataclass(frozen=True)
class Material:
    """A document as the applicant hands it in."""

    name: str
    media_type: str
    content: bytes


def check(materials: Sequence[Material]) -> list[Material]:
    """The materials, names tidied; refused when too many, too large or empty."""
    if len(materials) > MAX_MATERIALS:
        raise InvalidInput("registration.materials.too_many", limit=MAX_MATERIALS)
    tidy = []
    for material in materials:
        name = " ".join(material.name.split())[:MAX_NAME] or "material"
        if not material.content:
            raise InvalidInput("registration.materials.empty", name=name)
        if len(material.content) > MAX_MATERIAL_MB * 1024 * 1024:
            raise InvalidInput("registration.materials.too_large", name=name, limit=MAX_MATERIAL_MB)
        media_type = (material.media_type or "application/octet-stream")[:100]
        tidy.append(Material(name, media_type, material.content))
    return tidy


def _key(settings: Settings) -> bytes:
    return KeyStore(settings.keys_path).data_key(KEY_SCOPE)


def keep(settings: Settings, application_id: uuid.UUID, material: Material) -> RegistrationMaterial:
    """The material as a row: its SM3, its size and its sealed bytes."""
    material_id = uuid.uuid4()
    return RegistrationMaterial(
        id=material_id,
        application_id=application_id,
        name=material.name,
        media_type=material.media_type,
        size=len(material.content),
        sm3=sm3_hex(material.content),
        sealed=seal(_key(settings), material.content, material_id.bytes),
    )


def read(settings: Settings, material: RegistrationMaterial) -> bytes:
    """The material's bytes, after checking they still hash to the SM3 kept at filing."""
    try:
        content = unseal(_key(settings), material.sealed, material.id.bytes)
    except DecryptionError:
        raise EvidenceAltered("registration.evidence.altered", name=material.name) from None
    if sm3_hex(content) != material.sm3:  # pragma: no cover - the seal catches it first
        raise EvidenceAltered("registration.evidence.altered", name=material.name)
    return content


def record(
    application: RegistrationApplication, materials: Sequence[RegistrationMaterial]
) -> dict[str, Any]:
    """What was filed, as the canonical record whose SM3 is ``evidence_sm3``."""
    return {
        "format": RECORD_FORMAT,
        "application": application.id,
        "kind": application.kind,
        "type": application.type,
        "subject": {
            "id": application.subject_id,
            "reference": application.reference,
            "title": application.title,
            "summary": application.summary,
        },
        "applicant": {"id": application.applicant_id, "name": application.applicant_name},
        "applied_by": application.applied_by,
        "applied_at": application.applied_at,
        "statement": application.statement,
        "materials": [
            {"name": m.name, "media_type": m.media_type, "size": m.size, "sm3": m.sm3}
            for m in sorted(materials, key=lambda m: (m.sm3, m.name))
        ],
    }


def digest(application: RegistrationApplication, materials: Sequence[RegistrationMaterial]) -> str:
    return canonical_digest(record(application, materials))
