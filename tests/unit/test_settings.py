"""Settings: URL mapping onto the library's persistence settings; production refuses dev secrets."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from farmgate.deploy.settings import DEVELOPMENT_JWT_SECRET, Settings, SettingsError, persistence_env


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
                            "FARMGATE_PII_PEPPER": "p" * 40, "FARMGATE_DATA_KEY": "k" * 40, "FARMGATE_DATABASE_URL": "memory://",
                            "FARMGATE_JWT_ISSUERS": ISSUERS})
    assert ok.is_production


ISSUERS = json.dumps([{"issuer": "https://id.postmart.example", "jwks": "/etc/farmgate/postmart.jwks.json",
                       "roles": ["MARKETPLACE"], "scopes": {"marketplace": ["POSTMART"]}}])


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
