"""Reading deploy/ as docker would, for tests on a machine without a docker daemon: compose.yaml
(PyYAML, merge keys included), the env example (compose's .env syntax, the subset it uses), the
`${VAR}` / `${VAR:-default}` / `${VAR:?error}` interpolation compose applies, and the Dockerfile's
instructions with their line continuations joined."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "farmgate.env.example"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"

_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<word>[^}]*))?\}")


class InterpolationError(ValueError):
    """A `${VAR:?message}` whose variable is unset or empty: compose refuses the file."""


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def farmgate_services(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the image built from deploy/Dockerfile."""
    return {name: service for name, service in spec["services"].items()
            if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"}


def env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """KEY=VALUE lines; '#' comments; a single-quoted value is literal (compose's rule)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def variables(text: str) -> list[tuple[str, str | None]]:
    """Every `${NAME…}` in ``text``: (name, operator ':-' / ':?' or None)."""
    return [(match["name"], match["op"]) for match in _VARIABLE.finditer(text)]


def interpolate(text: str, environ: dict[str, str]) -> str:
    """Compose's interpolation of ``text`` with ``environ``; raises InterpolationError on `:?`."""
    def substitute(match: re.Match[str]) -> str:
        value = environ.get(match["name"], "")
        if match["op"] == ":?" and not value:
            raise InterpolationError(f"{match['name']}: {match['word']}")
        if match["op"] == ":-" and not value:
            return match["word"]
        return value
    return _VARIABLE.sub(substitute, text)


def service_environment(service: dict[str, Any], environ: dict[str, str]) -> dict[str, str]:
    """A service's `environment:` mapping, interpolated."""
    return {key: interpolate(str(value), environ) for key, value in (service.get("environment") or {}).items()}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions, comments dropped and `\\` continuations joined."""
    instructions: list[Instruction] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(arguments.split())))
        pending = ""
    return instructions


def docker_with_daemon() -> str | None:
    """None when `docker compose` works and a daemon answers; otherwise why not."""
    if shutil.which("docker") is None:
        return "no docker client"
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
    if plugin.returncode != 0:
        return "docker has no compose plugin (`docker compose version` failed)"
    daemon = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                            timeout=30)
    if daemon.returncode != 0:
        return "no docker daemon answers (`docker info` failed)"
    return None


def strings(node: Any) -> list[str]:
    """Every string value in a parsed YAML document (what compose interpolates; comments are not)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in strings(value)]
    return []
