"""Document numbers (文号): 营数授〔2026〕3号 for agreements, 营数销〔2026〕1号 for certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sluice.authorizations.models import NumberSequence
from sluice.core.clock import local

AGREEMENT = "营数授"
CERTIFICATE = "营数销"


def next_number(session: Session, kind: str, at: datetime) -> str:
    """The next number of ``kind`` in the year of ``at`` (Asia/Shanghai)."""
    prefix = f"{kind}〔{local(at).year}〕"
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(NumberSequence)
        .values(prefix=prefix, last=1)
        .on_conflict_do_update(
            index_elements=[NumberSequence.prefix], set_={"last": NumberSequence.last + 1}
        )
        .returning(NumberSequence.last)
    )
    issued = session.execute(statement).scalar_one()
    return f"{prefix}{issued}号"
