"""Keeps the server's RouterConfig in step with the database, without a restart.

All SQLite work runs on one dedicated thread (never on the event loop). Every POLL_SECONDS the thread
reads `PRAGMA data_version` (which moves when any other connection commits: the CLI, another process,
raw SQL) and the file's inode (which moves when a restore swaps the file); on a change the config is
reloaded and swapped in as one immutable object, so a request sees either the old or the new config.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ninerouter.aio import spawn
from ninerouter.home import Home
from ninerouter.routing.config import RouterConfig
from ninerouter.store import Store
from ninerouter.store.kv import MODEL_ALIASES

log = logging.getLogger("ninerouter.config")

POLL_SECONDS = 0.25
T = TypeVar("T")


class LiveConfig:
    def __init__(self, home: Home, extra_keys: tuple[str, ...] = ()) -> None:
        self.home = home
        self.extra_keys = extra_keys
        self.current = RouterConfig()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="ninerouter-db")
        self._store: Store | None = None
        self._version: tuple[int, int] = (-1, -1)
        self._task: asyncio.Task[None] | None = None
        self.reloads = 0
        self.listeners: list[Callable[[RouterConfig], None]] = []

    def _swap(self, fresh: RouterConfig) -> None:
        self.current = fresh
        for listener in self.listeners:
            listener(fresh)

    async def run_db(self, fn: Callable[[Store], T]) -> T:
        """Run fn(store) on the database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[Store], T]) -> T:
        if self._store is None:
            self._store = Store(self.home.db_path)
        return fn(self._store)

    async def start(self) -> None:
        self._swap(await self.run_db(self._load))
        self._task = spawn(self._poll(), name="config-reload")

    async def reload_now(self) -> None:
        self._swap(await self.run_db(self._load))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close_store)
        self._executor.shutdown(wait=True)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _stamp(self, store: Store) -> tuple[int, int]:
        try:
            inode = os.stat(self.home.db_path).st_ino
        except OSError:
            inode = -1
        return inode, store.data_version()

    def _load(self, store: Store) -> RouterConfig:
        self._version = self._stamp(store)
        self.reloads += 1
        return RouterConfig.build(
            connections=store.connections.all(),
            nodes=store.nodes.all(),
            keys=store.keys.all(),
            combos=store.combos.all(),
            settings=store.settings.get(),
            extra_keys=self.extra_keys,
            aliases=store.kv.scope(MODEL_ALIASES),
            proxy_pools=store.proxy_pools.all(),
        )

    def _reload_if_changed(self, store: Store) -> RouterConfig | None:
        stamp = self._stamp(store)
        if stamp == self._version:
            return None
        if stamp[0] != self._version[0]:
            # The file was replaced (restore): reopen it.
            self._close_store()
            store = Store(self.home.db_path)
            self._store = store
        return self._load(store)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                fresh = await self.run_db(self._reload_if_changed)
            except Exception as exc:  # keep serving the last good config
                log.error("config reload failed, keeping the previous config: %s", exc)
                continue
            if fresh is not None:
                self._swap(fresh)
