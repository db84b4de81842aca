"""Schemathesis against the running API, as each role: the OpenAPI document tells the truth.

All checks but ``positive_data_acceptance``: some rules span fields (opening hours in
order, a real IANA time zone, dates in order) and cannot be written in JSON Schema,
so a schema-valid body may rightly be refused with 400. Every other check must pass:
no server error, every status code and body as documented, nothing invalid accepted,
auth never ignored. One worker: CPython 3.11 before 3.11.8 can raise ``SystemError``
when ``ast`` runs in several threads (gh-106905), which Hypothesis does here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest

from infra.processes import api_and_workers
from tests.support.figures import Figures
from tests.support.http import Client
from tests.support.world import World, build_world

MAX_EXAMPLES = int(os.environ.get("SAMLAST_SOAK_EXAMPLES", "25"))  # `make soak`: more
SEED = 20261128
TALLY: dict[str, str] = {}  # role: what Schemathesis sent, for the figures


@pytest.fixture(scope="module")
def api_url(
    settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    env = {**settings_env, "SAMLAST_RATE_LIMIT_PER_MINUTE": "1000000"}
    # a real matcher too: runs that Schemathesis starts finish, and their streams end
    with api_and_workers(env, tmp_path_factory.mktemp("schemathesis")) as url:
        yield url


@pytest.fixture
async def world(api_url: str, admin_token: str) -> World:
    """A fresh network per role: one role's run may revoke tokens another role uses."""
    async with httpx.AsyncClient(base_url=api_url) as http:
        return await build_world(cast(Client, http), admin_token)


@pytest.mark.slow
# about two minutes a role on 2 quiet cores; the run itself is bounded at 600 s below
@pytest.mark.timeout(600)
@pytest.mark.parametrize("role", ["admin", "coordinator", "producer", "coop"])
def test_schema_holds_for(
    role: str, api_url: str, world: World, tmp_path: Path, figures: Figures
) -> None:
    token = {
        "admin": world.admin,
        "coordinator": world.coordinator,
        "producer": world.producer,
        "coop": world.coop,
    }[role]
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        f"{api_url}/schema/openapi.json",
        "--mode",
        "all",  # valid data and invalid: each operation also gets what it must refuse
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--no-color",
        "--warnings",
        "off",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path
    )
    summary = result.stdout[result.stdout.find("SUMMARY") :]
    assert result.returncode == 0, result.stdout[-6000:]
    assert "passed" in summary, summary
    (tmp_path / "summary.txt").write_text(summary)
    TALLY[role] = summary
    figures.record(
        "test_schemathesis.py",
        "; ".join(f"{who}: {_cases(text)}" for who, text in sorted(TALLY.items()))
        + "; server errors, accepted invalid inputs, ignored auth: 0",
    )


def _cases(summary: str) -> str:
    """What Schemathesis says it sent, from its summary: 'N generated, N passed'."""
    tested = re.search(r"Tested:\s*(\d+)", summary)
    cases = re.search(r"Test cases:\s*([^\n]*)", summary)
    operations = f"{tested.group(1)} operations, " if tested else ""
    return operations + (cases.group(1).strip() if cases else "see its summary")
