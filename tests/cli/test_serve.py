"""The real process: --daemon, status, stop, port in use, SIGTERM, the 9Router flag form."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ninerouter.home import Home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(home: Home, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ninerouter", "--data-dir", str(home.root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as resp:
        return json.loads(resp.read())


@pytest.fixture
def port() -> int:
    return free_port()


def test_daemon_status_stop(home: Home, port: int) -> None:
    started = cli(home, "serve", "--daemon", "-p", str(port))
    try:
        assert started.returncode == 0, started.stderr
        assert started.stdout.strip() == f"http://127.0.0.1:{port}"
        assert health(port) == {"ok": True}
        status = cli(home, "status", "--json")
        info = json.loads(status.stdout)
        assert status.returncode == 0
        assert info["running"] is True and info["healthy"] is True and info["port"] == port
        assert (home.auth_dir / "api-key").stat().st_mode & 0o777 == 0o600
        again = cli(home, "serve", "--daemon", "-p", str(port))
        assert again.returncode == 1 and "already running" in again.stderr
    finally:
        stopped = cli(home, "stop", "--json")
    assert stopped.returncode == 0 and json.loads(stopped.stdout)["stopped"] is True
    assert not home.pid_path.exists()
    after = cli(home, "status", "--json")
    assert after.returncode == 3 and json.loads(after.stdout)["running"] is False
    assert cli(home, "stop").returncode == 0  # stopping a stopped server is fine


def test_foreground_sigterm_shuts_down_cleanly(home: Home, port: int) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ninerouter",
            "--data-dir",
            str(home.root),
            "-p",
            str(port),
            "-n",
            "-t",
            "-l",
            "--skip-update",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                assert health(port) == {"ok": True}
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert json.loads(home.pid_path.read_text())["pid"] == proc.pid
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    key = (home.auth_dir / "api-key").read_text().strip()
    assert out.strip() == key  # printed once, on first start
    assert "listening on http://127.0.0.1" in err
    assert not home.pid_path.exists()


def test_port_in_use_is_a_clear_error(home: Home, port: int) -> None:
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", port))
        blocker.listen(1)
        result = cli(home, "serve", "-p", str(port))
        daemon = cli(home, "serve", "--daemon", "-p", str(port))
    assert result.returncode == 1
    assert f"port {port} is already in use by pid {os.getpid()}" in result.stderr
    assert daemon.returncode == 1 and "already in use" in daemon.stderr


def test_serve_refuses_corrupt_db(home: Home, port: int) -> None:
    home.db_path.write_bytes(b"not a database" * 1000)
    before = home.db_path.read_bytes()
    result = cli(home, "serve", "-p", str(port))
    assert result.returncode == 3 and "integrity check" in result.stderr
    assert Path(home.db_path).read_bytes() == before


def test_open_v1_is_refused_on_a_public_address(home: Home, port: int) -> None:
    assert cli(home, "settings", "set", "requireApiKey", "false").returncode == 0
    result = cli(home, "serve", "-H", "0.0.0.0", "-p", str(port))
    assert result.returncode == 1 and "refusing to listen on 0.0.0.0" in result.stderr
