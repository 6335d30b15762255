"""`db check` and `doctor`: find what is wrong, and say how to fix each thing.

`check_database(path)` = the structural checks of store.verify, then domain checks on what the router
would load: combos that name unknown models or providers without an account, connections without
credentials or with an unknown provider, proxy pools that are referenced but missing, duplicate
proxies, expired OAuth tokens that cannot be refreshed. Nothing here writes to the database.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ninerouter.home import DEFAULT_PORT, Home
from ninerouter.models import Connection
from ninerouter.redact import mask_url
from ninerouter.routing.config import RouterConfig
from ninerouter.routing.resolve import UnknownModel, resolve, target_for_provider
from ninerouter.services.backup import check_candidate
from ninerouter.store.verify import Problem, Snapshot, read_snapshot

STRUCTURAL = {
    "not-sqlite",
    "unreadable",
    "truncated",
    "integrity",
    "missing-table",
    "missing-column",
    "newer-schema",
}


def check_database(path: Path, now: datetime | None = None) -> list[Problem]:
    if not path.exists():
        return [
            Problem(
                "missing",
                f"no database at {path}",
                "Start the server once (ninerouter serve) or restore a backup.",
            )
        ]
    problems = check_candidate(path)
    if any(p.code in STRUCTURAL for p in problems):
        return problems
    return problems + domain_problems(read_snapshot(path), now)


def domain_problems(snap: Snapshot, now: datetime | None = None) -> list[Problem]:
    config = RouterConfig.build(
        connections=snap.connections,
        nodes=snap.nodes,
        keys=(),
        combos=snap.combos,
        settings=snap.settings,
    )
    return [
        *_combo_problems(config),
        *_connection_problems(snap, config),
        *expired_tokens(snap, now),
        *_pool_reference_problems(snap),
        *_duplicate_proxies(snap),
    ]


def _combo_problems(config: RouterConfig) -> list[Problem]:
    problems: list[Problem] = []
    for combo in config.combos:
        for model in combo.models:
            if model in config.combos_by_name:
                continue
            fix = f"ninerouter combo edit {combo.name} --remove {model}"
            try:
                target = resolve(model, config)
            except UnknownModel as exc:
                problems.append(
                    Problem("combo-unknown-model", f"combo '{combo.name}': {exc.message}", fix)
                )
                continue
            if not config.active_connections(target.provider):
                problems.append(
                    Problem(
                        "combo-no-connection",
                        f"combo '{combo.name}': model '{model}' goes to {target.provider}, "
                        "which has no active connection",
                        f"Add an account (ninerouter provider add {target.provider} ...) or {fix}",
                    )
                )
    return problems


def _connection_problems(snap: Snapshot, config: RouterConfig) -> list[Problem]:
    problems: list[Problem] = []
    for conn in snap.connections:
        label = f"connection '{conn.name}' ({conn.provider}, id {conn.id})"
        if target_for_provider(conn.provider, config) is None:
            problems.append(
                Problem(
                    "connection-unknown-provider",
                    f"{label} belongs to an unknown provider",
                    f"Remove it (ninerouter provider remove {conn.id}) or add its custom node.",
                )
            )
        if conn.is_active and not _has_credentials(conn):
            problems.append(
                Problem(
                    "connection-no-credentials",
                    f"{label} has no API key or token",
                    f"ninerouter provider edit {conn.id} --api-key KEY",
                )
            )
    return problems


def _has_credentials(conn: Connection) -> bool:
    return any(
        isinstance(conn.data.get(k), str) and conn.data.get(k)
        for k in ("apiKey", "accessToken", "refreshToken")
    )


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 string or epoch seconds/milliseconds, as 9Router stores expiresAt."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def expired_tokens(snap: Snapshot, now: datetime | None = None) -> list[Problem]:
    moment = now or datetime.now(UTC)
    problems: list[Problem] = []
    for conn in snap.connections:
        expires = parse_time(conn.data.get("expiresAt"))
        if not conn.is_active or expires is None or expires > moment:
            continue
        if conn.data.get("refreshToken"):
            continue
        problems.append(
            Problem(
                "token-expired",
                f"connection '{conn.name}' ({conn.provider}): its token expired at "
                f"{expires.isoformat()} and there is no refresh token",
                "Log in again for this account, or remove it (ninerouter provider remove ID).",
            )
        )
    return problems


def _pool_reference_problems(snap: Snapshot) -> list[Problem]:
    pools = {p.id for p in snap.proxy_pools}
    problems: list[Problem] = []
    refs: list[tuple[str, Any]] = [
        (f"connection '{c.name}' ({c.provider})", c.specific.get("proxyPoolId"))
        for c in snap.connections
    ]
    strategies = snap.settings.get("providerStrategies")
    if isinstance(strategies, Mapping):
        refs += [
            (f"settings providerStrategies.{name}", s.get("proxyPoolId"))
            for name, s in strategies.items()
            if isinstance(s, Mapping)
        ]
    for owner, pool_id in refs:
        if pool_id and str(pool_id) not in pools:
            problems.append(
                Problem(
                    "proxy-pool-missing",
                    f"{owner} uses proxy pool {pool_id}, which does not exist",
                    "Import the proxy again (ninerouter proxy import) or clear proxyPoolId.",
                )
            )
    return problems


def _duplicate_proxies(snap: Snapshot) -> list[Problem]:
    seen: dict[str, list[str]] = {}
    for pool in snap.proxy_pools:
        url = pool.proxy_url.strip()
        if url:
            seen.setdefault(url, []).append(pool.name or pool.id)
    return [
        Problem(
            "proxy-duplicate",
            f"proxy {mask_url(url)} is listed {len(names)} times ({', '.join(names)})",
            f"Keep one: ninerouter proxy remove {names[-1]}",
        )
        for url, names in seen.items()
        if len(names) > 1
    ]


def proxies_in_error(snap: Snapshot) -> list[str]:
    return [p.name or p.id for p in snap.proxy_pools if p.test_status == "error"]


# ---------------------------------------------------------------------------------------- doctor


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok" | "warn" | "fail"
    message: str
    fix: str = ""

    def public(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "message": self.message, "fix": self.fix}


@dataclass(frozen=True)
class ServerProbe:
    """How doctor looks at the server; the CLI passes the real functions, tests pass fakes."""

    pid_info: Mapping[str, Any] | None
    alive: Callable[[int], bool]
    healthy: Callable[[str, int], bool]
    port_owner: Callable[[int], str | None]


def run_doctor(home: Home, server: ServerProbe, now: datetime | None = None) -> list[Check]:
    checks = [_permissions(home)]
    problems = check_database(home.db_path, now) if home.db_path.exists() else []
    structural = [p for p in problems if p.code in STRUCTURAL or p.code == "bad-json"]
    snap = read_snapshot(home.db_path) if home.db_path.exists() and not structural else None
    checks.append(_database(home, structural))
    if snap is not None:
        config = [p for p in problems if p not in structural and p.code != "token-expired"]
        checks.append(_config(config))
    checks.append(_password(snap))
    checks += _server(server)
    checks.append(_tokens(snap, now))
    checks.append(_proxies(snap))
    return checks


def _permissions(home: Home) -> Check:
    if not home.root.exists():
        return Check("permissions", "warn", f"{home.root} does not exist yet", "ninerouter serve")
    loose: list[str] = []
    for directory in (home.root, home.db_dir, home.backups_dir, home.auth_dir, home.run_dir):
        if directory.is_dir() and stat.S_IMODE(directory.stat().st_mode) & 0o077:
            loose.append(f"chmod 700 {directory}")
    for directory in (home.db_dir, home.backups_dir, home.auth_dir):
        if directory.is_dir():
            for path in sorted(directory.iterdir()):
                if path.is_file() and stat.S_IMODE(path.stat().st_mode) & 0o077:
                    loose.append(f"chmod 600 {path}")
    if loose:
        return Check(
            "permissions",
            "fail",
            f"{len(loose)} path(s) readable by others",
            "; ".join(loose[:5]),
        )
    return Check("permissions", "ok", "data dir 0700, files 0600")


def _database(home: Home, problems: list[Problem]) -> Check:
    if not home.db_path.exists():
        return Check("database", "warn", f"no database at {home.db_path} yet", "ninerouter serve")
    if problems:
        return Check(
            "database",
            "fail",
            "; ".join(p.message for p in problems[:3]),
            "ninerouter db check; restore a backup with ninerouter restore FILE",
        )
    return Check("database", "ok", "integrity, schema and JSON columns ok")


def _config(problems: list[Problem]) -> Check:
    if problems:
        return Check(
            "config",
            "fail",
            f"{len(problems)} problem(s): " + "; ".join(p.message for p in problems[:2]),
            "ninerouter db check (lists each with its fix)",
        )
    return Check("config", "ok", "combos, connections and proxy pools are consistent")


def _password(snap: Snapshot | None) -> Check:
    if snap is None:
        return Check("password", "warn", "cannot read settings", "ninerouter db check")
    if not snap.settings.get("password"):
        return Check(
            "password",
            "warn",
            "the default dashboard password is still set",
            "ninerouter password set",
        )
    return Check("password", "ok", "a password is set")


def _server(server: ServerProbe) -> list[Check]:
    info = server.pid_info
    port = int(info.get("port", DEFAULT_PORT)) if info else DEFAULT_PORT
    host = str(info.get("host", "127.0.0.1")) if info else "127.0.0.1"
    if info is not None and server.alive(int(info["pid"])):
        if server.healthy(host, port):
            return [
                Check("server", "ok", f"pid {info['pid']} answers /api/health on {host}:{port}"),
                Check("port", "ok", f"port {port} is ninerouter's (pid {info['pid']})"),
            ]
        first = Check(
            "server",
            "fail",
            f"pid {info['pid']} is running but /api/health does not answer on {host}:{port}",
            "See <home>/logs/server.log; then ninerouter stop && ninerouter serve --daemon",
        )
    elif info is not None:
        first = Check(
            "server", "warn", f"stale pid file (pid {info['pid']} is gone)", "ninerouter stop"
        )
    else:
        first = Check("server", "warn", "ninerouter is not running", "ninerouter serve --daemon")
    owner = server.port_owner(port)
    if owner:
        return [
            first,
            Check(
                "port",
                "fail",
                f"port {port} is in use by {owner}: ninerouter serve would fail",
                f"Stop that process, or serve on another port: ninerouter serve -p {port + 1}",
            ),
        ]
    return [first, Check("port", "ok", f"port {port} is free")]


def _tokens(snap: Snapshot | None, now: datetime | None) -> Check:
    if snap is None:
        return Check("tokens", "warn", "cannot read connections", "ninerouter db check")
    expired = expired_tokens(snap, now)
    if expired:
        return Check("tokens", "fail", "; ".join(p.message for p in expired[:3]), expired[0].fix)
    return Check("tokens", "ok", "no expired OAuth tokens")


def _proxies(snap: Snapshot | None) -> Check:
    if snap is None:
        return Check("proxies", "warn", "cannot read proxy pools", "ninerouter db check")
    failing = proxies_in_error(snap)
    if failing:
        return Check(
            "proxies",
            "warn",
            f"{len(failing)} proxy pool(s) failed their last test: {', '.join(failing[:5])}",
            "ninerouter proxy test, then remove the ones that stay in error",
        )
    return Check("proxies", "ok", f"{len(snap.proxy_pools)} proxy pool(s), none in error")
