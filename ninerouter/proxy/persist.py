"""Writing routing state and usage back to the DB in batches, off the event loop.

Every FLUSH_SECONDS (and once at shutdown) the health and rotation patches collected in memory are
merged into each connection's JSON `data` (9Router's field names) and the queued usage rows are
inserted, each batch in one transaction on the DB thread. Nothing here runs per request.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

from ninerouter.errors import StoreError
from ninerouter.proxy.runtime import Runtime
from ninerouter.store import Store
from ninerouter.store.rows import now_iso

log = logging.getLogger("ninerouter.persist")

FLUSH_SECONDS = 1.0


async def flush(runtime: Runtime) -> None:
    patches: dict[str, dict[str, Any]] = {}
    for source in (runtime.health.take_patches(), runtime.routing.rotation_patches(now_iso())):
        for conn_id, patch in source.items():
            patches.setdefault(conn_id, {}).update(patch)
    usage, runtime.pending_usage = runtime.pending_usage, []
    if not patches and not usage:
        return

    def write(store: Store) -> None:
        if patches:
            with store.write():
                store.connections.patch_data(patches)
        if usage:
            store.usage.add_many(usage)

    try:
        await runtime.config.run_db(write)
    except (sqlite3.Error, StoreError) as exc:  # busy or read-only DB: keep serving, retry later
        log.error(
            "could not persist routing state (%d connections, %d usage rows), will retry: %s",
            len(patches),
            len(usage),
            exc,
        )
        runtime.health.requeue(patches)
        runtime.pending_usage[:0] = usage
    except ValueError as exc:  # a record the store refuses would block every later batch
        log.error("dropped %d usage rows the store refused: %s", len(usage), exc)


async def run_persister(runtime: Runtime) -> None:
    try:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await flush(runtime)
    finally:
        await asyncio.shield(flush(runtime))
