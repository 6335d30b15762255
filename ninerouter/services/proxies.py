"""Egress proxies: bulk import of proxies.txt into 9Router's proxyPools, tests, assignment to accounts,
sticky-session rotation and the global proxy.

An import parses every line first, dedupes against the file and the database on the normalised
(scheme, host, port, user), takes a backup, then writes every new row (and every changed password) in
one transaction: a killed import leaves none or all of its rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ninerouter.errors import Conflict, NotFound, UserError
from ninerouter.home import Home
from ninerouter.importers.proxies_txt import (
    SCHEMES,
    NotAProxyList,
    ParseResult,
    ProxyLine,
    Reject,
    decode_lines,
    parse_lines,
    parse_proxy,
)
from ninerouter.models import Connection, public_settings
from ninerouter.redact import mask_url
from ninerouter.services.providers import resolve_connection
from ninerouter.store import Store
from ninerouter.store.backup import backup_into
from ninerouter.store.proxy_pools import (
    ProbeRecord,
    ProxyPool,
    ProxyPools,
    new_pool_row,
    written_by_9router,
)
from ninerouter.store.rows import dump_json, load_json, now_iso
from ninerouter.upstream.egress import ProbeResult, probe_proxy, rotation_of, session_token

Progress = Callable[[str, int, int], None]  # (phase, done, total)

DEFAULT_TEST_URL = "https://www.gstatic.com/generate_204"
RESTART_HINT = (
    "this is a 9Router data directory: 9Router reads its database only when it starts. "
    "Restart it to apply the change: 'systemctl restart 9router' (service) or stop it and run "
    "'9router' again. A running ninerouter applies it within a second."
)


def pools_of(store: Store) -> ProxyPools:
    return ProxyPools(store.db)


def is_9router_home(home: Home) -> bool:
    """Call before opening the store (opening adds our migrations table)."""
    return written_by_9router(home.db_path)


# --- import ---------------------------------------------------------------------------------


def read_source(source: str, stdin: BinaryIO) -> bytes:
    if source == "-":
        return stdin.read()
    path = Path(source).expanduser()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"no such file: {source}") from None
    except IsADirectoryError:
        raise UserError(f"{source} is a directory, not a proxy list") from None
    except OSError as exc:
        raise UserError(f"cannot read {source}: {exc.strerror or exc}") from None


def parse_source(data: bytes, default_scheme: str = "http") -> ParseResult:
    if default_scheme not in SCHEMES:
        raise UserError(f"--type must be one of {', '.join(SCHEMES)}, not '{default_scheme}'.")
    try:
        lines = decode_lines(data)
    except NotAProxyList as exc:
        raise UserError(str(exc)) from None
    return parse_lines(lines, default_scheme)


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    lines: int = 0
    imported: list[tuple[int, str, str]] = field(default_factory=list)  # line, pool id, masked URL
    updated: list[tuple[int, str]] = field(default_factory=list)  # line, pool id
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # line, "line N" | "pool ID"
    rejected: list[Reject] = field(default_factory=list)
    backup: Path | None = None
    aborted: bool = False  # --strict with rejects: nothing written

    @property
    def new_ids(self) -> list[str]:
        return [pool_id for _, pool_id, _ in self.imported]

    def summary(self) -> str:
        verb = "would import" if self.dry_run or self.aborted else "imported"
        return (
            f"{verb} {len(self.imported)}, updated {len(self.updated)}, "
            f"duplicates {len(self.duplicates)}, invalid {len(self.rejected)}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dryRun": self.dry_run,
            "aborted": self.aborted,
            "lines": self.lines,
            "imported": len(self.imported),
            "updated": len(self.updated),
            "duplicates": len(self.duplicates),
            "invalid": len(self.rejected),
            "backup": str(self.backup) if self.backup else None,
            "pools": [{"line": n, "id": i or None, "proxyUrl": u} for n, i, u in self.imported],
            "updatedPools": [{"line": n, "id": i} for n, i in self.updated],
            "duplicateLines": [{"line": n, "of": of} for n, of in self.duplicates],
            "rejects": [{"line": r.line, "reason": r.reason} for r in self.rejected],
        }


@dataclass
class _Plan:
    new: list[ProxyLine] = field(default_factory=list)
    changed: list[tuple[ProxyLine, str]] = field(default_factory=list)  # proxy, pool id
    known: list[tuple[ProxyLine, str]] = field(default_factory=list)


def _plan(existing: Iterable[ProxyPool], accepted: Iterable[ProxyLine]) -> _Plan:
    stored: dict[tuple[str, str, int, str | None], tuple[ProxyPool, ProxyLine]] = {}
    for pool in existing:
        try:
            parsed = parse_proxy(pool.proxy_url)
        except ValueError:
            continue
        stored.setdefault(parsed.key, (pool, parsed))
    plan = _Plan()
    for proxy in accepted:
        match = stored.get(proxy.key)
        if match is None:
            plan.new.append(proxy)
        elif match[1].password == proxy.password:
            plan.known.append((proxy, match[0].id))
        else:
            plan.changed.append((proxy, match[0].id))
    return plan


def import_proxies(
    store: Store,
    home: Home,
    parsed: ParseResult,
    *,
    source: str,
    dry_run: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    report = ImportReport(source, dry_run, lines=parsed.lines, rejected=list(parsed.rejected))
    report.duplicates = [(d.line, f"line {d.of_line}") for d in parsed.duplicates]
    pools = pools_of(store)
    plan = _plan(pools.all(), parsed.accepted)
    report.aborted = strict and bool(parsed.rejected)
    if dry_run or report.aborted or not (plan.new or plan.changed):
        _fill(report, plan, ["" for _ in plan.new])
        return report
    report.backup = backup_into(store.path, home.backups_dir, label="pre-proxy-import").path
    with store.write():
        plan = _plan(pools.all(), parsed.accepted)  # again, under the write lock
        ids: list[str] = []
        pools.insert_rows(_rows(plan.new, ids, progress))
        pools.set_urls((pool_id, proxy.url) for proxy, pool_id in plan.changed)
    _fill(report, plan, ids)
    return report


def _rows(
    proxies: Sequence[ProxyLine], ids: list[str], progress: Progress | None
) -> Iterator[dict[str, Any]]:
    now = now_iso()
    total = len(proxies)
    for done, proxy in enumerate(proxies, start=1):
        row = new_pool_row(proxy.hostport, proxy.url, now)
        ids.append(row["id"])
        yield row
        if progress is not None and (done % 250 == 0 or done == total):
            progress("write", done, total)


def _fill(report: ImportReport, plan: _Plan, ids: Sequence[str]) -> None:
    report.imported = [(p.line, i, p.masked) for p, i in zip(plan.new, ids, strict=True)]
    report.updated = [(p.line, pool_id) for p, pool_id in plan.changed]
    report.duplicates += [(p.line, f"pool {pool_id}") for p, pool_id in plan.known]
    report.duplicates.sort()


# --- tests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeOutcome:
    pool: ProxyPool
    result: ProbeResult

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.pool.id,
            "name": self.pool.name,
            "proxyUrl": mask_url(self.pool.proxy_url),
            "testStatus": "active" if self.result.ok else "error",
            "status": self.result.status,
            "latencyMs": self.result.latency_ms,
            "error": self.result.error,
        }


def probe_pools(
    store: Store,
    pools: Sequence[ProxyPool],
    *,
    url: str = DEFAULT_TEST_URL,
    timeout: float = 8.0,
    concurrency: int = 20,
    progress: Progress | None = None,
) -> list[ProbeOutcome]:
    """Test each proxy (at most `concurrency` at once) and record testStatus, lastTestedAt,
    latencyMs and lastError. A failure marks the pool 'error'; isActive is left as it is."""
    if concurrency < 1:
        raise UserError("--concurrency must be 1 or more.")
    if timeout <= 0:
        raise UserError("--timeout must be more than 0 seconds.")
    if not url.startswith(("http://", "https://")):
        raise UserError(f"--url must be an http(s) URL, not '{url}'.")
    testable = [p for p in pools if not p.is_relay]
    outcomes = asyncio.run(_probe_all(testable, url, timeout, concurrency, progress))
    now = now_iso()
    with store.write():
        pools_of(store).record_tests(
            ProbeRecord(
                o.pool.id,
                "active" if o.result.ok else "error",
                now,
                o.result.latency_ms if o.result.ok else None,
                None if o.result.ok else (o.result.error or "failed")[:200],
            )
            for o in outcomes
        )
    return outcomes


async def _probe_all(
    pools: Sequence[ProxyPool],
    url: str,
    wait: float,
    concurrency: int,
    progress: Progress | None,
) -> list[ProbeOutcome]:
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(pool: ProxyPool) -> ProbeOutcome:
        nonlocal done
        async with gate:
            result = await probe_proxy(pool.proxy_url, url, wait)
        done += 1
        if progress is not None:
            progress("test", done, len(pools))
        return ProbeOutcome(pool, result)

    return list(await asyncio.gather(*(one(p) for p in pools)))


# --- pools, accounts, global ---------------------------------------------------------------


def resolve_pool(store: Store, ref: str) -> ProxyPool:
    matches = pools_of(store).find(ref)
    if not matches:
        raise NotFound(
            f"no proxy pool with id, id prefix or name '{ref}'. See 'ninerouter proxy list'."
        )
    if len(matches) > 1:
        raise UserError(
            f"'{ref}' matches {len(matches)} proxy pools; use its id from 'ninerouter proxy list'."
        )
    return matches[0]


def list_pools(store: Store, status: str | None = None) -> list[tuple[ProxyPool, int]]:
    if status not in (None, "unknown", "active", "error"):
        raise UserError(f"--status must be unknown, active or error, not '{status}'.")
    pools = pools_of(store)
    used = pools.usage_counts()
    return [(p, used.get(p.id, 0)) for p in pools.all() if status in (None, p.test_status)]


def pool_details(store: Store, ref: str) -> dict[str, Any]:
    pool = resolve_pool(store, ref)
    conns = pools_of(store).bound_connections(pool.id)
    strategies = store.settings.get().get("providerStrategies")
    providers = [
        name
        for name, strategy in (strategies.items() if isinstance(strategies, Mapping) else [])
        if isinstance(strategy, Mapping) and strategy.get("proxyPoolId") == pool.id
    ]
    return {
        **pool.public(),
        "connections": [{"id": c.id, "name": c.name, "provider": c.provider} for c in conns],
        "providers": providers,
    }


def pool_by_id(store: Store, pool_id: str) -> ProxyPool:
    pool = pools_of(store).get(pool_id)
    if pool is None:
        raise NotFound(f"no proxy pool with id '{pool_id}'.")
    return pool


def proxy_url(value: str) -> str:
    """A proxy URL in its normal form, or a UserError saying what is wrong with it."""
    try:
        return parse_proxy(value.strip()).url
    except ValueError as exc:
        raise UserError(f"proxyUrl is not a proxy URL: {exc}.") from None


def create_pool(store: Store, fields: Mapping[str, Any], active: bool | None = None) -> ProxyPool:
    """One pool from validated fields (name and proxyUrl required), as 9Router stores it."""
    if "name" not in fields or "proxyUrl" not in fields:
        raise UserError("name and proxyUrl are required.")
    row = new_pool_row(fields["name"], fields["proxyUrl"])
    row["data"] = dump_json({**load_json(row["data"], {}), **fields})
    row["isActive"] = 0 if active is False else 1
    with store.write():
        pools_of(store).insert_rows([row])
    return pool_by_id(store, row["id"])


def update_pool(
    store: Store, pool_id: str, fields: Mapping[str, Any], active: bool | None = None
) -> ProxyPool:
    with store.write():
        pool_by_id(store, pool_id)
        pools_of(store).update(pool_id, fields, active)
        return pool_by_id(store, pool_id)


def delete_pool(store: Store, pool_id: str) -> ProxyPool:
    """Delete one pool; refused (Conflict) while accounts use it."""
    removed, _ = remove_pools(store, [pool_by_id(store, pool_id).id])
    return removed[0]


def remove_pools(
    store: Store, refs: Sequence[str], *, force: bool = False
) -> tuple[list[ProxyPool], list[Connection]]:
    """Delete pools. A pool that accounts use is refused (as the admin API answers 409) unless
    `force`: then those accounts are deactivated and unbound, so they never go direct silently."""
    with store.write():
        targets = {p.id: p for p in (resolve_pool(store, ref) for ref in refs)}
        pools = pools_of(store)
        bound = [c for pool_id in targets for c in pools.bound_connections(pool_id)]
        if bound and not force:
            names = ", ".join(c.name for c in bound[:5])
            raise Conflict(
                f"{len(bound)} account(s) use these pools ({names}). Unbind them first "
                "('ninerouter proxy assign ACCOUNT --clear' or PUT /api/providers/:id "
                '{"proxyPoolId": null}), or remove with --force to deactivate and unbind them.'
            )
        for conn in bound:
            store.connections.update(
                conn.id,
                columns={"isActive": 0},
                data={"providerSpecificData": {"proxyPoolId": None}},
            )
        pools.delete(targets)
    return list(targets.values()), bound


def assign_pool(store: Store, conn_ref: str, pool_ref: str | None) -> Connection:
    """Bind an account to a pool (its proxyPoolId), or unbind it with pool_ref None."""
    with store.write():
        conn = resolve_connection(store, conn_ref)
        pool_id = resolve_pool(store, pool_ref).id if pool_ref is not None else None
        return store.connections.update(
            conn.id, data={"providerSpecificData": {"proxyPoolId": pool_id}}
        )


def rotate_session(store: Store, conn_ref: str) -> tuple[Connection, int, str]:
    """A new sticky session (the `{session}` in the proxy user name) for this account."""
    with store.write():
        conn = resolve_connection(store, conn_ref)
        rotation = rotation_of(conn) + 1
        store.connections.patch_data({conn.id: {"proxySessionRotation": rotation}})
    return conn, rotation, session_token(conn.id, rotation)


def normalise_proxy(store: Store, value: str) -> str:
    """A proxy URL in any accepted form, or the id or name of a pool."""
    try:
        return parse_proxy(value.strip()).url
    except ValueError as exc:
        matches = pools_of(store).find(value.strip())
        if len(matches) == 1:
            return matches[0].proxy_url
        raise UserError(f"'{mask_url(value)}' is neither a proxy URL ({exc}) nor a pool.") from None


def set_global(store: Store, value: str, no_proxy: str = "") -> dict[str, Any]:
    url = normalise_proxy(store, value)
    with store.write():
        settings = store.settings.patch(
            {"outboundProxyEnabled": True, "outboundProxyUrl": url, "outboundNoProxy": no_proxy}
        )
    return _global_view(settings)


def clear_global(store: Store) -> dict[str, Any]:
    with store.write():
        settings = store.settings.patch(
            {"outboundProxyEnabled": False, "outboundProxyUrl": "", "outboundNoProxy": ""}
        )
    return _global_view(settings)


def _global_view(settings: Mapping[str, Any]) -> dict[str, Any]:
    public = public_settings(settings)
    return {
        k: public.get(k) for k in ("outboundProxyEnabled", "outboundProxyUrl", "outboundNoProxy")
    }
