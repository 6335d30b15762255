"""Real egress proxies on 127.0.0.1 for tests: an HTTP CONNECT proxy and a SOCKS5 proxy (RFC 1928 with
RFC 1929 user/password), each recording the credentials it received (byte-exact, decoded as UTF-8)
and the targets it connected to. Every connection is checked (no per-client login memory).

mode: "ok" (check the credentials, then tunnel), "reject" (always refuse the credentials: 407 / SOCKS
auth failure), "unreachable" (accept, then report the target unreachable: 502 / SOCKS 0x04).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web

T = TypeVar("T")


@dataclass(frozen=True)
class Seen:
    username: str | None
    password: str | None
    target: str  # host:port asked for


@dataclass
class FakeProxy:
    kind: str  # "http" | "socks5"
    username: str | None = None
    password: str | None = None
    mode: str = "ok"
    attempts: list[Seen] = field(default_factory=list)  # every request, accepted or not
    tunnels: list[Seen] = field(default_factory=list)  # tunnels actually opened
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> FakeProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    def url(self, username: str | None = None, password: str | None = None) -> str:
        """The proxy URL with (percent-encoded) credentials, by default the expected ones."""
        user = self.username if username is None else username
        secret = self.password if password is None else password
        if user is None:
            return f"{self.kind}://127.0.0.1:{self.port}"
        return f"{self.kind}://{quote(user, safe='')}:{quote(secret or '', safe='')}@127.0.0.1:{self.port}"

    def targets(self) -> list[str]:
        return [t.target for t in self.tunnels]

    def _accepts(self, username: str | None, password: str | None) -> bool:
        if self.mode == "reject":
            return False
        if self.username is None:
            return True
        return (username, password) == (self.username, self.password)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            if self.kind == "http":
                await self._http(reader, writer)
            else:
                await self._socks5(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        username = password = None
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "proxy-authorization":
                scheme, _, token = value.strip().partition(" ")
                if scheme.lower() == "basic":
                    decoded = base64.b64decode(token).decode("utf-8")
                    username, _, password = decoded.partition(":")
        seen = Seen(username, password, target)
        self.attempts.append(seen)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        if not self._accepts(username, password):
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="fake"\r\nContent-Length: 0\r\n\r\n'
            )
            await writer.drain()
            return
        host, _, port = target.rpartition(":")
        upstream = await self._connect(host.strip("[]"), int(port))
        if upstream is None or self.mode == "unreachable":
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        self.tunnels.append(seen)
        await _pipe(reader, writer, *upstream)

    async def _socks5(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != 5:
            return
        wants_auth = self.username is not None or self.mode == "reject"
        if 2 in methods:  # record whatever credentials are offered
            method = 2
        elif 0 in methods and not wants_auth:
            method = 0
        else:
            writer.write(b"\x05\xff")
            return
        writer.write(bytes([5, method]))
        await writer.drain()
        username = password = None
        if method == 2:
            _, ulen = await reader.readexactly(2)
            username = (await reader.readexactly(ulen)).decode("utf-8")
            (plen,) = await reader.readexactly(1)
            password = (await reader.readexactly(plen)).decode("utf-8")
            if not self._accepts(username, password):
                self.attempts.append(Seen(username, password, ""))
                writer.write(b"\x01\x01")
                await writer.drain()
                return
            writer.write(b"\x01\x00")
            await writer.drain()
        _, command, _, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        else:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode("idna")
        port = int.from_bytes(await reader.readexactly(2), "big")
        seen = Seen(username, password, f"{host}:{port}")
        self.attempts.append(seen)
        upstream = await self._connect(host, port) if command == 1 else None
        if upstream is None or self.mode == "unreachable":
            writer.write(b"\x05\x04\x00\x01" + bytes(6))
            await writer.drain()
            return
        writer.write(b"\x05\x00\x00\x01" + bytes(6))
        await writer.drain()
        self.tunnels.append(seen)
        await _pipe(reader, writer, *upstream)

    async def _connect(
        self, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        if self.mode == "unreachable":
            return None
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            return None
        self._writers.add(writer)
        return reader, writer


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                dst.close()

    await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoopThread:
    """An event loop in a thread, so fakes keep serving while synchronous code (CliRunner, which
    calls asyncio.run itself) talks to them."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._runners: list[web.AppRunner] = []
        self._proxies: list[FakeProxy] = []

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def serve(self, app: web.Application) -> int:
        """Serve an aiohttp app on 127.0.0.1; returns its port."""

        async def start() -> int:
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self._runners.append(runner)
            return int(runner.addresses[0][1])

        return self.run(start())

    def proxy(
        self, kind: str, username: str | None = None, password: str | None = None, mode: str = "ok"
    ) -> FakeProxy:
        proxy = self.run(FakeProxy(kind, username, password, mode).start())
        self._proxies.append(proxy)
        return proxy

    def close(self) -> None:
        async def stop() -> None:
            for proxy in self._proxies:
                await proxy.stop()
            for runner in self._runners:
                await runner.cleanup()

        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
