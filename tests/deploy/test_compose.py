"""deploy/compose.yaml as operators run it. Where `docker compose` and a daemon are present, docker
itself validates the file (`docker compose config`) and builds the image; where they are not (this
project's CI), that part is reported as not applicable by a DockerNotAvailable warning in the run's
summary — never a skip — and every other check below runs on the file as parsed, everywhere."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from farmgate.deploy.settings import DEVELOPMENT_JWT_SECRET, DEVELOPMENT_PII_PEPPER, ENV_PREFIX, Settings
from tests.deploy.deploy_files import (
    COMPOSE_FILE, DEPLOY, DOCKERFILE, ENV_EXAMPLE, InterpolationError, compose, docker_with_daemon, dockerfile,
    env_file, farmgate_services, interpolate, service_environment, strings, variables,
)
from tests.services import postgres_admin_url, redis_url

FARMGATE = Path(sys.executable).parent / "farmgate"
#: names of settings that hold secrets, and of the database password
SECRET_NAMES = re.compile(r"SECRET|PEPPER|PASSWORD|TOKEN|KEY")


class DockerNotAvailable(UserWarning):
    """The docker half of a check could not run here; the rest of the check did."""


def filled_in_example() -> dict[str, str]:
    """The env example with every empty value (a secret) filled in as an operator would."""
    return {key: value or secrets.token_hex(32) for key, value in env_file().items()}


def test_the_stack_has_its_services_and_two_api_replicas() -> None:
    spec = compose()
    assert set(spec["services"]) == {"postgres", "redis", "migrate", "api", "worker", "projector"}
    assert set(farmgate_services(spec)) == {"migrate", "api", "worker", "projector"}
    assert spec["services"]["api"]["deploy"]["replicas"] == 2
    # Two replicas cannot share one host port: a range, one port each, on the host's loopback only.
    assert spec["services"]["api"]["ports"] == ["127.0.0.1:8000-8001:8000"]


def test_each_service_command_is_a_farmgate_command_with_options_it_takes() -> None:
    commands = {name: service["command"] for name, service in farmgate_services(compose()).items()}
    assert [command[0] for command in commands.values()] == ["migrate", "serve", "worker", "projector"]
    for name, command in commands.items():
        # Options are parsed before the eager --help: an option the command lacks fails here.
        result = subprocess.run([str(FARMGATE), *command, "--help"], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "COLUMNS": "200"})
        assert result.returncode == 0, f"{name}: farmgate {' '.join(command)} --help: {result.stderr}"
    refused = subprocess.run([str(FARMGATE), "serve", "--no-such-option", "1", "--help"], capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2, "the check above cannot tell a wrong option"
    # The API binds every interface in the container because compose says so, not by default.
    assert commands["api"][1:3] == ["--host", "0.0.0.0"]
    assert "[default: 127.0.0.1]" in subprocess.run([str(FARMGATE), "serve", "--help"], capture_output=True,
                                                    text=True, env={**os.environ, "COLUMNS": "200"}).stdout


def test_every_service_has_a_health_check_and_dependencies_wait_for_it() -> None:
    spec = compose()
    services = spec["services"]
    image_healthcheck = [i for i in dockerfile() if i.keyword == "HEALTHCHECK"]
    for name, service in services.items():
        inherited = name in farmgate_services(spec) and bool(image_healthcheck)
        assert service.get("healthcheck", {}).get("test") or inherited, f"{name} has no health check"
        assert not service.get("healthcheck", {}).get("disable"), name
    # The image's check is HTTP on the API's port: the worker and the projector serve none.
    for name in ("worker", "projector"):
        assert "healthcheck" in services[name], f"{name} would inherit the API's HTTP health check"
    for name, service in services.items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert condition["condition"] in ("service_healthy", "service_completed_successfully"), (name, dependency)
    for name in farmgate_services(spec):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy", name
    assert services["worker"]["depends_on"]["redis"]["condition"] == "service_healthy", "the worker consumes the broker"
    # Production refuses a database that is behind: the one-shot `migrate` runs once, to completion,
    # before any process that serves or works starts.
    assert services["migrate"]["command"] == ["migrate"] and services["migrate"]["restart"] == "no"
    for name in ("api", "worker", "projector"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


@pytest.mark.postgres
@pytest.mark.redis
def test_the_worker_and_projector_health_checks_pass_on_live_services_and_fail_on_dead_ones() -> None:
    """Run as the container would (its `python` is the one with farmgate's packages), against this
    machine's PostgreSQL and Redis, and against a port where nothing listens."""
    live = {"FARMGATE_DATABASE_URL": postgres_admin_url(), "FARMGATE_BROKER_URL": redis_url()}
    dead = {"FARMGATE_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none", "FARMGATE_BROKER_URL": "redis://127.0.0.1:9/0"}
    for name in ("worker", "projector"):
        kind, program, *arguments = compose()["services"][name]["healthcheck"]["test"]
        assert (kind, program) == ("CMD", "python")
        for environ, expected in ((live, 0), (dead, 1)):
            result = subprocess.run([sys.executable, *arguments], env={**os.environ, **environ}, capture_output=True,
                                    text=True, timeout=30)
            assert result.returncode == expected, f"{name} health check with {environ}: {result.stderr[-500:]}"


def test_no_secret_is_written_in_the_files_only_required_placeholders() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for development_value in (DEVELOPMENT_JWT_SECRET, DEVELOPMENT_PII_PEPPER):
        assert development_value not in text and development_value not in ENV_EXAMPLE.read_text(encoding="utf-8")
    spec = compose()
    environments = [service.get("environment") or {} for service in spec["services"].values()]
    secret_values = [(key, str(value)) for environment in environments for key, value in environment.items()
                     if SECRET_NAMES.search(key)]
    assert {key for key, _ in secret_values} >= {"FARMGATE_JWT_SECRET", "FARMGATE_PII_PEPPER", "POSTGRES_PASSWORD"}
    for key, value in secret_values:
        assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", value), f"{key} must be a required ${{…:?…}} placeholder, is {value!r}"
    # The database URL carries the password: by placeholder as well.
    url = spec["services"]["api"]["environment"]["FARMGATE_DATABASE_URL"]
    assert ("POSTGRES_PASSWORD", ":?") in variables(url.split("@")[0])
    # In the example, each secret is empty (so compose refuses to start until it is filled in).
    example = env_file()
    for name, operator in (found for value in strings(spec) for found in variables(value)):
        if SECRET_NAMES.search(name):
            assert operator == ":?" and example[name] == "", f"{name} in {ENV_EXAMPLE.name}"


def test_every_farmgate_variable_named_is_a_setting() -> None:
    known = {ENV_PREFIX + field.upper() for field in Settings.model_fields}
    for path in (COMPOSE_FILE, ENV_EXAMPLE, DOCKERFILE):
        named = set(re.findall(r"\bFARMGATE_[A-Z0-9_]+", path.read_text(encoding="utf-8")))
        assert named - known == set(), f"{path.name} names settings that do not exist"
    assert "FARMGATE_DATABASE_URL" in known, "the check above reads Settings as it should"


def test_the_example_filled_in_gives_production_settings_and_unfilled_is_refused() -> None:
    spec = compose()
    for name in farmgate_services(spec):
        environ = service_environment(spec["services"][name], filled_in_example())
        settings = Settings.from_env(environ)
        assert settings.is_production and not settings.is_embedded, name
        assert settings.database_url.startswith("postgresql://farmgate:") and settings.broker_url.startswith("redis://")
        assert settings.jwt_issuers and settings.cors_origins == ("https://shop.postmart.example",)
    with pytest.raises(InterpolationError, match="POSTGRES_PASSWORD|FARMGATE_JWT_SECRET|FARMGATE_PII_PEPPER"):
        service_environment(spec["services"]["api"], env_file())
    # And every variable compose interpolates is one the example lists.
    assert {name for value in strings(spec) for name, _ in variables(value)} <= set(env_file())
    assert interpolate("${FARMGATE_JWT_AUDIENCE:-farmgate}", {}) == "farmgate"


def test_docker_validates_the_compose_file_and_builds_the_image_where_a_daemon_answers(tmp_path: Path) -> None:
    """The parsed-structure checks first (always), then docker's own, only where docker can run."""
    spec = compose()
    assert spec["services"]["api"]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (COMPOSE_FILE.parent / spec["services"]["api"]["build"]["context"] / "deploy" / "Dockerfile").is_file()
    why_not = docker_with_daemon()
    if why_not is not None:
        warnings.warn(DockerNotAvailable(f"`docker compose config` and the image build not run: {why_not}"),
                      stacklevel=1)
        return
    env = tmp_path / "farmgate.env"
    env.write_text("".join(f"{key}='{value}'\n" for key, value in filled_in_example().items()))
    config = subprocess.run(["docker", "compose", "--env-file", str(env), "-f", str(COMPOSE_FILE), "config",
                             "--quiet"], capture_output=True, text=True, timeout=120)
    assert config.returncode == 0, config.stderr
    tag = "farmgate:test-" + secrets.token_hex(4)
    try:
        built = subprocess.run(["docker", "build", "-f", str(DOCKERFILE), "-t", tag, str(DEPLOY.parent)],
                               capture_output=True, text=True, timeout=1200)
        assert built.returncode == 0, built.stderr[-3000:]
        user = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True,
                              text=True, timeout=120)
        assert user.stdout.strip() == "10001", user.stderr
        listed = subprocess.run(["docker", "run", "--rm", "--entrypoint", "pip", tag, "list", "--format=freeze"],
                                capture_output=True, text=True, timeout=120).stdout.lower()
        assert "farmgate==" in listed and "pytest" not in listed and "hypothesis" not in listed
    finally:
        if shutil.which("docker"):
            subprocess.run(["docker", "image", "rm", "--force", tag], capture_output=True, timeout=120)
