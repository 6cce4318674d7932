"""Settings from FARMGATE_* environment variables, with development defaults (12-factor), parsed
by pydantic-settings: a wrong value stops the process with the variable's name and what it must be,
secrets stay out of ``repr`` and error messages, and every parameter of the database URL is kept."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from farmgate.core.audit_signing import (
    AuditKeyError, AuditSigner, development_private_key, load_private_key, load_public_keys, raw_public,
)
from farmgate.core.personal_keys import DEVELOPMENT_DATA_KEY
from farmgate.core.sqlite_writes import FACTORY_TOPIC as SQLITE_FACTORY_TOPIC
from farmgate.core.postgres_events import RECORDER_TOPIC as POSTGRES_RECORDER_TOPIC
from farmgate.graphql.auth import ROLES

DEVELOPMENT_JWT_SECRET = "farmgate-development-secret-do-not-use-in-production"
DEVELOPMENT_PII_PEPPER = "farmgate-development-pepper"
DEFAULT_DATABASE_URL = "sqlite:///var/farmgate.db"
ENV_PREFIX = "FARMGATE_"
#: PostgreSQL connections one process holds at most, its LISTEN connection included (the pool's 16 and it)
DEFAULT_DATABASE_CONNECTIONS = 17
#: connections the pool keeps open while idle (fewer when the budget is smaller)
POOL_KEPT_OPEN = 4
#: the shortest FARMGATE_JWT_SECRET and FARMGATE_PII_PEPPER production starts with (blanks not counted)
MINIMUM_SECRET_LENGTH = 32

#: query cost budgets: anonymous callers get the least (see graphql/query_cost.py)
DEFAULT_QUERY_COST_BUDGETS = {"ANONYMOUS": 2_000, "AUTHENTICATED": 20_000, "ADMIN": 50_000, "DISPUTE_STAFF": 50_000}
#: the asymmetric algorithms an issuer's keys may use (RFC 7518 RS256 / ES256, RFC 8037 EdDSA)
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256", "EdDSA")


class SettingsError(ValueError):
    """A setting is missing or wrong; the process must not start."""


class TokenIssuer(BaseModel):
    """One party allowed to mint tokens for farmgate (FARMGATE_JWT_ISSUERS is a JSON list of these).

    ``jwks``: a JWKS file path or an https:// URL (keys picked by the token's ``kid``, so an issuer
    rotates by publishing the new key beside the old). ``roles``: the roles its tokens may carry.
    ``scopes``: per scope claim (marketplace, province, partner, carrier, household), the values
    its tokens may carry; ``"*"`` allows any valid value; a claim not listed may not be used.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(min_length=1)
    jwks: str = Field(min_length=1)
    roles: tuple[Literal[ROLES], ...] = Field(min_length=1)  # type: ignore[valid-type]
    scopes: dict[Literal["marketplace", "province", "partner", "carrier", "household"], tuple[str, ...]] = {}
    algorithms: tuple[Literal[ASYMMETRIC_ALGORITHMS], ...] = ASYMMETRIC_ALGORITHMS  # type: ignore[valid-type]

    @field_validator("jwks")
    @classmethod
    def _jwks_is_a_file_or_https(cls, value: str) -> str:
        if value.startswith("http://"):
            raise ValueError("a JWKS URL must be https:// (a key fetched in the clear could be swapped)")
        return value


def _comma_list(value: Any) -> Any:
    """'a, b' or a JSON list → ['a', 'b']."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Every FARMGATE_* setting. ``Settings(...)`` takes values as given (tests); ``from_env`` reads
    the environment. Raises SettingsError (from ``from_env``) naming the variable at fault."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore",
                                      validate_default=True, hide_input_in_errors=True)

    database_url: str = DEFAULT_DATABASE_URL
    #: PostgreSQL: connections this process may hold at once, its LISTEN connection included (the pool
    #: gets the rest); the sum over every process must stay under the server's max_connections
    database_connections: int = DEFAULT_DATABASE_CONNECTIONS
    broker_url: str = "memory://"
    #: HS256 key of development and test tokens; production accepts only its issuers' asymmetric keys
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    env: Literal["development", "production", "test"] = "development"
    # Keyed digest of national IDs: without it the digests cannot be recomputed from a leaked table.
    pii_pepper: SecretStr = SecretStr(DEVELOPMENT_PII_PEPPER)
    #: key-encryption key of the personal-data subject keys (core.personal_keys); 32+ characters
    data_key: SecretStr = SecretStr(DEVELOPMENT_DATA_KEY)
    #: while rotating FARMGATE_DATA_KEY: the previous ones, comma-separated, until `farmgate keys rewrap` ran
    data_key_previous: SecretStr = SecretStr("")
    #: days after a buyer's last order closed (and its claims settled) before its personal data is erased
    buyer_retention_days: float = Field(365.0, gt=0, le=3650)
    projection_wait_seconds: float = Field(5.0, ge=0)
    #: how long a keyed mutation's first attempt holds its idempotency key before a retry may take over
    idempotency_lease_seconds: float = Field(10.0, gt=0, le=3600)
    projector_batch_size: int = Field(500, ge=1)
    #: pause between projector batches, to shed load on the database during a large backfill
    projector_throttle_ms: int = Field(0, ge=0)
    #: on PostgreSQL, followers of the log wake on its notifications and look anyway this often
    log_safety_poll_seconds: float = Field(10.0, gt=0, le=3600)
    log_format: Literal["auto", "json", "console"] = "auto"
    #: DEBUG shows each projector batch applied (which process applied what); case does not matter
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: hours dispute staff have to decide a claim before it is an SLA breach
    claim_response_hours: float = Field(72.0, gt=0, le=24 * 365)
    #: share of the harvest-to-door time used after which an undelivered export order is AT_RISK
    export_at_risk_share: float = Field(0.75, gt=0, le=1)
    #: seconds between two runs of the delivery-promise watchdog (how late, at most, spoilage is declared)
    promise_watchdog_seconds: float = Field(30.0, gt=0, le=3600)
    #: tests only: a file holding the current time, shared by the API and worker processes
    test_clock_file: str | None = None
    #: tests only: a JSON file {host: [addresses]} answering webhook DNS look-ups (no real DNS traffic)
    test_resolver_file: str | None = None
    #: partner webhooks: first retry delay (doubling per attempt, capped), attempts before FAILED, HTTP timeout
    webhook_backoff_seconds: float = Field(1.0, gt=0)
    webhook_max_backoff_seconds: float = Field(3600.0, gt=0)
    webhook_max_attempts: int = Field(25, ge=1)
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    #: how long the previous secret still signs (beside the new one) after an endpoint's secret is rotated
    webhook_secret_overlap_hours: float = Field(24.0, ge=0)
    #: token issuers trusted in production (JSON list of TokenIssuer); development and tests also take HS256
    jwt_issuers: tuple[TokenIssuer, ...] = ()
    #: the ``aud`` every token must name
    jwt_audience: str = "farmgate"
    #: the longest a token may live (exp - iat, and exp - now)
    jwt_max_lifetime_seconds: int = Field(24 * 3600, ge=60)
    #: browser origins allowed to call the API (CORS) and open its WebSocket; comma-separated
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    #: largest request body accepted (bytes); larger is 413
    max_body_bytes: int = Field(1_048_576, ge=1024)
    #: largest multipart upload accepted (bytes): a province's household CSV (90,000 rows ≈ 10 MB)
    max_upload_bytes: int = Field(64 * 1_048_576, ge=1024)
    #: how long a household import's runner holds its job between checkpoints before another takes it over
    import_lease_seconds: float = Field(60.0, gt=0, le=3600)
    #: query cost budget per role (and ANONYMOUS, AUTHENTICATED for any role not listed); JSON object
    query_cost_budgets: dict[str, int] = DEFAULT_QUERY_COST_BUDGETS
    #: the Ed25519 key that signs audit anchors: PKCS#8 PEM, or its 32-byte seed in hex or base64. Unset
    #: outside production: the public development key (core.audit_signing), which production refuses
    audit_signing_key: SecretStr | None = None
    #: public keys that signed earlier anchors, after a rotation (PEM, or a JWK / JWK Set): still trusted
    #: for those anchors, and published beside the current key
    audit_previous_public_keys: str | None = None
    #: seconds between two seals of the event log (audit anchors): how long, at most, an event stays unsealed
    audit_anchor_seconds: float = Field(300.0, gt=0, le=86_400)
    #: OpenTelemetry: the OTLP/HTTP collector's base URL (spans go to <url>/v1/traces); unset: no tracing
    otlp_endpoint: str | None = None
    #: OpenTelemetry: the ``service.name`` of this process's spans (e.g. farmgate-api, farmgate-worker)
    otel_service_name: str = Field("farmgate", min_length=1)
    #: the worker's Prometheus metrics (dramatiq's middleware) on http://127.0.0.1:<port>/; unset: none
    worker_metrics_port: int | None = Field(None, ge=1, le=65535)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   **_: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        # Constructed directly, settings are exactly what is passed; `from_env` reads the environment.
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of FARMGATE_* variables in ``environ`` (default: the process environment)."""
        import os

        source = _Environment(cls, os.environ if environ is None else environ)
        try:
            return cls(**source())
        except ValidationError as error:
            raise SettingsError(_explain(error)) from None
        except ValueError as error:  # a JSON value that does not parse, from the source itself
            field = re.search(r'field "(\w+)"', str(error))
            name = f"{ENV_PREFIX}{field.group(1).upper()}" if field else "a FARMGATE_* variable"
            raise SettingsError(f"{name}: is not valid JSON") from None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        return _comma_list(value)

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            parts = urlsplit(origin)
            if origin != "*" and (parts.scheme not in ("http", "https") or not parts.hostname
                                  or parts.path not in ("", "/") or parts.query):
                raise ValueError(f"{origin!r} is not an origin like https://shop.example (scheme, host, port)")
        return tuple(origin.rstrip("/") for origin in value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_in_capitals(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("query_cost_budgets")
    @classmethod
    def _budgets(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - {*ROLES, "ANONYMOUS", "AUTHENTICATED"}
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}; use roles, ANONYMOUS or AUTHENTICATED")
        if any(budget < 1 for budget in value.values()):
            raise ValueError("every budget must be at least 1")
        return {**DEFAULT_QUERY_COST_BUDGETS, **value}

    @field_validator("audit_signing_key")
    @classmethod
    def _audit_key_is_ed25519(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                load_private_key(value.get_secret_value())
            except AuditKeyError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("audit_previous_public_keys")
    @classmethod
    def _previous_keys_are_ed25519(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            try:
                load_public_keys(value)
            except AuditKeyError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("otlp_endpoint")
    @classmethod
    def _otlp_endpoint_is_http(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
                raise ValueError("must be the collector's OTLP/HTTP base URL, like http://127.0.0.1:4318")
        return value

    @field_validator("database_connections", mode="before")
    @classmethod
    def _connection_budget(cls, value: Any) -> Any:
        number = value.strip() if isinstance(value, str) else value
        if isinstance(number, bool) or not (isinstance(number, int) or re.fullmatch(r"[+-]?\d+", str(number))):
            raise ValueError("must be a whole number of connections (at least 2: one pooled, one that LISTENs)")
        if int(number) < 2:
            raise ValueError("must be at least 2: one pooled connection and the one that LISTENs")
        return int(number)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        persistence_env(value)  # raises on a malformed URL
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.test_clock_file and self.env != "test":
            raise ValueError("FARMGATE_TEST_CLOCK_FILE is only allowed with FARMGATE_ENV=test")
        if self.test_resolver_file and self.env != "test":
            raise ValueError("FARMGATE_TEST_RESOLVER_FILE is only allowed with FARMGATE_ENV=test")
        if self.is_production:
            secret = self.jwt_secret.get_secret_value()
            if secret == DEVELOPMENT_JWT_SECRET or len(secret.strip()) < MINIMUM_SECRET_LENGTH:
                raise ValueError(
                    f"FARMGATE_JWT_SECRET is the development secret or shorter than {MINIMUM_SECRET_LENGTH} characters; "
                    "production refuses to start with it"
                )
            pepper = self.pii_pepper.get_secret_value()
            if pepper == DEVELOPMENT_PII_PEPPER or len(pepper.strip()) < MINIMUM_SECRET_LENGTH:
                raise ValueError(
                    f"FARMGATE_PII_PEPPER is empty, the development pepper or shorter than {MINIMUM_SECRET_LENGTH} "
                    "characters; production refuses to start with it (generate one with `openssl rand -hex 32` "
                    "and keep it: households are found by their national ID's digest under this pepper)"
                )
            data_key = self.data_key.get_secret_value()
            if data_key == DEVELOPMENT_DATA_KEY or len(data_key.strip()) < MINIMUM_SECRET_LENGTH:
                raise ValueError(f"FARMGATE_DATA_KEY is the development key or shorter than {MINIMUM_SECRET_LENGTH} "
                                 "characters (blanks not counted); production refuses to start with it")
            if not self.jwt_issuers:
                raise ValueError("FARMGATE_JWT_ISSUERS must name at least one token issuer in production "
                                 "(production accepts only issuers' asymmetric keys, not HS256)")
            signer = self.audit_signer()
            if signer.development:
                raise ValueError("FARMGATE_AUDIT_SIGNING_KEY must be set in production to an Ed25519 key of its own "
                                 "(unset, or the development key, signs anchors that prove nothing)")
        return self

    def audit_signer(self) -> AuditSigner:
        """The anchors' signer: FARMGATE_AUDIT_SIGNING_KEY, else the development key."""
        development = development_private_key()
        if self.audit_signing_key is None:
            return AuditSigner(development, development=True)
        key = load_private_key(self.audit_signing_key.get_secret_value())
        return AuditSigner(key, development=raw_public(key.public_key()) == raw_public(development.public_key()))

    def audit_previous_keys(self) -> list[Ed25519PublicKey]:
        """FARMGATE_AUDIT_PREVIOUS_PUBLIC_KEYS, read (none when unset)."""
        text = self.audit_previous_public_keys
        return load_public_keys(text) if text and text.strip() else []

    @property
    def logging_level(self) -> int:
        """The FARMGATE_LOG_LEVEL as the logging module's number."""
        return int(logging.getLevelNamesMapping()[self.log_level])

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_embedded(self) -> bool:
        """SQLite or in-memory events, or an in-memory broker: projectors and workers run in the API process."""
        return self.database_url.startswith(("sqlite", "memory")) or self.broker_url.startswith("memory")

    def persistence_env(self) -> dict[str, str]:
        return persistence_env(self.database_url, self.database_connections)

    def __repr_args__(self) -> Any:
        """As pydantic shows the settings, but the URLs' passwords masked like the secrets' values."""
        for name, value in super().__repr_args__():
            yield name, _password_masked(value) if name in URL_SETTINGS and isinstance(value, str) else value


#: settings holding a URL that may carry a password (``scheme://user:password@host``)
URL_SETTINGS = frozenset({"database_url", "broker_url", "otlp_endpoint"})


def _password_masked(url: str) -> str:
    """``url`` with the password of its user-info, if any, shown as ``**********``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.split(":", 1)[0]
    return parts._replace(netloc=f"{user}:**********@{host}").geturl()


class _Environment(EnvSettingsSource):
    """pydantic-settings' own environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items() if key.upper().startswith(ENV_PREFIX)}


def _explain(error: ValidationError) -> str:
    """One line per wrong setting, named as the operator wrote it; the value itself is never repeated."""
    lines = []
    for problem in error.errors(include_input=False, include_url=False):
        location = problem["loc"]
        message = problem["msg"].removeprefix("Value error, ")
        if not location or message.startswith(ENV_PREFIX):
            lines.append(message)  # the rule names its variables itself
            continue
        detail = ".".join(str(part) for part in location[1:])
        lines.append(f"{ENV_PREFIX}{str(location[0]).upper()}{f' ({detail})' if detail else ''}: {message}")
    return "; ".join(lines)


#: libpq parameters carried from the URL's query string to every connection (sslmode, sslrootcert…)
CONNECTION_PARAMETERS = "POSTGRES_CONNECTION_PARAMETERS"


def persistence_env(database_url: str, connections: int = DEFAULT_DATABASE_CONNECTIONS) -> dict[str, str]:
    """Map FARMGATE_DATABASE_URL onto the eventsourcing library's own persistence settings.
    Query parameters of a PostgreSQL URL (``?sslmode=verify-full&sslrootcert=…``) are kept.
    PostgreSQL's pool gets ``connections`` (FARMGATE_DATABASE_CONNECTIONS, at least 2) less the one
    the process's listener holds: up to POOL_KEPT_OPEN kept open, the rest opened under load."""
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
        # eventsourcing's SQLite, with write transactions that begin IMMEDIATE (core.sqlite_writes): a
        # writer waits up to SQLITE_LOCK_TIMEOUT seconds for another process's instead of failing.
        return {"PERSISTENCE_MODULE": SQLITE_FACTORY_TOPIC, "SQLITE_DBNAME": path, "SQLITE_LOCK_TIMEOUT": "10"}
    if parts.scheme in ("postgresql", "postgres"):
        dbname = parts.path.lstrip("/")
        if not dbname:
            raise SettingsError("FARMGATE_DATABASE_URL needs a database name")
        try:
            port = parts.port
        except ValueError:
            raise SettingsError("FARMGATE_DATABASE_URL has a port that is not a number") from None
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(dbname),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_LOCK_TIMEOUT": "5",
            # Several API, projector and worker processes share one server's max_connections (100 by
            # default): each holds at most its budget, the pool's connections and the LISTEN one.
            "POSTGRES_POOL_SIZE": str(min(POOL_KEPT_OPEN, connections - 1)),
            "POSTGRES_MAX_OVERFLOW": str(connections - 1 - min(POOL_KEPT_OPEN, connections - 1)),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "30",
            # Saves in four statements instead of six (core.postgres_events).
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER_TOPIC,
        }
        if parts.query:
            env[CONNECTION_PARAMETERS] = urlencode(parse_qsl(parts.query, keep_blank_values=True))
        return env
    raise SettingsError(
        f"FARMGATE_DATABASE_URL scheme {parts.scheme!r} is not one of memory, sqlite, postgresql"
    )
