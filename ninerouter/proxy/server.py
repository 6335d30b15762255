"""Running the server in the foreground: bind, write the pid file, serve until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from ninerouter import __version__
from ninerouter.errors import ServerError
from ninerouter.home import Home, write_private
from ninerouter.proxy.app import create_app


def port_owner(port: int) -> str | None:
    """'pid 1234 (python3)' for the process listening on a TCP port, when /proc tells."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if (
                    len(fields) > 9
                    and fields[3] == "0A"
                    and int(fields[1].rsplit(":", 1)[1], 16) == port
                ):
                    inodes.add(fields[9])
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    name = (proc / "comm").read_text().strip()
                    return f"pid {proc.name} ({name})"
    return None


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            owner = port_owner(port)
            by = f" by {owner}" if owner else ""
            raise ServerError(
                f"port {port} is already in use{by}. Stop that process ('ninerouter stop' if it is "
                f"ninerouter) or pick another port with -p."
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ServerError(
                f"cannot listen on {host}: no such local address. Use -H 127.0.0.1 or 0.0.0.0."
            ) from None
        if exc.errno == errno.EACCES:
            raise ServerError(
                f"no permission to listen on port {port}; use a port above 1023."
            ) from None
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


def _install_loop() -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _serve(app: web.Application, sock: socket.socket, on_ready: Callable[[], None]) -> None:
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await web.SockSite(runner, sock).start()
        on_ready()
        await stop.wait()
    finally:
        await runner.cleanup()


def run(
    home: Home, host: str, port: int, *, log_requests: bool, on_ready: Callable[[], None]
) -> None:
    """Serve until signalled. The pid file exists exactly while the server runs."""
    if log_requests:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    else:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
    sock = bind_socket(host, port)
    app = create_app(home, log_requests=log_requests)
    info = {
        "pid": os.getpid(),
        "host": host,
        "port": port,
        "startedAt": time.time(),
        "version": __version__,
    }
    write_private(home.pid_path, json.dumps(info))
    _install_loop()
    try:
        asyncio.run(_serve(app, sock, on_ready))
    finally:
        with contextlib.suppress(OSError):
            if json.loads(home.pid_path.read_text()).get("pid") == os.getpid():
                home.pid_path.unlink()
