"""Settings from FARMGATE_* environment variables, with development defaults (12-factor)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEVELOPMENT_JWT_SECRET = "farmgate-development-secret-do-not-use-in-production"
DEFAULT_DATABASE_URL = "sqlite:///var/farmgate.db"


class SettingsError(ValueError):
    """A setting is missing or wrong; the process must not start."""


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str = "memory://"
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    env: str = "development"
    # Keyed digest of national IDs: without it the digests cannot be recomputed from a leaked table.
    pii_pepper: str = "farmgate-development-pepper"
    projection_wait_seconds: float = 5.0
    readiness_max_lag: int = 1000
    projector_batch_size: int = 500
    #: pause between projector batches, to shed load on the database during a large backfill
    projector_throttle_ms: int = 0
    log_format: str = "auto"
    #: DEBUG shows each projector batch applied (which process applied what)
    log_level: str = "INFO"
    #: hours dispute staff have to decide a claim before it is an SLA breach
    claim_response_hours: float = 72.0
    #: share of the harvest-to-door time used after which an undelivered export order is AT_RISK
    export_at_risk_share: float = 0.75
    #: tests only: a file holding the current time, shared by the API and worker processes
    test_clock_file: str | None = None
    #: partner webhooks: first retry delay (doubling per attempt, capped), attempts before FAILED, HTTP timeout
    webhook_backoff_seconds: float = 1.0
    webhook_max_backoff_seconds: float = 3600.0
    webhook_max_attempts: int = 25
    webhook_timeout_seconds: float = 10.0
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        e = os.environ if environ is None else environ
        settings = cls(
            database_url=e.get("FARMGATE_DATABASE_URL", DEFAULT_DATABASE_URL),
            broker_url=e.get("FARMGATE_BROKER_URL", "memory://"),
            jwt_secret=e.get("FARMGATE_JWT_SECRET", DEVELOPMENT_JWT_SECRET),
            env=e.get("FARMGATE_ENV", "development"),
            pii_pepper=e.get("FARMGATE_PII_PEPPER", "farmgate-development-pepper"),
            projection_wait_seconds=float(e.get("FARMGATE_PROJECTION_WAIT_SECONDS", "5")),
            readiness_max_lag=int(e.get("FARMGATE_READINESS_MAX_LAG", "1000")),
            projector_batch_size=int(e.get("FARMGATE_PROJECTOR_BATCH_SIZE", "500")),
            projector_throttle_ms=int(e.get("FARMGATE_PROJECTOR_THROTTLE_MS", "0")),
            log_format=e.get("FARMGATE_LOG_FORMAT", "auto"),
            log_level=e.get("FARMGATE_LOG_LEVEL", "INFO"),
            test_clock_file=e.get("FARMGATE_TEST_CLOCK_FILE") or None,
            claim_response_hours=float(e.get("FARMGATE_CLAIM_RESPONSE_HOURS", "72")),
            export_at_risk_share=float(e.get("FARMGATE_EXPORT_AT_RISK_SHARE", "0.75")),
            webhook_backoff_seconds=float(e.get("FARMGATE_WEBHOOK_BACKOFF_SECONDS", "1")),
            webhook_max_backoff_seconds=float(e.get("FARMGATE_WEBHOOK_MAX_BACKOFF_SECONDS", "3600")),
            webhook_max_attempts=int(e.get("FARMGATE_WEBHOOK_MAX_ATTEMPTS", "25")),
            webhook_timeout_seconds=float(e.get("FARMGATE_WEBHOOK_TIMEOUT_SECONDS", "10")),
        )
        settings.check()
        return settings

    @property
    def logging_level(self) -> int:
        """The FARMGATE_LOG_LEVEL as the logging module's number."""
        return int(logging.getLevelNamesMapping()[self.log_level.upper()])

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_embedded(self) -> bool:
        """SQLite or in-memory events, or an in-memory broker: projectors and workers run in the API process."""
        return self.database_url.startswith(("sqlite", "memory")) or self.broker_url.startswith("memory")

    def check(self) -> None:
        if self.env not in ("development", "production", "test"):
            raise SettingsError(f"FARMGATE_ENV must be development, production or test, not {self.env!r}")
        if not 0 < self.claim_response_hours <= 24 * 365:
            raise SettingsError("FARMGATE_CLAIM_RESPONSE_HOURS must be above 0 and at most a year of hours")
        if not 0 < self.export_at_risk_share <= 1:
            raise SettingsError("FARMGATE_EXPORT_AT_RISK_SHARE must be above 0 and at most 1")
        if self.log_level.upper() not in LOG_LEVELS:
            raise SettingsError(f"FARMGATE_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        if self.test_clock_file and self.env != "test":
            raise SettingsError("FARMGATE_TEST_CLOCK_FILE is only allowed with FARMGATE_ENV=test")
        if self.is_production:
            if self.jwt_secret == DEVELOPMENT_JWT_SECRET or len(self.jwt_secret) < 32:
                raise SettingsError(
                    "FARMGATE_JWT_SECRET is the development secret or shorter than 32 characters; "
                    "production refuses to start with it"
                )
            if self.pii_pepper == "farmgate-development-pepper":
                raise SettingsError("FARMGATE_PII_PEPPER must be set in production")
        persistence_env(self.database_url)  # raises on a malformed URL

    def persistence_env(self) -> dict[str, str]:
        return persistence_env(self.database_url)


def persistence_env(database_url: str) -> dict[str, str]:
    """Map FARMGATE_DATABASE_URL onto the eventsourcing library's own persistence settings."""
    parts = urlsplit(database_url)
    if parts.scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if parts.scheme == "sqlite":
        # sqlite:///relative/path, sqlite:////absolute/path (as SQLAlchemy writes them)
        path = database_url[len("sqlite:///"):]
        if not path:
            raise SettingsError("FARMGATE_DATABASE_URL sqlite:/// needs a file path")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path, "SQLITE_LOCK_TIMEOUT": "10"}
    if parts.scheme in ("postgresql", "postgres"):
        dbname = parts.path.lstrip("/")
        if not dbname:
            raise SettingsError("FARMGATE_DATABASE_URL needs a database name")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(dbname),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_LOCK_TIMEOUT": "5",
            # Each process keeps this many connections open: several API, projector and worker
            # processes share one server's max_connections (100 by default).
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "12",
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "30",
        }
    raise SettingsError(
        f"FARMGATE_DATABASE_URL scheme {parts.scheme!r} is not one of memory, sqlite, postgresql"
    )
