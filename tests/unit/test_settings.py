"""Settings: URL mapping onto the library's persistence settings; production refuses dev secrets."""

from __future__ import annotations

import pytest

from farmgate.deploy.settings import DEVELOPMENT_JWT_SECRET, Settings, SettingsError, persistence_env


def test_database_urls_map_onto_the_eventsourcing_persistence_modules(tmp_path) -> None:
    assert persistence_env("memory://")["PERSISTENCE_MODULE"] == "eventsourcing.popo"
    relative = persistence_env("sqlite:///var/x.db")
    assert relative["PERSISTENCE_MODULE"] == "eventsourcing.sqlite" and relative["SQLITE_DBNAME"] == "var/x.db"
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
                            "FARMGATE_PII_PEPPER": "p" * 40, "FARMGATE_DATABASE_URL": "memory://"})
    assert ok.is_production


def test_embedded_means_sqlite_or_an_in_memory_broker() -> None:
    assert Settings(database_url="sqlite:///var/a.db").is_embedded
    assert not Settings(database_url="postgresql://p@h/d", broker_url="redis://h:6379").is_embedded
