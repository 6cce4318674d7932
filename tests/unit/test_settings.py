"""Settings: URL mapping onto the library's persistence settings; production refuses dev secrets."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from farmgate.deploy.settings import (DEVELOPMENT_DATA_KEY, DEVELOPMENT_JWT_SECRET, DEVELOPMENT_PII_PEPPER, Settings,
                                      SettingsError, persistence_env)


def test_database_urls_map_onto_the_eventsourcing_persistence_modules(tmp_path) -> None:
    assert persistence_env("memory://")["PERSISTENCE_MODULE"] == "eventsourcing.popo"
    relative = persistence_env("sqlite:///var/x.db")
    assert relative["PERSISTENCE_MODULE"] == "farmgate.core.sqlite_writes:ImmediateWritesFactory"
    assert relative["SQLITE_DBNAME"] == "var/x.db"
    absolute = persistence_env(f"sqlite:///{tmp_path}/y.db")
    assert absolute["SQLITE_DBNAME"] == f"{tmp_path}/y.db"
    pg = persistence_env("postgresql://farm:s%40cret@db.internal:6543/farmgate")
    assert (pg["POSTGRES_HOST"], pg["POSTGRES_PORT"], pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"],
            pg["POSTGRES_DBNAME"]) == ("db.internal", "6543", "farm", "s@cret", "farmgate")
    assert pg["POSTGRES_LOCK_TIMEOUT"] != "0"  # the library's default 0 waits forever


def test_unknown_schemes_are_refused() -> None:
    with pytest.raises(SettingsError):
        persistence_env("mysql://x/y")


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        Settings.from_env({"FARMGATE_ENV": "production", "FARMGATE_DATABASE_URL": "memory://"})
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        Settings.from_env({"FARMGATE_ENV": "production", "FARMGATE_JWT_SECRET": DEVELOPMENT_JWT_SECRET})
    ok = Settings.from_env({"FARMGATE_ENV": "production", "FARMGATE_JWT_SECRET": "x" * 40,
                            "FARMGATE_PII_PEPPER": "p" * 40, "FARMGATE_DATABASE_URL": "memory://",
                            "FARMGATE_JWT_ISSUERS": ISSUERS, "FARMGATE_AUDIT_SIGNING_KEY": AUDIT_KEY,
                            "FARMGATE_DATA_KEY": "k" * 40})
    assert ok.is_production


AUDIT_KEY = "a7" * 32
ISSUERS = json.dumps([{"issuer": "https://id.postmart.example", "jwks": "/etc/farmgate/postmart.jwks.json",
                       "roles": ["MARKETPLACE"], "scopes": {"marketplace": ["POSTMART"]}}])


@pytest.mark.parametrize("pepper", [None, "", "   ", DEVELOPMENT_PII_PEPPER, "p" * 31, " " * 20 + "p" * 20])
def test_production_refuses_an_empty_short_or_development_pepper(pepper: str | None) -> None:
    environ = {"FARMGATE_ENV": "production", "FARMGATE_JWT_SECRET": "x" * 40, "FARMGATE_DATABASE_URL": "memory://",
               "FARMGATE_JWT_ISSUERS": ISSUERS, "FARMGATE_AUDIT_SIGNING_KEY": AUDIT_KEY, "FARMGATE_DATA_KEY": "k" * 40}
    if pepper is not None:
        environ["FARMGATE_PII_PEPPER"] = pepper
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(environ)
    message = str(refused.value)
    assert message.startswith("FARMGATE_PII_PEPPER") and "production refuses to start" in message
    assert DEVELOPMENT_PII_PEPPER not in message and (not pepper or not pepper.strip() or pepper not in message)
    # Development and tests keep their default pepper; production starts with a real one.
    assert Settings.from_env({**environ, "FARMGATE_ENV": "development"}).pii_pepper.get_secret_value() == (
        DEVELOPMENT_PII_PEPPER if pepper is None else pepper)
    assert Settings.from_env({**environ, "FARMGATE_PII_PEPPER": "p" * 32}).is_production


def test_production_refuses_a_blank_jwt_secret() -> None:
    with pytest.raises(SettingsError, match="^FARMGATE_JWT_SECRET"):
        Settings.from_env({"FARMGATE_ENV": "production", "FARMGATE_JWT_SECRET": " " * 40,
                           "FARMGATE_PII_PEPPER": "p" * 40, "FARMGATE_JWT_ISSUERS": ISSUERS,
                           "FARMGATE_AUDIT_SIGNING_KEY": AUDIT_KEY, "FARMGATE_DATA_KEY": "k" * 40})


def test_production_needs_at_least_one_token_issuer() -> None:
    with pytest.raises(SettingsError, match="FARMGATE_JWT_ISSUERS"):
        Settings.from_env({"FARMGATE_ENV": "production", "FARMGATE_JWT_SECRET": "x" * 40,
                           "FARMGATE_PII_PEPPER": "p" * 40, "FARMGATE_DATA_KEY": "k" * 40, "FARMGATE_DATABASE_URL": "memory://"})


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("FARMGATE_PROJECTOR_BATCH_SIZE", "ten", "valid integer"),
    ("FARMGATE_IDEMPOTENCY_LEASE_SECONDS", "0", "greater than 0"),
    ("FARMGATE_IDEMPOTENCY_LEASE_SECONDS", "3601", "less than or equal to 3600"),
    ("FARMGATE_WEBHOOK_TIMEOUT_SECONDS", "-1", "greater than 0"),
    ("FARMGATE_PROJECTION_WAIT_SECONDS", "5s", "valid number"),
    ("FARMGATE_ENV", "prod", "'development', 'production' or 'test'"),
    ("FARMGATE_LOG_FORMAT", "xml", "'auto', 'json' or 'console'"),
    ("FARMGATE_JWT_ISSUERS", "[{", "not valid JSON"),
    ("FARMGATE_JWT_ISSUERS", '[{"issuer": "x", "jwks": "http://keys.example", "roles": ["MARKETPLACE"]}]', "https://"),
    ("FARMGATE_JWT_ISSUERS", '[{"issuer": "x", "jwks": "k.json", "roles": ["VOSO"]}]', "'MARKETPLACE'"),
    ("FARMGATE_CORS_ORIGINS", "https://shop.example/path", "not an origin"),
    ("FARMGATE_QUERY_COST_BUDGETS", '{"SHOPPER": 10}', "unknown roles"),
    ("FARMGATE_DATABASE_URL", "postgresql://h:port/db", "port"),
    ("FARMGATE_DATABASE_CONNECTIONS", "1", "at least 2"),
    ("FARMGATE_DATABASE_CONNECTIONS", "-5", "at least 2"),
    ("FARMGATE_DATABASE_CONNECTIONS", "ten", "whole number"),
    ("FARMGATE_DATABASE_CONNECTIONS", "2.5", "whole number"),
])
def test_a_wrong_setting_is_named_with_what_it_must_be_and_no_traceback(variable: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({variable: value})
    assert str(refused.value).startswith(variable) and says in str(refused.value)


def test_secrets_stay_out_of_repr_and_errors() -> None:
    secret, pepper = "s3cret-" + "k" * 40, "pepper-" + "p" * 40
    settings = Settings.from_env({"FARMGATE_JWT_SECRET": secret, "FARMGATE_PII_PEPPER": pepper})
    assert secret not in repr(settings) and pepper not in repr(settings) and secret not in str(settings)
    assert settings.jwt_secret.get_secret_value() == secret
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"FARMGATE_ENV": "production", "FARMGATE_JWT_SECRET": "short-secret", "FARMGATE_PII_PEPPER": pepper})
    assert "short-secret" not in str(refused.value) and pepper not in str(refused.value)



def test_the_passwords_in_the_database_and_broker_urls_stay_out_of_repr() -> None:
    # The database password is as secret as the JWT secret; repr showed the URL whole.
    settings = Settings.from_env({
        "FARMGATE_DATABASE_URL": "postgresql://farmgate:db-pa55word@db.internal:5432/farmgate?sslmode=verify-full",
        "FARMGATE_BROKER_URL": "redis://:br0ker-pa55@redis.internal:6379/0"})
    for shown in (repr(settings), str(settings)):
        assert "db-pa55word" not in shown and "br0ker-pa55" not in shown, shown
        assert "db.internal:5432/farmgate?sslmode=verify-full" in shown and "redis.internal:6379/0" in shown
    # The values themselves are whole: only their display is masked.
    assert "db-pa55word" in settings.database_url and "br0ker-pa55" in settings.broker_url

def test_every_parameter_of_the_database_url_is_kept() -> None:
    env = persistence_env("postgresql://farm@db.internal/farmgate?sslmode=verify-full&sslrootcert=/etc/ca.pem"
                          "&application_name=farmgate-api")
    assert parse_qs(env["POSTGRES_CONNECTION_PARAMETERS"]) == {
        "sslmode": ["verify-full"], "sslrootcert": ["/etc/ca.pem"], "application_name": ["farmgate-api"]}


def test_cors_origins_are_a_comma_separated_list() -> None:
    settings = Settings.from_env({"FARMGATE_CORS_ORIGINS": "https://postmart.example, http://localhost:3000/"})
    assert settings.cors_origins == ("https://postmart.example", "http://localhost:3000")


def test_embedded_means_sqlite_or_an_in_memory_broker() -> None:
    assert Settings(database_url="sqlite:///var/a.db").is_embedded
    assert not Settings(database_url="postgresql://p@h/d", broker_url="redis://h:6379").is_embedded


PRODUCTION = {"FARMGATE_ENV": "production", "FARMGATE_JWT_SECRET": "x" * 40, "FARMGATE_PII_PEPPER": "p" * 40,
              "FARMGATE_DATABASE_URL": "memory://", "FARMGATE_JWT_ISSUERS": ISSUERS, "FARMGATE_DATA_KEY": "k" * 40}


def test_production_refuses_a_missing_or_development_audit_signing_key() -> None:
    from cryptography.hazmat.primitives import serialization

    from farmgate.core.audit_signing import development_private_key

    with pytest.raises(SettingsError, match="FARMGATE_AUDIT_SIGNING_KEY must be set in production"):
        Settings.from_env(PRODUCTION)
    development_pem = development_private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(SettingsError, match="FARMGATE_AUDIT_SIGNING_KEY must be set in production"):
        Settings.from_env({**PRODUCTION, "FARMGATE_AUDIT_SIGNING_KEY": development_pem})
    signer = Settings.from_env({**PRODUCTION, "FARMGATE_AUDIT_SIGNING_KEY": AUDIT_KEY}).audit_signer()
    assert not signer.development and signer.key_id != Settings().audit_signer().key_id
    # Outside production the development key signs, and says so.
    assert Settings().audit_signer().development


@pytest.mark.parametrize("value", ["not-a-key", "ab" * 31, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"])
def test_an_audit_signing_key_that_is_not_ed25519_is_refused_without_repeating_it(value: str) -> None:
    with pytest.raises(SettingsError, match="FARMGATE_AUDIT_SIGNING_KEY") as refused:
        Settings.from_env({"FARMGATE_AUDIT_SIGNING_KEY": value})
    assert value not in str(refused.value)


def test_the_audit_key_is_read_from_hex_base64_and_pem_alike() -> None:
    import base64

    from cryptography.hazmat.primitives import serialization

    from farmgate.core.audit_signing import load_private_key

    seed = bytes(range(32))
    pem = load_private_key(seed.hex()).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()).decode()
    ids = {Settings.from_env({"FARMGATE_AUDIT_SIGNING_KEY": value}).audit_signer().key_id
           for value in (seed.hex(), base64.b64encode(seed).decode(), base64.urlsafe_b64encode(seed).decode(), pem)}
    assert len(ids) == 1


def test_previous_audit_public_keys_are_read_and_must_be_ed25519() -> None:
    from farmgate.core.audit_signing import key_id, public_pem
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    old = Ed25519PrivateKey.generate().public_key()
    settings = Settings.from_env({"FARMGATE_AUDIT_PREVIOUS_PUBLIC_KEYS": public_pem(old)})
    assert [key_id(k) for k in settings.audit_previous_keys()] == [key_id(old)]
    assert Settings().audit_previous_keys() == []
    with pytest.raises(SettingsError, match="FARMGATE_AUDIT_PREVIOUS_PUBLIC_KEYS"):
        Settings.from_env({"FARMGATE_AUDIT_PREVIOUS_PUBLIC_KEYS": "not a key"})


@pytest.mark.parametrize("endpoint", ["127.0.0.1:4318", "grpc://collector:4317", "http://", "http://collector:4318?x=1"])
def test_an_otlp_endpoint_must_be_an_http_base_url(endpoint: str) -> None:
    with pytest.raises(SettingsError, match="FARMGATE_OTLP_ENDPOINT"):
        Settings.from_env({"FARMGATE_OTLP_ENDPOINT": endpoint})


def test_tracing_and_worker_metrics_are_off_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.otlp_endpoint is None and settings.worker_metrics_port is None
    on = Settings.from_env({"FARMGATE_OTLP_ENDPOINT": "https://collector.example:4318",
                            "FARMGATE_WORKER_METRICS_PORT": "9191"})
    assert (on.otlp_endpoint, on.worker_metrics_port) == ("https://collector.example:4318", 9191)


@pytest.mark.parametrize("data_key", [None, "", "   ", DEVELOPMENT_DATA_KEY, "k" * 31, " " * 20 + "k" * 20])
def test_production_refuses_a_missing_short_or_development_data_key(data_key: str | None) -> None:
    environ = {key: value for key, value in PRODUCTION.items() if key != "FARMGATE_DATA_KEY"}
    environ["FARMGATE_AUDIT_SIGNING_KEY"] = AUDIT_KEY
    if data_key is not None:
        environ["FARMGATE_DATA_KEY"] = data_key
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(environ)
    message = str(refused.value)
    assert message.startswith("FARMGATE_DATA_KEY") and "production refuses to start" in message
    assert not data_key or not data_key.strip() or data_key not in message
    # A real key of 32+ characters starts it; development keeps the documented value.
    assert Settings.from_env({**environ, "FARMGATE_DATA_KEY": "k" * 40}).is_production
    assert Settings().data_key.get_secret_value() == DEVELOPMENT_DATA_KEY


@pytest.mark.parametrize(("budget", "kept_open", "overflow"), [(None, "4", "12"), ("17", "4", "12"), ("3", "2", "0"),
                                                              ("2", "1", "0"), ("41", "4", "36")])
def test_the_connection_budget_is_the_pool_and_the_listen_connection(budget: str | None, kept_open: str,
                                                                     overflow: str) -> None:
    environ = {"FARMGATE_DATABASE_URL": "postgresql://farm@db.internal/farmgate"}
    if budget is not None:
        environ["FARMGATE_DATABASE_CONNECTIONS"] = budget
    env = Settings.from_env(environ).persistence_env()
    assert (env["POSTGRES_POOL_SIZE"], env["POSTGRES_MAX_OVERFLOW"]) == (kept_open, overflow)
    # the pool at its largest and the one LISTEN connection: the whole budget (17 by default, as before)
    assert int(kept_open) + int(overflow) + 1 == int(budget or 17)
