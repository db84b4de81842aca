"""A stage planned with other processes beside it gives the very plans it gives alone:
each part searches by its own iterations wherever it runs (issue 18: "searching in
several processes must give the same plan whatever the number of cores")."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import msgspec
import pytest

from services.matcher.engine.routing.plans import plan_routing
from services.matcher.engine.routing.travel import great_circle, places_with_hub
from tests.support.routing import van
from tests.unit.routing.test_same_plan_whatever_the_ids import BUDGET, HUB, network


class Counted(ProcessPoolExecutor):
    """A pool that counts what it was given to do."""

    submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_pool_of_any_size_gives_the_same_plans(processes: int) -> None:
    problem = network()
    rows = places_with_hub(problem, HUB)
    matrix = great_circle(rows, road_factor=1.3, speed_kmh=60)

    def planned(pool: Counted | None) -> bytes:
        routing = plan_routing(
            problem, matrix, rows=rows, hub=HUB, own_van=van(0), budget=BUDGET, pool=pool
        )
        assert not routing.clock_capped  # by work: the clock never decided anything
        assert routing.hub is not None  # the plan via the hub searched beside the joint one
        return msgspec.json.encode(routing)

    alone = planned(None)
    spawn = multiprocessing.get_context("spawn")
    with Counted(max_workers=processes, mp_context=spawn) as pool:
        assert planned(pool) == alone
    producers = len({s.producer_id for s in problem.shipments})
    assert pool.submitted == 1 + producers  # the plan via the hub, each producer alone
