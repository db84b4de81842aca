"""The `samlast` entry points, run as a user runs them."""

from __future__ import annotations

import os
import subprocess

import pytest

from infra.devservers import free_port
from infra.processes import samlast_argv


def _samlast(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        samlast_argv(*args), env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_migrate_is_idempotent(settings_env: dict[str, str]) -> None:
    first = _samlast("migrate", env=settings_env)
    second = _samlast("migrate", env=settings_env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "database schema is up to date"


@pytest.mark.parametrize("command", ["api", "worker", "migrate"])
def test_unreachable_postgres_is_named_on_start(command: str, settings_env: dict[str, str]) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/samlast"
    result = _samlast(command, env={**settings_env, "DATABASE_URL": dead})
    assert result.returncode == 2
    assert f"cannot reach PostgreSQL at {dead}" in result.stderr


# The API starts and serves without Redis (issue 16, tests/reliability/security/test_limits.py);
# the matcher, which takes its jobs from Redis, refuses to start.
@pytest.mark.parametrize("command", ["worker"])
def test_unreachable_redis_is_named_on_start(command: str, settings_env: dict[str, str]) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    result = _samlast(command, env={**settings_env, "REDIS_URL": dead})
    assert result.returncode == 2
    assert f"cannot reach Redis at {dead}" in result.stderr


def test_bad_setting_is_named_on_start(settings_env: dict[str, str]) -> None:
    result = _samlast("api", env={**settings_env, "SAMLAST_API_PORT": "eighty"})
    assert result.returncode == 2
    assert "SAMLAST_API_PORT" in result.stderr


def test_password_never_printed(settings_env: dict[str, str]) -> None:
    dead = f"postgresql://app:hunter2@127.0.0.1:{free_port()}/samlast"
    result = _samlast("migrate", env={**os.environ, **settings_env, "DATABASE_URL": dead})
    assert result.returncode == 2
    assert "hunter2" not in result.stderr + result.stdout
