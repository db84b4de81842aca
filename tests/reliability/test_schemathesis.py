"""Schemathesis against the running API, as each role: the OpenAPI document tells the truth.

All checks but ``positive_data_acceptance``: some rules span fields (opening hours in
order, a real IANA time zone, dates in order) and cannot be written in JSON Schema,
so a schema-valid body may rightly be refused with 400. Every other check must pass:
no server error, every status code and body as documented, nothing invalid accepted,
auth never ignored. One worker: CPython 3.11 before 3.11.8 can raise ``SystemError``
when ``ast`` runs in several threads (gh-106905), which Hypothesis does here. The
roles that cannot reach out of their own network run as three processes at once.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
import pytest

from infra.processes import api_and_workers
from tests.support.figures import Figures
from tests.support.http import Client
from tests.support.world import build_world

MAX_EXAMPLES = int(os.environ.get("SAMLAST_SOAK_EXAMPLES", "25"))  # `make soak`: more
SEED = 20261128
ROLES = ("admin", "coordinator", "producer", "coop")
# The roles each confined to a network of their own (a fresh world each), which none of
# them can reach out of: their runs go at the same time. One Schemathesis waits on the
# API while the API waits on it, so one run alone keeps one core of two busy (three keep
# one API process busy: it gets two). The admin can reach every network (and may revoke
# tokens), so its run goes alone, before them.
TOGETHER = ("coordinator", "producer", "coop")
# About 45 s a role on 2 quiet cores, the three together 80 s; under load 15 to 20 the
# admin's took 530 s and the three together 617 s. A bound for a hung run, longer as
# `make soak` asks for more cases.
BOUND_S = 1200 * max(1, MAX_EXAMPLES // 25)
TALLY: dict[str, str] = {}  # role: what Schemathesis sent, for the figures


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str


@pytest.fixture(scope="module")
def api_url(
    settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    # two API processes: three runs at once keep one busy (production may run more)
    env = {
        **settings_env,
        "SAMLAST_RATE_LIMIT_PER_MINUTE": "1000000",
        "SAMLAST_API_WORKERS": "2",
    }
    # a real matcher too: runs that Schemathesis starts finish, and their streams end
    with api_and_workers(env, tmp_path_factory.mktemp("schemathesis")) as url:
        yield url


@pytest.fixture(scope="module")
async def schemathesis_of(
    api_url: str,
    admin_token: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Callable[[str, Path], Awaitable[Outcome]]]:
    """``await schemathesis_of(role, directory)``: Schemathesis's run as ``role`` and what
    it printed. The first role of ``TOGETHER`` asked for starts the runs of all of them
    that this session runs, each in a fresh world; the admin's runs alone."""
    selected = {
        role
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.module is request.module
        for role in [_role_of(item)]
        if role is not None
    }
    started: dict[str, asyncio.Task[Outcome]] = {}

    async def run(role: str, directory: Path) -> Outcome:
        async with httpx.AsyncClient(base_url=api_url) as http:
            world = await build_world(cast(Client, http), admin_token)
        token = {
            "admin": world.admin,
            "coordinator": world.coordinator,
            "producer": world.producer,
            "coop": world.coop,
        }[role]
        output = directory / "schemathesis.out"
        with output.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                *_command(api_url, token),
                stdout=sink,
                stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                cwd=directory,
            )
            try:
                returncode = await asyncio.wait_for(process.wait(), BOUND_S)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
        return Outcome(returncode, output.read_text(errors="replace"))

    async def outcome(role: str, directory: Path) -> Outcome:
        if role not in TOGETHER:
            return await run(role, directory)
        if not started:
            for each in TOGETHER:
                if each in selected:
                    own = directory if each == role else tmp_path_factory.mktemp(each)
                    started[each] = asyncio.create_task(run(each, own))
        return await started[role]

    try:
        yield outcome
    finally:
        for task in started.values():
            task.cancel()
        await asyncio.gather(*started.values(), return_exceptions=True)


def _role_of(item: pytest.Function) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("role") if callspec is not None else None


def _command(api_url: str, token: str) -> list[str]:
    return [
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


@pytest.mark.slow
@pytest.mark.timeout(BOUND_S + 120)
@pytest.mark.parametrize("role", ROLES)
async def test_schema_holds_for(
    role: str,
    schemathesis_of: Callable[[str, Path], Awaitable[Outcome]],
    tmp_path: Path,
    figures: Figures,
) -> None:
    result = await schemathesis_of(role, tmp_path)
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
