"""No Docker engine runs here, so the compose file is checked by reading it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from services.cli import build_parser
from shared.settings import ENV_VARS

ROOT = Path(__file__).resolve().parents[2]
OUR_SERVICES = {"migrate", "api", "matcher"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_the_stack_has_every_part(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "redis", *OUR_SERVICES}
    for name, service in compose["services"].items():
        if name != "migrate":
            assert "healthcheck" in service, f"{name} has no health check"


@pytest.mark.parametrize("name", sorted(OUR_SERVICES))
def test_command_is_a_real_entry_point(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    command = service["command"]
    assert command[0] == "samlast"
    build_parser().parse_args(command[1:])  # exits (fails the test) on an unknown command
    dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
    assert dockerfile.is_file()


@pytest.mark.parametrize("name", sorted(OUR_SERVICES))
def test_every_env_var_is_a_setting(compose: dict[str, Any], name: str) -> None:
    known = set(ENV_VARS.values())
    unknown = set(compose["services"][name]["environment"]) - known
    assert not unknown, f"{name} sets variables the settings don't read: {unknown}"


def test_matcher_health_check_is_a_real_command(compose: dict[str, Any]) -> None:
    test = compose["services"]["matcher"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert test[1] == "samlast"
    assert build_parser().parse_args(test[2:]).check is True


def test_api_health_check_asks_for_readiness(compose: dict[str, Any]) -> None:
    """Readiness is 503 only without PostgreSQL: a Redis or matcher outage keeps the API up."""
    test = " ".join(compose["services"]["api"]["healthcheck"]["test"])
    assert "/health/ready" in test


def test_dockerfile_installs_the_pinned_set() -> None:
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    assert "-c constraints.txt" in dockerfile
    for package in ("services", "shared", "infra"):
        assert f"COPY {package} ./{package}" in dockerfile
