"""Per-tenant indexes in memory, rebuilt in the background and swapped in atomically."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from maltastic.campaigns.tenant_index import TenantIndex

logger = logging.getLogger(__name__)

IndexLoader = Callable[[int], TenantIndex]


class TenantIndexRegistry:
    """Hands out the current `TenantIndex` of each tenant.

    The first request of a tenant builds its index and waits for it. After that,
    `invalidate` rebuilds in a worker thread while requests keep using the old index;
    the new one replaces it with a single dict assignment, so a request sees either the
    old or the new index, never a mix. Invalidations that arrive during a rebuild cause
    one more rebuild afterwards.
    """

    def __init__(self, loader: IndexLoader) -> None:
        self._loader = loader
        self._indexes: dict[int, TenantIndex] = {}
        self._build_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._rebuilding: set[int] = set()
        self._pending: set[int] = set()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenant-index")

    def peek(self, tenant_id: int) -> TenantIndex | None:
        """Return the current index without building one (safe on the event loop)."""
        return self._indexes.get(tenant_id)

    def get(self, tenant_id: int) -> TenantIndex:
        index = self._indexes.get(tenant_id)
        if index is not None:
            return index
        with self._build_lock:
            index = self._indexes.get(tenant_id)
            if index is None:
                index = self._loader(tenant_id)
                self._indexes[tenant_id] = index
            return index

    def rebuild_now(self, tenant_id: int) -> TenantIndex:
        with self._build_lock:
            index = self._loader(tenant_id)
            self._indexes[tenant_id] = index
            return index

    def invalidate_all(self) -> None:
        """Rebuild every loaded index in the background, as `invalidate` does for one."""
        for tenant_id in list(self._indexes):
            self.invalidate(tenant_id)

    def invalidate(self, tenant_id: int) -> None:
        if tenant_id not in self._indexes:
            return  # never used here: the first request builds a fresh one
        with self._state_lock:
            if tenant_id in self._rebuilding:
                self._pending.add(tenant_id)
                return
            self._rebuilding.add(tenant_id)
        self._executor.submit(self._rebuild_until_current, tenant_id)

    def _rebuild_until_current(self, tenant_id: int) -> None:
        while True:
            try:
                self.rebuild_now(tenant_id)
            except Exception:
                logger.exception(
                    "tenant id=%s index rebuild failed; the old index stays", tenant_id
                )
            with self._state_lock:
                if tenant_id not in self._pending:
                    self._rebuilding.discard(tenant_id)
                    return
                self._pending.discard(tenant_id)

    def wait_for_rebuilds(self, timeout: float = 30.0) -> None:
        """Block until every rebuild submitted so far has finished (tests, shutdown)."""
        self._executor.submit(lambda: None).result(timeout=timeout)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
