"""One identifier typed by a person, cleaned, checked, tokenized and masked exactly as
ingestion does it to a whole column.

Whoever must find a person or an enterprise among tokenized data from one value (a buyer's
input at the gateway, the bureau linking a data subject's account to its ID number) calls
this module, so the value goes through the very steps an ingested column goes through:
``cleaning.clean_column`` for its type (half-width, trimmed, ``x`` → ``X``, spaces removed
…), the type's rule from ``validation.type_check`` (GB 11643 and GB 32100 check characters),
then ``tokens.tokenize`` under the key store's ``tokenization`` key and ``masking.mask``
with the type's profile (the deployment's ``masking_profiles`` over the defaults). The
token is the one an ingested dataset holds for the same value; the plaintext is returned
to nobody and kept nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import pyarrow as pa

from sluice.core.keystore import KeyStore
from sluice.core.settings import Settings
from sluice.dataplane.cleaning import clean_column
from sluice.dataplane.masking import TYPE_PROFILES, MaskingProfile, mask, resolve
from sluice.dataplane.schema import IDENTIFIER_TYPES, FieldSpec
from sluice.dataplane.tokens import TOKEN_SCOPE, token_of
from sluice.dataplane.validation import type_check

#: The types a single value can be tokenized as: those ingestion tokenizes (identifiers).
TOKENIZED_TYPES: Final = IDENTIFIER_TYPES


class IdentifierInvalid(ValueError):
    """The value is empty, or not a well-formed value of its type once cleaned."""

    def __init__(self, field_type: str, reason: str) -> None:
        super().__init__(f"{field_type}: {reason}")
        self.field_type = field_type
        self.reason = reason  # "empty" or "malformed"


@dataclass(frozen=True)
class Identified:
    """A value as the platform keeps it: its token and its masked form."""

    token: str
    masked: str


@lru_cache(maxsize=8)
def _key(directory: str) -> bytes:
    return KeyStore(Path(directory)).data_key(TOKEN_SCOPE)


def token_key(settings: Settings) -> bytes:
    """The key identifier tokens are made with: the one ingestion uses (the key store's
    ``tokenization`` scope), read once per process and key directory."""
    return _key(str(settings.keys_path))


def _spec(field_type: str) -> FieldSpec:
    if field_type not in TOKENIZED_TYPES:
        raise ValueError(f"{field_type!r} is not an identifier type")
    return FieldSpec(name="value", type=field_type, field_class="identifier")


def clean(value: str, field_type: str) -> str:
    """The value's canonical text, as ingestion cleans a column of ``field_type``;
    ``IdentifierInvalid`` when it is empty or fails the type's rule (or is not valid
    Unicode: a lone surrogate no UTF-8 encodes is ``malformed``)."""
    spec = _spec(field_type)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise IdentifierInvalid(field_type, "malformed") from None
    cleaned = clean_column(pa.array([value], pa.string()), spec)
    text = cleaned.text[0].as_py()
    if text is None:
        raise IdentifierInvalid(field_type, "empty")
    checked = type_check(spec, cleaned.text, cleaned.value)
    if checked is not None and not bool(checked[0]):
        raise IdentifierInvalid(field_type, "malformed")
    return str(text)


def subject_token(value: str, field_type: str, *, settings: Settings) -> str:
    """The token ingestion gives this value in a column of ``field_type``."""
    return token_of(clean(value, field_type), token_key(settings))


def _profile(field_type: str, settings: Settings) -> MaskingProfile:
    profiles = {
        name: MaskingProfile.from_json(spec) for name, spec in settings.masking_profiles.items()
    }
    return resolve(TYPE_PROFILES.get(field_type, "default"), profiles)


def identify(value: str, field_type: str, *, settings: Settings) -> Identified:
    """The value's token and masked form (what may be kept of it)."""
    text = clean(value, field_type)
    masked = mask(pa.array([text], pa.string()), _profile(field_type, settings))
    return Identified(token_of(text, token_key(settings)), str(masked[0].as_py()))
