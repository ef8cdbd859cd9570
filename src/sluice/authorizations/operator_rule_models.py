"""The operator's own rules filed with the bureau (R5.2: 运营机构完善并报备数据治理、交易和
安全管理制度): numbered versions per kind, each a text or an uploaded PDF (kept SM4-sealed
in the evidence store under its SM3) and the SM3 digest of what was filed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.core.database import Base, UUIDPrimaryKey


class OperatorRule(UUIDPrimaryKey, Base):
    """One filed version of one of an operator's rules. A filed version never changes; a
    revision is the next version. ``status`` changes only through
    ``operator_rules.RULE``."""

    __tablename__ = "operator_rules"
    __table_args__ = (UniqueConstraint("operator_id", "kind", "version"),)

    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: "governance" (数据治理), "trading" (数据交易) or "security" (安全管理).
    kind: Mapped[str] = mapped_column(String(20))
    #: 1, 2, … per operator and kind.
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    #: The text, when filed as text ("" when only a document was uploaded).
    body: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_sm3: Mapped[str | None] = mapped_column(String(64))
    file_bytes: Mapped[int | None]
    #: What was filed (operator, kind, version, title, the text's and the file's SM3), and
    #: the SM3 of its canonical form.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), index=True)
    filed_by: Mapped[str] = mapped_column(String(150))
    filed_by_name: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime]
    reviewed_by: Mapped[str | None] = mapped_column(String(150))
    reviewed_by_name: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None]
    #: The bureau's note: what it acknowledged, or why it returned the version.
    review_note: Mapped[str | None] = mapped_column(Text)
