"""Deployment settings, declared once.

Every option has a type, a default and a description; ``docs/configuration.md`` is generated
from this class and a test keeps it current. Catalog metadata and policies live in the
database, not here.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The monitoring rules (``alerts.rules``) and their defaults; ``alert_rules`` overrides any
#: of these per rule. Windows are in minutes (aligned to Beijing time), thresholds per rule:
#: a ratio to the baseline (rate_spike), distinct subjects (enumeration), a share of refused
#: calls (refusal_ratio), a count of calls, queries or exports (the others).
ALERT_RULE_DEFAULTS: dict[str, dict[str, Any]] = {
    "rate_spike": {
        "enabled": True,
        "severity": "warning",
        "window_minutes": 60,
        "threshold": 10.0,
        "baseline_windows": 24,
        "min_events": 100,
    },
    "enumeration": {
        "enabled": True,
        "severity": "critical",
        "window_minutes": 60,
        "threshold": 200.0,
    },
    "refusal_ratio": {
        "enabled": True,
        "severity": "warning",
        "window_minutes": 60,
        "threshold": 0.5,
        "min_events": 20,
    },
    "off_hours": {"enabled": True, "severity": "info", "window_minutes": 60, "threshold": 20.0},
    "new_address": {
        "enabled": True,
        "severity": "warning",
        "window_minutes": 60,
        "threshold": 1.0,
        "baseline_windows": 720,
    },
    "export_volume": {
        "enabled": True,
        "severity": "warning",
        "window_minutes": 1440,
        "threshold": 10.0,
    },
    "refused_queries": {
        "enabled": True,
        "severity": "warning",
        "window_minutes": 60,
        "threshold": 20.0,
    },
}
_ALERT_SEVERITIES = ("info", "warning", "critical")


def _alert_rule(name: str, given: Any) -> dict[str, Any]:
    if name not in ALERT_RULE_DEFAULTS:
        raise ValueError(f"unknown alert rule {name!r} (one of {', '.join(ALERT_RULE_DEFAULTS)})")
    if not isinstance(given, dict):
        raise ValueError(f"alert rule {name!r}: give an object of settings")
    rule = dict(ALERT_RULE_DEFAULTS[name])
    for key, value in given.items():
        if key not in rule:
            raise ValueError(f"alert rule {name!r}: unknown setting {key!r}")
        rule[key] = value
    if not isinstance(rule["enabled"], bool):
        raise ValueError(f"alert rule {name!r}: enabled is true or false")
    if rule["severity"] not in _ALERT_SEVERITIES:
        raise ValueError(f"alert rule {name!r}: severity is one of {', '.join(_ALERT_SEVERITIES)}")
    for key in ("window_minutes", "baseline_windows", "min_events"):
        if key in rule and (type(rule[key]) is not int or not 1 <= rule[key] <= 100_000):
            raise ValueError(f"alert rule {name!r}: {key} is a whole number from 1 to 100000")
    threshold = rule["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold <= 0:
        raise ValueError(f"alert rule {name!r}: threshold is a number above 0")
    rule["threshold"] = float(threshold)
    return rule


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLUICE_", extra="ignore")

    home: Path = Field(
        default=Path("./var"),
        description="Directory holding all embedded state: control-plane SQLite file, "
        "data-plane Parquet/DuckDB files, key store, demo credentials.",
    )
    keys_dir: Path | None = Field(
        default=None,
        description="Directory of the key store (master key and wrapped data keys). Empty: "
        "SLUICE_HOME/keys. In production put it on another disk or an access-controlled "
        "mount, apart from the data it protects (docs/operations.md).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the control-plane database, e.g. "
        "postgresql+psycopg://user@host/db. Empty: a SQLite file under SLUICE_HOME.",
    )
    database_pool_size: int = Field(
        default=16,
        ge=1,
        le=500,
        description="Database connections each server process keeps open; also how many "
        "requests one process serves at once (the rest wait their turn, holding nothing). "
        "A process may open up to 10 more for a moment (its background jobs, the gateway's "
        "writer); on PostgreSQL keep workers x (this + 10) under max_connections.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public address of the web console, used in links and demo credentials.",
    )
    default_locale: str = Field(
        default="zh-CN", description="Language of pages and error messages (zh-CN or en)."
    )
    display_timezone: str = Field(
        default="Asia/Shanghai",
        description="Time zone every page, document and export shows times in (stored in UTC).",
    )

    @field_validator("home", "keys_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        # The database records paths under these (datasets' versions, evidence, exports):
        # recorded relative to the directory the command ran in, they would name nothing
        # for a server started from another one.
        return value.resolve() if value is not None else None

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from error
        return value

    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of reverse proxies in front of Sluice whose "
        "X-Forwarded-For is believed. Empty (the default): the caller is the direct peer, and "
        "X-Forwarded-For is ignored. Each client address on the audit log and in login "
        "throttling is the nearest address in X-Forwarded-For not in this list.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError as error:
                raise ValueError(f"{item!r} is not an address or network (CIDR)") from error
        return [item.strip() for item in value]

    audit_retention_days: int = Field(
        default=183,
        ge=183,
        description="Days audit entries stay in the live log at least (six months or more). "
        "`sluice audit archive` copies older entries with their proofs to a file; none is "
        "ever deleted.",
    )
    audit_tree_head_seconds: int = Field(
        default=300,
        ge=0,
        le=86_400,
        description="How often, in seconds, the served application sequences the audit log "
        "into its Merkle tree and has the bureau sign a new tree head when it grew; 0 turns the "
        "schedule off (the tree head API, the transparency page and `sluice audit sequence` "
        "still do it on demand).",
    )
    session_hours: int = Field(
        default=8, ge=1, description="Lifetime of a console login session, in hours."
    )
    token_minutes: int = Field(
        default=60, ge=1, description="Lifetime of a REST access token, in minutes."
    )
    lockout_attempts: int = Field(
        default=5,
        ge=1,
        description="Failed logins in a row, from one client address, that lock the account "
        "for that address (the account stays open from other addresses).",
    )
    lockout_minutes: int = Field(default=15, ge=1, description="How long a lock lasts, in minutes.")
    address_lockout_attempts: int = Field(
        default=20,
        ge=1,
        description="Failed logins from one client address, over any accounts, within "
        "lockout_minutes, after which that address may not log in until the lock ends.",
    )
    password_min_length: int = Field(
        default=10, ge=8, le=128, description="Fewest characters in a new password."
    )
    approval_hours: int = Field(
        default=72,
        ge=1,
        description="How long a request for an irreversible act (terminating an agreement, "
        "forcing an exit, withdrawing a catalog batch) waits for its second approver before "
        "it lapses, in hours.",
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
        default=512,
        ge=1,
        description="Largest file that may be uploaded (data, evidence), in MB; larger bodies "
        "are refused with 413 before they are read.",
    )
    json_body_max_kb: int = Field(
        default=1024,
        ge=1,
        description="Largest JSON or form body any route accepts, in KB; larger bodies are "
        "refused with 413 before they are read, and before authentication.",
    )
    ingest_max_rows: int = Field(
        default=50_000_000,
        ge=1,
        description="Most rows one uploaded file may hold; a file with more is refused and "
        "nothing is written. Excel sheets are also held to Excel's own 1,048,576 rows.",
    )
    ingest_max_uncompressed_mb: int = Field(
        default=8192,
        ge=1,
        description="Most bytes, in MB, that one uploaded file may expand to when decompressed "
        "(xlsx, Parquet, gzip/zip CSV); a file that expands further is refused (a "
        "decompression bomb) and nothing is written.",
    )
    ingest_hold_share_percent: int = Field(
        default=50,
        ge=0,
        le=100,
        description="An upload whose accepted rows fall under this share of the current "
        "version's rows (or to zero) is held for the provider's confirmation instead of "
        "becoming the current version.",
    )

    domestic_jurisdictions: list[str] = Field(
        default_factory=lambda: ["CN"],
        description="Jurisdiction codes (ISO 3166-1 alpha-2; CN is the mainland) whose "
        "companies and nationals count as domestic capital in the operator ownership check. "
        "Every other code is foreign; Hong Kong (HK), Macao (MO) and Taiwan (TW) capital is "
        "treated as foreign investment, as Chinese law does.",
    )
    operator_min_net_assets_fen: int = Field(
        default=1_000_000_000,
        ge=0,
        description="Least net assets, in fen, in the operator's last annual statements (R2.5).",
    )
    operator_min_committed_funds_fen: int = Field(
        default=500_000_000,
        ge=0,
        description="Least funds, in fen, the operator commits to data governance and initial "
        "operation (R2.5).",
    )
    operator_max_debt_ratio_percent: int = Field(
        default=70,
        ge=0,
        le=100,
        description="Highest debt-to-asset ratio, in percent, in the last annual statements.",
    )
    operator_require_clean_audit: bool = Field(
        default=True,
        description="Require an unqualified (标准无保留) audit opinion on last year's statements.",
    )
    operator_incident_years: int = Field(
        default=3,
        ge=1,
        description="Years before the check in which any network or data security incident "
        "disqualifies an operator (R2.8).",
    )
    selection_min_candidates: int = Field(
        default=2,
        ge=1,
        description="Fewest qualified candidates a competitive consultation (竞争性磋商) may "
        "rank. The consultation rules ask for 3 and allow 2 in the cases they list.",
    )
    authorization_default_term_years: int = Field(
        default=3, ge=1, le=5, description="Term of a new authorization, in years (R5.1)."
    )
    authorization_max_term_years: int = Field(
        default=5,
        ge=1,
        le=5,
        description="Longest term an authorization may have, in years (N1: at most 5).",
    )
    one_scenario_one_authorization: bool = Field(
        default=True,
        description="Pilot rule 一场景一授权 (R3.2): an authorization names exactly one scenario, "
        "and a scenario has at most one authorization in force.",
    )
    authorization_reminder_days: list[int] = Field(
        default_factory=lambda: [90, 30, 7],
        description="Days before an authorization's term ends on which the bureau and the "
        "operator are reminded; the first one also marks the authorization as expiring.",
    )
    rectification_min_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="Fewest working days (Chinese statutory calendar) between a rectification "
        "order and its deadline. A missed deadline forces the exit without a second person, "
        "so a deadline too close to leave time to respond is refused.",
    )
    exit_notice_months: int = Field(
        default=3,
        ge=0,
        description="Least notice, in months, between a voluntary exit request and the exit "
        "date (R5.4).",
    )

    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description="Engine that runs sandbox queries: duckdb (in process, one locked database "
        "per workspace) or spark (the same validated query transpiled to Spark SQL, for data "
        "beyond one machine; needs Java 17 and the spark extra: pip install 'sluice[spark]').",
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master the spark engine connects to: local[N] runs Spark inside the "
        "server with N threads; a cluster URL (spark://host:7077) in production.",
    )
    sandbox_memory_mb: int = Field(
        default=2048,
        ge=64,
        description="Memory one workspace's queries may use together, in MB; a query that needs "
        "more stops with query_too_large. Nothing spills to disk.",
    )
    product_engine_table_rows: int = Field(
        default=500_000,
        ge=0,
        le=100_000_000,
        description="A data version a product reads with at most this many rows is held in "
        "memory by the product engine, read from Parquet once (0: always read Parquet). "
        "Each worker holds one engine per agreement called (see product_engines_kept).",
    )
    product_engines_kept: int = Field(
        default=16,
        ge=1,
        le=1024,
        description="Product engines (one per agreement, each using at most sandbox_memory_mb) "
        "a worker keeps between calls; past it the least recently called retires.",
    )
    sandbox_threads: int = Field(
        default=2, ge=1, le=256, description="Threads one workspace's queries run on."
    )
    sandbox_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Longest a sandbox query may run, in seconds; it is interrupted then and "
        "answers query_timeout.",
    )
    sandbox_max_result_rows: int = Field(
        default=10_000,
        ge=1,
        description="Most rows a sandbox query returns; beyond them the result is cut and "
        "marked truncated.",
    )
    sandbox_row_cap: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Most rows a row-level sandbox query (one that is not wholly aggregated) "
        "returns; more are cut and the result is marked truncated. Row-level results are shown "
        "only inside the platform.",
    )
    sandbox_export_min_subjects: int = Field(
        default=10,
        ge=2,
        le=10_000,
        description="k of the export gate: every group of an exported result must cover at "
        "least this many distinct data subjects (people or enterprises); smaller groups are "
        "suppressed and counted.",
    )
    sandbox_dp_epsilon_budget: float = Field(
        default=1.0,
        gt=0,
        le=100,
        description="Differential-privacy budget of one sandbox workspace: the total ε its "
        "exports with noise may spend; a request beyond it is refused with "
        "privacy_budget_exhausted.",
    )
    product_registration_required: bool = Field(
        default=False,
        description="Whether a data product must hold a registration in force (登记, N4) "
        "before it can be listed and called; off, registration is encouraged but optional. "
        "An unregistered product is then refused with product_unavailable.",
    )
    consent_max_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Longest validity a data subject's consent may have, in days from its first "
        "day to its last; a grant running longer is refused.",
    )
    registration_valid_years: int = Field(
        default=3,
        ge=1,
        le=10,
        description="How long a registration (登记, N4) stays valid, in years from the day its "
        "certificate is issued; a renewal adds as many years again to the end of the term.",
    )
    registration_renewal_window_days: int = Field(
        default=60,
        ge=1,
        le=365,
        description="A registration's renewal may be filed only within this many days before "
        "it expires (N4: 60); earlier or later the application is refused with "
        "renewal_window_closed. Whether a product must be registered before it can be called "
        "is product_registration_required.",
    )
    gateway_signature_window_seconds: int = Field(
        default=300,
        ge=10,
        le=3600,
        description="How far, in seconds, a signed gateway request's X-Sluice-Timestamp may be "
        "from the server's clock, either way; an older or later one is refused with replay. "
        "Nonces are remembered for as long.",
    )
    gateway_quota_per_day: int = Field(
        default=100_000,
        ge=1,
        description="Most calls a subscription may make in a day (Beijing time) by default; a "
        "buyer may choose a lower daily or monthly quota (a month at most 31 times this), "
        "never a higher one. Beyond it calls are refused with quota_exceeded.",
    )
    gateway_rate_per_second: int = Field(
        default=50,
        ge=1,
        description="Most calls a subscription may make in one second by default; a buyer may "
        "choose a lower rate per second or per minute (at most 60 times this), never a higher "
        "one. Beyond it calls are refused with rate_limited and Retry-After.",
    )
    gateway_key_rate_per_second: int = Field(
        default=100,
        ge=1,
        description="Most gateway calls one API key may make in one second over all its "
        "products; beyond it calls are refused with rate_limited and Retry-After.",
    )
    alert_rules: dict[str, dict[str, Any]] = Field(
        default=ALERT_RULE_DEFAULTS,
        description="The monitoring rules (docs/alerts.md), as JSON; a rule left out keeps its "
        'defaults, a rule given keeps the defaults it does not name: {"enumeration": '
        '{"threshold": 50}, "off_hours": {"enabled": false}}. Each has enabled, severity '
        "(info, warning, critical: a critical alert suspends its API key or workspace), "
        "window_minutes and threshold; rate_spike and new_address also baseline_windows (how "
        "many earlier windows are the baseline), rate_spike and refusal_ratio min_events.",
    )

    @field_validator("alert_rules")
    @classmethod
    def _alert_rules(cls, value: dict[str, Any]) -> dict[str, dict[str, Any]]:
        rules = {name: dict(rule) for name, rule in ALERT_RULE_DEFAULTS.items()}
        for name, given in value.items():
            rules[name] = _alert_rule(name, given)
        return rules

    alert_evaluate_seconds: int = Field(
        default=300,
        ge=0,
        le=86_400,
        description="How often, in seconds, the served application evaluates the alert rules "
        "and retries webhook deliveries; 0 turns the schedule off (`sluice alerts evaluate` "
        "still runs them on demand).",
    )
    alert_working_hours: tuple[int, int] = Field(
        default=(8, 20),
        description="Working hours for the off_hours rule, as [first hour, hour after the "
        "last] in Beijing time on working days of the Chinese statutory calendar; a call or "
        "query outside them, or on a rest day, is off hours.",
    )

    @field_validator("alert_working_hours")
    @classmethod
    def _working_hours(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= value[0] < value[1] <= 24:
            raise ValueError("working hours are [start, end] with 0 <= start < end <= 24")
        return value

    alert_webhook_url: str | None = Field(
        default=None,
        description="Where each new alert is POSTed as JSON (after its transaction commits), "
        "signed with HMAC-SM3 like a gateway request (X-Sluice-Timestamp, X-Sluice-Nonce, "
        "X-Sluice-Signature) under alert_webhook_secret. Empty: alerts stay in the console.",
    )
    alert_webhook_secret: str | None = Field(
        default=None,
        description="The HMAC-SM3 key the alert webhook's body is signed with; the receiver "
        "checks X-Sluice-Signature with it. Required when alert_webhook_url is set.",
    )
    alert_webhook_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How long one webhook delivery may take before it counts as failed.",
    )
    alert_webhook_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="How many times a webhook delivery is tried (once per evaluation run) "
        "before the alert is marked failed for good; each failure is recorded on the alert.",
    )

    @property
    def keys_path(self) -> Path:
        """The key store directory: ``keys_dir`` if set, else ``<home>/keys``."""
        return self.keys_dir if self.keys_dir is not None else self.home / "keys"

    @property
    def sqlite_path(self) -> Path:
        return self.home / "sluice.db"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_path}"

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
