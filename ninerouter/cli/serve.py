"""`ninerouter serve`, `stop` and `status`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Annotated

import typer

from ninerouter import __version__
from ninerouter.cli._console import JsonOpt, emit, message, print_table, state
from ninerouter.cli.process import (
    healthy,
    is_ninerouter,
    local_url,
    pid_alive,
    read_pid_file,
    wait_until,
)
from ninerouter.errors import ServerError
from ninerouter.home import DEFAULT_PORT, Home

DAEMON_START_TIMEOUT = 20.0


def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("-p", "--port", help="Port to listen on.")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option("-H", "--host", help="Address to bind; 0.0.0.0 accepts other machines.")
    ] = "127.0.0.1",
    log: Annotated[bool, typer.Option("-l", "--log", help="Log each request on stderr.")] = False,
    daemon: Annotated[
        bool, typer.Option("--daemon", help="Run in the background; return once healthy.")
    ] = False,
    no_browser: Annotated[
        bool,
        typer.Option(
            "-n", "--no-browser", help="Accepted for 9Router compatibility (never opens a browser)."
        ),
    ] = False,
    tray: Annotated[
        bool,
        typer.Option(
            "-t", "--tray", help="Accepted for 9Router compatibility (no tray needed to stay up)."
        ),
    ] = False,
    skip_update: Annotated[
        bool,
        typer.Option(
            "--skip-update", help="Accepted for 9Router compatibility (never self-updates)."
        ),
    ] = False,
) -> None:
    """Run the router until SIGINT/SIGTERM (or in the background with --daemon)."""
    home = state(ctx).home.ensure()
    _check_store(home, host)
    if daemon:
        _start_daemon(ctx, home, host, port, log)
        return
    from ninerouter.proxy.server import run
    from ninerouter.services.keys import ensure_initial_key

    key, created = ensure_initial_key(home)
    if created:
        message(f"created the initial API key in {home.initial_key_path} (shown once):")
        print(key, flush=True)

    def ready() -> None:
        url = local_url(host, port)
        message(f"ninerouter {__version__} listening on {url}  (data: {home.root})")
        message(
            f"clients: base URL {url}/v1, API key from {home.initial_key_path} or 'ninerouter keys create'"
        )
        if host in ("0.0.0.0", "::"):
            message(
                "listening on every interface: other machines can reach it; /v1 still needs an API key"
            )

    run(home, host, port, log_requests=log, on_ready=ready)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _check_store(home: Home, host: str) -> None:
    """Open, verify and migrate the DB once before serving, so a corrupt file fails fast and clearly;
    refuse to expose /v1 without API keys beyond this machine."""
    from ninerouter.store import Store

    store = Store(home.db_path, thorough_check=True)
    try:
        open_v1 = store.settings.get().get("requireApiKey") is False
    finally:
        store.close()
    if open_v1 and host not in LOOPBACK:
        raise ServerError(
            f"requireApiKey is false, so /v1 needs no key: refusing to listen on {host}. Listen on "
            "127.0.0.1, or turn keys back on with 'ninerouter settings set requireApiKey true'."
        )
    if open_v1:
        message(
            "warning: requireApiKey is false: any local program can use your accounts through /v1"
        )


def _start_daemon(ctx: typer.Context, home: Home, host: str, port: int, log: bool) -> None:
    info = read_pid_file(home)
    if info and pid_alive(info["pid"]) and is_ninerouter(info["pid"]):
        raise ServerError(
            f"ninerouter is already running (pid {info['pid']}, port {info.get('port')}). "
            "Use 'ninerouter stop' first."
        )
    from ninerouter.proxy.server import bind_socket

    bind_socket(host, port).close()  # a port in use is reported now, not in a log file
    log_path = home.logs_dir / "server.log"
    args = [
        sys.executable,
        "-m",
        "ninerouter",
        "--data-dir",
        str(home.root),
        "serve",
        "-p",
        str(port),
        "-H",
        host,
    ]
    if log:
        args.append("-l")
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        child = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=fd,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        os.close(fd)
    ok = wait_until(
        lambda: child.poll() is not None or healthy(host, port, 0.5), DAEMON_START_TIMEOUT
    )
    if not ok or child.poll() is not None:
        if child.poll() is None:
            child.terminate()
        tail = log_path.read_text(errors="replace").splitlines()[-5:]
        raise ServerError(
            f"the server did not become healthy; last log lines ({log_path}):\n" + "\n".join(tail)
        )
    url = local_url(host, port)

    def human() -> None:
        print(url)
        message(f"ninerouter running in the background (pid {child.pid}); log: {log_path}")

    emit(ctx, False, {"pid": child.pid, "url": url, "log": str(log_path)}, human)


def stop(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Stop the server named in the pid file (never by process name)."""
    home = state(ctx).home
    info = read_pid_file(home)
    if info is None or not pid_alive(info["pid"]) or not is_ninerouter(info["pid"]):
        if info is not None:
            home.pid_path.unlink(missing_ok=True)
        emit(
            ctx,
            json_out,
            {"stopped": False, "running": False},
            lambda: message("ninerouter is not running"),
        )
        return
    pid = info["pid"]
    os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not pid_alive(pid), 15.0):
        raise ServerError(f"pid {pid} did not stop within 15 s; check it, or 'kill -9 {pid}'.")
    home.pid_path.unlink(missing_ok=True)
    emit(
        ctx,
        json_out,
        {"stopped": True, "pid": pid},
        lambda: message(f"stopped ninerouter (pid {pid})"),
    )


def status(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Show pid, port, uptime, version and health. Exit 3 when not running."""
    home = state(ctx).home
    info = read_pid_file(home)
    running = bool(info and pid_alive(info["pid"]) and is_ninerouter(info["pid"]))
    data: dict[str, object] = {"running": running, "dataDir": str(home.root)}
    if info and running:
        host, port = str(info.get("host", "127.0.0.1")), int(info.get("port", DEFAULT_PORT))
        data.update(
            pid=info["pid"],
            host=host,
            port=port,
            url=local_url(host, port),
            version=info.get("version"),
            healthy=healthy(host, port),
            uptimeSeconds=round(time.time() - float(info.get("startedAt", time.time())), 1),
        )
    rows = [(k, v) for k, v in data.items()]
    emit(ctx, json_out, data, lambda: print_table(("", ""), rows, empty=""))
    if not running or not data.get("healthy"):
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("stop")(stop)
    app.command("status")(status)
