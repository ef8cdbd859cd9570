"""Registration codes: ``YK-DP-2026-000123``, the city, the kind, the year and a number.

The number runs per kind and year (Asia/Shanghai) and is taken with one atomic upsert, as
agreement numbers are (``authorizations/numbering.py``): two registrations issued at the
same moment never share a code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sluice.core.clock import local
from sluice.registration.models import RegistrationSequence

#: The city's letters (营口, Yingkou) at the head of every code.
CITY: Final = "YK"
DIGITS: Final = 6


def next_code(session: Session, code_prefix: str, at: datetime) -> str:
    """The next code of the kind with ``code_prefix`` in the year of ``at``."""
    prefix = f"{CITY}-{code_prefix}-{local(at).year}"
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(RegistrationSequence)
        .values(prefix=prefix, last=1)
        .on_conflict_do_update(
            index_elements=[RegistrationSequence.prefix],
            set_={"last": RegistrationSequence.last + 1},
        )
        .returning(RegistrationSequence.last)
    )
    issued = session.execute(statement).scalar_one()
    return f"{prefix}-{issued:0{DIGITS}d}"
