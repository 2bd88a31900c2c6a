"""The index registry rebuilds loaded indexes in the background when asked."""

from __future__ import annotations

import asyncio
from collections import Counter
from types import SimpleNamespace
from typing import Any, cast

from maltastic.campaigns.registry import TenantIndexRegistry
from maltastic.campaigns.tenant_index import TenantIndex
from maltastic.runtime import Runtime
from maltastic.tracking.workers import refresh_indexes


def counting_registry() -> tuple[TenantIndexRegistry, Counter[int]]:
    builds: Counter[int] = Counter()

    def load(tenant_id: int) -> TenantIndex:
        builds[tenant_id] += 1
        return cast(TenantIndex, object())

    return TenantIndexRegistry(load), builds


def test_invalidate_all_rebuilds_loaded_tenants() -> None:
    registry, builds = counting_registry()
    first = registry.get(1)
    registry.get(2)

    registry.invalidate_all()
    registry.wait_for_rebuilds()

    assert builds == Counter({1: 2, 2: 2})
    assert registry.get(1) is not first
    assert registry.peek(3) is None  # never loaded, so not built either
    registry.close()


def test_refresh_task_rebuilds_until_cancelled() -> None:
    registry, builds = counting_registry()
    registry.get(7)
    runtime = cast(Runtime, SimpleNamespace(indexes=registry))

    async def run_briefly() -> None:
        task: asyncio.Task[Any] = asyncio.create_task(refresh_indexes(runtime, interval=0.01))
        while builds[7] < 3:
            await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(asyncio.wait_for(run_briefly(), timeout=10))
    registry.close()
    assert builds[7] >= 3
