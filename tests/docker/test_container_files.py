"""The Dockerfile and docker-compose.yml, checked where Docker cannot build them (this suite
runs without Docker; scripts/docker-smoke builds and runs them where it can)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

from app.settings import ENV_PREFIX, Settings
from tests.servers import ROOT


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(path=str(ROOT / "Dockerfile"))


def final_stage(dockerfile: DockerfileParser) -> list[dict[str, Any]]:
    instructions = dockerfile.structure
    last_from = max(i for i, step in enumerate(instructions) if step["instruction"] == "FROM")
    return instructions[last_from:]


def command_of(value: str) -> list[str]:
    """An exec-form (JSON) or shell-form instruction value as its words."""
    value = value.strip()
    if value.startswith("["):
        return list(yaml.safe_load(value))
    return shlex.split(value)


def test_the_image_is_built_in_two_stages_from_a_pinned_base(
    dockerfile: DockerfileParser,
) -> None:
    stages = [s for s in dockerfile.structure if s["instruction"] == "FROM"]
    assert len(stages) >= 2
    (argument,) = [s["value"] for s in dockerfile.structure if s["instruction"] == "ARG"]
    assert argument.startswith("PYTHON_IMAGE=")
    assert all(stage["value"].startswith("${PYTHON_IMAGE} AS ") for stage in stages)
    base = argument.removeprefix("PYTHON_IMAGE=")
    name, _, tag = base.partition(":")
    assert name == "python" and tag.startswith("3.11.") and tag != "latest", base
    copies = [s["value"] for s in final_stage(dockerfile) if s["instruction"] == "COPY"]
    assert copies and all(value.startswith("--from=build") for value in copies), copies


def test_it_runs_as_a_user_that_is_not_root(dockerfile: DockerfileParser) -> None:
    users = [s["value"] for s in final_stage(dockerfile) if s["instruction"] == "USER"]
    assert users, "the final stage sets no USER: the app would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_its_healthcheck_asks_readyz_with_a_module_the_image_has(
    dockerfile: DockerfileParser,
) -> None:
    (check,) = [s["value"] for s in final_stage(dockerfile) if s["instruction"] == "HEALTHCHECK"]
    words = command_of(check.split("CMD", 1)[1])
    assert words[:3] == ["python", "-m", "app.observability.healthcheck"]
    assert words[3].endswith(":8000/readyz")
    assert (ROOT / "app" / "observability" / "healthcheck.py").exists()


def test_it_serves_the_app_factory_on_the_exposed_port(dockerfile: DockerfileParser) -> None:
    words = command_of(dockerfile.cmd or "")  # type: ignore[arg-type]
    assert words[:3] == ["uvicorn", "app.main:create_app", "--factory"]
    port = words[words.index("--port") + 1]
    exposed = [s["value"] for s in final_stage(dockerfile) if s["instruction"] == "EXPOSE"]
    assert exposed == [port]
    env = dockerfile.envs
    assert env["DISCOUNTS_MODE"] == "production"


def test_what_the_build_copies_exists_and_is_not_ignored(dockerfile: DockerfileParser) -> None:
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }  # fmt: skip
    for step in dockerfile.structure:
        if step["instruction"] == "COPY" and not step["value"].startswith("--from"):
            *sources, _target = step["value"].split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source not in ignored, source


def test_the_build_stage_copies_what_pip_needs_to_build_the_project(
    dockerfile: DockerfileParser,
) -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    copied = {
        source
        for step in dockerfile.structure
        if step["instruction"] == "COPY" and not step["value"].startswith("--from")
        for source in step["value"].split()[:-1]
    }
    assert {"pyproject.toml", "constraints.txt", "app", project["readme"],
            *project["license-files"]} <= copied  # fmt: skip


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_migrates_once_before_the_app_starts(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert "healthcheck" in services["db"]
    migrate, app = services["migrate"], services["app"]
    assert migrate["command"] == ["python", "-m", "app.migrate"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert app["environment"]["DISCOUNTS_MIGRATE_ON_START"] == "false"
    assert migrate["image"] == app["image"]
    assert services["redis"]["profiles"] == ["redis"]  # optional: started only when asked


def test_compose_sets_only_settings_the_app_reads(compose: dict[str, Any]) -> None:
    environment = compose["services"]["app"]["environment"]
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} | {"DATABASE_URL"}
    assert set(environment) - known == set()
    assert environment["DATABASE_URL"].startswith("postgresql://")


@pytest.mark.slow
def test_the_installed_package_carries_migrations_and_graphiql(tmp_path: Path) -> None:
    """The image installs the project (not editable): what the app reads at run time must be
    in the wheel."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = {p.name for p in (ROOT / "app/db/migrations/versions").glob("*.py")}
    assert {f"app/db/migrations/versions/{v}" for v in versions} <= names
    assert {"app/db/migrations/env.py", "app/db/migrations/script.py.mako"} <= names
    assets = {
        str(p.relative_to(ROOT)) for p in (ROOT / "app/http/graphiql_static").rglob("*")
        if p.is_file()
    }  # fmt: skip
    assert assets and assets | {"app/http/graphiql.html"} <= names
