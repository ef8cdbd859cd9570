"""Deployment settings, declared once.

Every option has a type, a default and a description; ``docs/configuration.md`` is generated
from this class and a test keeps it current. Catalog metadata and policies live in the
database, not here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLUICE_", extra="ignore")

    home: Path = Field(
        default=Path("./var"),
        description="Directory holding all embedded state: control-plane SQLite file, "
        "data-plane Parquet/DuckDB files, key store, demo credentials.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the control-plane database, e.g. "
        "postgresql+psycopg://user@host/db. Empty: a SQLite file under SLUICE_HOME.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address of the web console, used in links and demo credentials.",
    )
    default_locale: str = Field(
        default="zh-CN", description="Language of pages and error messages (zh-CN or en)."
    )
    session_hours: int = Field(
        default=8, ge=1, description="Lifetime of a console login session, in hours."
    )
    token_minutes: int = Field(
        default=60, ge=1, description="Lifetime of a REST access token, in minutes."
    )
    lockout_attempts: int = Field(
        default=5, ge=1, description="Failed logins in a row that lock an account."
    )
    lockout_minutes: int = Field(
        default=15, ge=1, description="How long a locked account stays locked, in minutes."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark session cookies Secure (set true behind HTTPS in production).",
    )
    ticket_answer_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="Working days a data provider has to answer a correction ticket, counted "
        "on the Chinese statutory calendar (holidays and adjusted workdays) from the day after "
        "filing.",
    )

    masking_profiles: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Masking profiles that override or extend the defaults, as JSON: "
        '{"bank_card": {"keep_first": 6, "keep_last": 4}}. Keys: keep_first, keep_last, '
        "mask_char, mask_width, keep_surname, keep_pattern.",
    )
    upload_max_mb: int = Field(
        default=512, ge=1, description="Largest file a provider may upload in the console, in MB."
    )

    @property
    def sqlite_path(self) -> Path:
        return self.home / "sluice.db"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_path}"

    @property
    def sources_dir(self) -> Path:
        """Where the demo's provider departments keep their own source files."""
        return self.home / "sources"

    @property
    def data_dir(self) -> Path:
        """The data plane's queryable zone (Parquet versions)."""
        return self.home / "data"

    @property
    def credentials_path(self) -> Path:
        return self.home / "demo-credentials.json"


@lru_cache
def get_settings() -> Settings:
    return Settings()
