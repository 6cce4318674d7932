"""deploy/Dockerfile, read without a daemon: hadolint's basics (pinned base tags, no ADD, COPY from
files that exist and pass the ignore file), a non-root runtime user, the locked install, settings
only from the environment, and its HEALTHCHECK run for real against a serving API. Building it is
in test_compose.py, where a daemon answers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.deploy.deploy_files import DOCKERIGNORE, ROOT, Instruction, dockerfile
from tests.e2e.server import free_port, running_api

IMAGE = re.compile(r"^(?P<name>[a-z0-9./-]+):(?P<tag>[\w.-]+)(?:@sha256:[0-9a-f]{64})?$")


def stages() -> list[list[Instruction]]:
    """The instructions of each build stage, FROM first."""
    found: list[list[Instruction]] = []
    for instruction in dockerfile():
        if instruction.keyword == "FROM":
            found.append([])
        assert found, f"{instruction} before the first FROM"
        found[-1].append(instruction)
    return found


def test_base_images_are_pinned_and_match_the_locks_python() -> None:
    names: list[str] = []
    lock_python = re.search(r"pip-compile with Python (\d+\.\d+)", (ROOT / "requirements.lock").read_text())
    assert lock_python
    for stage in stages():
        image, *alias = stage[0].arguments.split()
        if image in names:
            continue  # FROM an earlier stage
        match = IMAGE.match(image)
        assert match and match["tag"] != "latest" and re.search(r"\d", match["tag"]), f"unpinned base image {image}"
        # the lock's wheels and markers were resolved for this interpreter
        assert match["name"] == "python" and match["tag"].startswith(lock_python.group(1) + "."), image
        if alias:
            assert alias[0].upper() == "AS"
            names.append(alias[1])
    assert len(stages()) >= 2, "multi-stage: build tools stay out of the runtime image"


def test_no_add_and_every_copy_source_exists_and_is_in_the_build_context() -> None:
    instructions = dockerfile()
    assert not [i for i in instructions if i.keyword == "ADD"], "COPY, not ADD (no URLs, no archive unpacking)"
    allowed = [line[1:] for line in DOCKERIGNORE.read_text().splitlines() if line.startswith("!")]
    patterns = [line for line in DOCKERIGNORE.read_text().splitlines() if line and not line.startswith("#")]
    assert patterns[0] == "*", "the ignore file lets in only what it names"
    copied = []
    for instruction in instructions:
        if instruction.keyword != "COPY" or instruction.arguments.startswith("--from="):
            continue
        *sources, _ = instruction.arguments.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            assert source.split("/")[0] in allowed, f"COPY {source}: excluded by {DOCKERIGNORE.name}"
            copied.append(source)
    assert {"requirements.lock", "pyproject.toml", "README.md"} <= set(copied)
    # …and everything the wheel is built from: the package directories of pyproject.toml
    package_dirs = set(re.findall(r'^"farmgate\.\w+" = "(\w+)"$', (ROOT / "pyproject.toml").read_text(), re.M))
    assert package_dirs and package_dirs <= set(copied)
    # the operators' filled-in settings (secrets) never reach the build context
    assert "deploy/*.env" in DOCKERIGNORE.read_text().splitlines()


def test_dependencies_install_from_the_lock_with_hashes_then_the_wheel_without_dependencies() -> None:
    runs = " && ".join(i.arguments for i in stages()[0] if i.keyword == "RUN")
    assert "pip install --require-hashes -r requirements.lock" in runs
    assert re.search(r"pip install --no-deps /wheels/farmgate-\*\.whl", runs)
    assert "prune_to_runtime.py" in runs and "pip check" in runs
    assert (ROOT / "deploy" / "image" / "prune_to_runtime.py").is_file()


def test_the_runtime_stage_runs_farmgate_as_a_non_root_user_with_settings_from_the_environment() -> None:
    runtime = stages()[-1]
    keywords = [i.keyword for i in runtime]
    users = [i.arguments for i in runtime if i.keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), users
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")
    assert [json.loads(i.arguments) for i in runtime if i.keyword == "ENTRYPOINT"] == [["farmgate"]]
    assert [json.loads(i.arguments) for i in runtime if i.keyword == "CMD"] == [["serve", "--host", "0.0.0.0", "--port", "8000"]]
    assert [i.arguments for i in runtime if i.keyword == "EXPOSE"] == ["8000"]
    # no setting baked in: no FARMGATE_* in ENV/ARG, no configuration file copied
    assert not [i for i in dockerfile() if i.keyword in ("ENV", "ARG") and "FARMGATE_" in i.arguments]
    assert [i.arguments for i in runtime if i.keyword == "COPY"] == ["--from=build /opt/farmgate /opt/farmgate"]


def healthcheck_command() -> list[str]:
    [check] = [i.arguments for i in stages()[-1] if i.keyword == "HEALTHCHECK"]
    options, _, command = check.partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    program, *arguments = json.loads(command)
    assert program == "python", "the slim image has no curl"
    return arguments


def test_the_health_check_passes_on_a_serving_api_and_fails_without_one(tmp_path: Path) -> None:
    arguments = healthcheck_command()
    assert "http://127.0.0.1:8000/healthz" in " ".join(arguments)
    nothing_there = [a.replace(":8000/", f":{free_port()}/") for a in arguments]
    refused = subprocess.run([sys.executable, *nothing_there], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0
    with running_api(f"sqlite:///{tmp_path}/farmgate.db", name="healthcheck") as api:
        port = api.url.rsplit(":", 1)[1]
        against_it = [a.replace(":8000/", f":{port}/") for a in arguments]
        answered = subprocess.run([sys.executable, *against_it], capture_output=True, text=True, timeout=30)
        assert answered.returncode == 0, answered.stderr
