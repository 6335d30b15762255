"""`ninerouter proxy ...` through CliRunner: bulk import (T39, T64, T65, T68), the exact 9Router row
shape, a 9Router home, tests against real loopback proxies, assignment, rotation and the global proxy."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ninerouter.cli import app
from ninerouter.home import Home
from tests.fakes.egress import LoopThread, closed_port
from tests.fakes.upstream import FakeUpstream

GOLDEN = Path(__file__).parent.parent / "golden" / "9router-0.5.69-schema.sql"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
runner = CliRunner()


def run(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


def rows(db: Path) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM proxyPools ORDER BY createdAt, rowid")]
    finally:
        conn.close()


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    return path


MIXED = (
    "\ufeff# exported proxies\r\n"
    "1.2.3.4:8080\r\n"
    "\r\n"
    " \t5.6.7.8:3128:alice:s3cret-alice \t\r\n"
    "socks5://bob:p%40ss%3Aw0rd@proxy.example:1080\r\n"
    "h:0\r\n"
    "ftp://h:21\r\n"
    "HTTP://1.2.3.4:8080\r\n"
    "2001:db8::1:1080\r\n"
)


def test_import_mixed_file(home: Home, tmp_path: Path) -> None:
    result = run("proxy", "import", str(write(tmp_path / "p.txt", MIXED)))
    assert result.exit_code == 3, result.output  # imported, but some lines were invalid
    assert "line 6: port 0 is out of range" in result.stderr
    assert "line 7: unsupported scheme 'ftp'" in result.stderr
    assert "line 9: IPv6 literal must be in brackets" in result.stderr
    assert "imported 3, updated 0, duplicates 1, invalid 3" in result.stderr
    stored = rows(home.db_path)
    assert [json.loads(r["data"])["proxyUrl"] for r in stored] == [
        "http://1.2.3.4:8080",
        "http://alice:s3cret-alice@5.6.7.8:3128",
        "socks5://bob:p%40ss%3Aw0rd@proxy.example:1080",
    ]
    assert "s3cret-alice" not in result.output and "w0rd" not in result.output


def test_import_json_is_stable_and_masked(home: Home, tmp_path: Path) -> None:
    result = run("proxy", "import", str(write(tmp_path / "p.txt", MIXED)), "--json")
    data = json.loads(result.stdout)
    assert (data["imported"], data["duplicates"], data["invalid"]) == (3, 1, 3)
    assert data["rejects"][0] == {"line": 6, "reason": "port 0 is out of range (1-65535)"}
    assert data["duplicateLines"] == [{"line": 8, "of": "line 2"}]
    assert data["pools"][1]["proxyUrl"] == "http://alice:***@5.6.7.8:3128"
    assert "s3cret" not in result.stdout and data["backup"].endswith(".sqlite")
    listed = run("proxy", "list", "--json")
    assert "s3cret" not in listed.stdout and len(json.loads(listed.stdout)) == 3
    assert "s3cret" not in run("proxy", "list").stdout


def test_dry_run_and_strict_write_nothing(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path / "p.txt", MIXED)
    dry = run("proxy", "import", str(path), "--dry-run", "--json")
    assert dry.exit_code == 3 and json.loads(dry.stdout)["imported"] == 3
    strict = run("proxy", "import", str(path), "--strict")
    assert strict.exit_code == 2 and "nothing written" in strict.stderr
    assert rows(home.db_path) == []
    assert not home.backups_dir.exists() or not list(home.backups_dir.iterdir())


def test_reimport_is_idempotent_and_a_new_password_updates(home: Home, tmp_path: Path) -> None:
    first = "http://host.example:8080\nhttp://u:old@host.example:9090\n"
    assert run("proxy", "import", str(write(tmp_path / "a.txt", first))).exit_code == 0
    again = run("proxy", "import", str(write(tmp_path / "b.txt", first)), "--json")
    assert json.loads(again.stdout)["imported"] == 0 and json.loads(again.stdout)["duplicates"] == 2
    changed = "HTTP://Host.Example:8080\nhost.example:8080\nhttp://u:new@HOST.example:9090\n"
    result = json.loads(run("proxy", "import", "-", "--json", stdin=changed).stdout)
    assert (result["imported"], result["updated"], result["duplicates"]) == (0, 1, 2)
    urls = [json.loads(r["data"])["proxyUrl"] for r in rows(home.db_path)]
    assert urls == ["http://host.example:8080", "http://u:new@host.example:9090"]


def test_type_sets_the_scheme_of_bare_lines(home: Home) -> None:
    result = run("proxy", "import", "-", "--type", "socks5", "--json", stdin="1.2.3.4:1080\n")
    assert json.loads(result.stdout)["pools"][0]["proxyUrl"] == "socks5://1.2.3.4:1080"
    data = json.loads(rows(home.db_path)[0]["data"])
    assert data["type"] == "http"  # 9Router's relay kind, not the proxy scheme
    assert run("proxy", "import", "-", "--type", "ftp", stdin="1.2.3.4:1\n").exit_code == 1


def test_empty_and_binary_files(home: Home, tmp_path: Path) -> None:
    empty = run("proxy", "import", str(write(tmp_path / "e.txt", "# nothing\n\n")))
    assert empty.exit_code == 0 and "0 proxies" in empty.stderr
    (tmp_path / "b.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(64))
    binary = run("proxy", "import", str(tmp_path / "b.bin"))
    assert binary.exit_code == 1 and "not a text proxy list" in binary.stderr
    missing = run("proxy", "import", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 1 and "no such file" in missing.stderr


def test_backup_is_taken_first_and_private(home: Home, tmp_path: Path) -> None:
    run("proxy", "import", "-", stdin="1.1.1.1:80\n")
    run("proxy", "import", "-", stdin="2.2.2.2:80\n")
    backups = sorted(home.backups_dir.glob("ninerouter-*-pre-proxy-import.sqlite"))
    assert len(backups) == 2
    assert stat.S_IMODE(backups[1].stat().st_mode) == 0o600
    conn = sqlite3.connect(backups[1])
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM proxyPools").fetchone()[0] == 1  # the state before
    conn.close()


def nine_router_home(root: Path) -> Path:
    db = root / "db" / "data.sqlite"
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.executescript(GOLDEN.read_text())
    conn.execute(
        "INSERT INTO _meta VALUES ('schemaVersion', '1'), ('appVersion', '0.5.69'), "
        "('backupSchemaVersion', '1')"
    )
    conn.execute("INSERT INTO settings VALUES (1, '{}')")
    conn.commit()
    conn.close()
    return db


def test_import_into_a_9router_home_writes_9router_rows(tmp_path: Path) -> None:
    db = nine_router_home(tmp_path / "nine")
    text = "1.2.3.4:8080\nsocks5://u%40x:p%3Aw@[2001:db8::1]:1080\n"
    result = run("--data-dir", str(tmp_path / "nine"), "proxy", "import", "-", stdin=text)
    assert result.exit_code == 0, result.output
    assert "systemctl restart 9router" in result.stderr and "'9router'" in result.stderr
    stored = rows(db)
    for row in stored:
        assert uuid.UUID(row["id"]).version == 4
        assert (row["isActive"], row["testStatus"]) == (1, "unknown")
        assert ISO.match(row["createdAt"]) and row["updatedAt"] == row["createdAt"]
        data = json.loads(row["data"])
        # 9Router's createProxyPool: the same keys, in the same order, compact JSON.
        assert list(data) == [
            "name",
            "proxyUrl",
            "noProxy",
            "type",
            "strictProxy",
            "lastTestedAt",
            "lastError",
        ]
        assert row["data"] == json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(stored[1]["data"]) == {
        "name": "[2001:db8::1]:1080",
        "proxyUrl": "socks5://u%40x:p%3Aw@[2001:db8::1]:1080",
        "noProxy": "",
        "type": "http",
        "strictProxy": True,
        "lastTestedAt": None,
        "lastError": None,
    }
    ours = run("proxy", "import", "-", stdin="9.9.9.9:80\n")  # our own home: no hint
    assert "systemctl" not in ours.stderr


def big_file(path: Path, n: int = 10_000) -> tuple[Path, int, int]:
    """n lines: 3% malformed, 5% duplicates of earlier lines, the rest unique."""
    rng = random.Random(5)
    bad = ["h:0", "ftp://h:21", "garbage", "1.2.3.4:99999", "host", "http://u:p@ss@h:1"]
    lines: list[str] = []
    unique: list[str] = []
    for i in range(n):
        roll = i % 100
        if roll < 3:
            lines.append(rng.choice(bad))
        elif roll < 8 and unique:
            dup = rng.choice(unique)
            lines.append(f"HTTP://{dup}" if dup.count(":") == 1 else dup)  # same normalised key
        else:
            a, b = divmod(i, 250)
            form = i % 4
            host = f"10.{a % 256}.{b}.{i % 256}"
            line = [
                f"{host}:{1024 + i % 60000}",
                f"{host}:{1024 + i % 60000}:user{i}:pw{i}",
                f"socks5://user{i}:p%40ss{i}@{host}:{1024 + i % 60000}",
                f"u{i}:pw@{host}:{1024 + i % 60000}",
            ][form]
            unique.append(line)
            lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    return path, 300, n - 300 - len(unique)


def test_ten_thousand_lines_import_quickly_with_every_reject(home: Home, tmp_path: Path) -> None:
    path, invalid, duplicates = big_file(tmp_path / "big.txt")
    started = time.monotonic()
    result = run("proxy", "import", str(path), "--json")
    elapsed = time.monotonic() - started
    data = json.loads(result.stdout)
    assert (data["invalid"], data["duplicates"]) == (invalid, duplicates)
    assert data["imported"] == 10_000 - invalid - duplicates
    assert sorted(r["line"] for r in data["rejects"]) == [
        i + 1 for i in range(10_000) if i % 100 < 3
    ]
    assert elapsed < 5.0, f"import took {elapsed:.2f}s"
    assert len(rows(home.db_path)) == data["imported"]


KILLED_IMPORT = """
import sys, time
from pathlib import Path
from ninerouter.home import Home
from ninerouter.services import proxies as svc
from ninerouter.store import Store, proxy_pools

home = Home(Path(sys.argv[1]))
original = proxy_pools.ProxyPools.insert_rows

def paused(self, rows):
    def rows_then_wait():
        for n, row in enumerate(rows):
            if n == 4000:
                print("MIDWAY", flush=True)
                time.sleep(60)
            yield row
    original(self, rows_then_wait())

proxy_pools.ProxyPools.insert_rows = paused
parsed = svc.parse_source(Path(sys.argv[2]).read_bytes())
svc.import_proxies(Store(home.db_path), home, parsed, source=sys.argv[2])
"""


def test_sigkill_mid_import_leaves_none_or_all(home: Home, tmp_path: Path) -> None:
    path, invalid, duplicates = big_file(tmp_path / "big.txt")
    run("proxy", "list")  # create the database
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, str(home.root), str(path)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"MIDWAY"  # 4,000 rows written, not committed
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    conn = sqlite3.connect(home.db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM proxyPools").fetchone()[0] == 0
    conn.close()
    done = json.loads(run("proxy", "import", str(path), "--json").stdout)
    assert len(rows(home.db_path)) == done["imported"] == 10_000 - invalid - duplicates


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


def test_proxy_test_records_status_and_keeps_failed_pools_active(
    home: Home, loop: LoopThread
) -> None:
    upstream = loop.serve(FakeUpstream().app())
    good = loop.proxy("socks5", "user@x", "pa:ss%/")
    dead = f"http://127.0.0.1:{closed_port()}"
    imported = run("proxy", "import", "-", "--json", stdin=f"{good.url()}\n{dead}\n")
    assert json.loads(imported.stdout)["imported"] == 2
    url = f"http://127.0.0.1:{upstream}/v1/models"
    result = run("proxy", "test", "--url", url, "--timeout", "3", "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert [r["testStatus"] for r in report] == ["active", "error"]
    assert good.tunnels[0].username == "user@x" and good.tunnels[0].password == "pa:ss%/"
    stored = rows(home.db_path)
    assert [(r["testStatus"], r["isActive"]) for r in stored] == [("active", 1), ("error", 1)]
    ok, failed = (json.loads(r["data"]) for r in stored)
    assert ISO.match(ok["lastTestedAt"]) and ok["latencyMs"] > 0 and ok["lastError"] is None
    assert "Couldn't connect to proxy" in failed["lastError"] and failed["latencyMs"] is None
    one = run("proxy", "test", stored[0]["id"][:8], "--url", url)
    assert one.exit_code == 0 and "1 active, 0 error" in one.stderr


def test_import_with_test(home: Home, loop: LoopThread) -> None:
    upstream = loop.serve(FakeUpstream().app())
    proxy = loop.proxy("http", "u", "p")
    url = f"http://127.0.0.1:{upstream}/v1/models"
    result = run("proxy", "import", "-", "--test", "--url", url, "--json", stdin=proxy.url())
    assert result.exit_code == 0 and json.loads(result.stdout)["tests"][0]["testStatus"] == "active"


def add_account(name: str, *extra: str) -> str:
    result = run(
        "provider", "add", "openai-compatible", "--name", name, "--api-key",
        f"sk-{name}-0123456789", "--base-url", "http://127.0.0.1:9/v1", "--prefix", "lab",
        "--json", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["id"])


def connection_data(home: Home, conn_id: str) -> dict:
    conn = sqlite3.connect(home.db_path)
    try:
        row = conn.execute("SELECT isActive, data FROM providerConnections WHERE id = ?", [conn_id])
        active, data = row.fetchone()
    finally:
        conn.close()
    return {"isActive": active, **json.loads(data)}


def test_assign_rotate_global_and_remove(home: Home) -> None:
    run("proxy", "import", "-", stdin="http://u-{session}:secretpw@gw.example:7000\n9.9.9.9:80\n")
    pools = json.loads(run("proxy", "list", "--json").stdout)
    first, second = pools[0]["id"], pools[1]["id"]
    conn_id = add_account("acc")
    assert run("proxy", "assign", "acc").exit_code == 1  # POOL or --clear
    assert run("proxy", "assign", "acc", first[:8]).exit_code == 0
    assert connection_data(home, conn_id)["providerSpecificData"]["proxyPoolId"] == first
    shown = json.loads(run("proxy", "show", first, "--json").stdout)
    assert shown["connections"][0]["name"] == "acc" and "secretpw" not in json.dumps(shown)
    rotated = json.loads(run("proxy", "rotate", "acc", "--json").stdout)
    assert rotated["rotation"] == 1 and connection_data(home, conn_id)["proxySessionRotation"] == 1
    glob = json.loads(
        run("proxy", "set-global", second, "--no-proxy", ".internal", "--json").stdout
    )
    assert glob == {
        "outboundProxyEnabled": True,
        "outboundProxyUrl": "http://9.9.9.9:80",
        "outboundNoProxy": ".internal",
    }
    url = json.loads(
        run("proxy", "set-global", "socks5://a:topsecret@h.example:1", "--json").stdout
    )
    assert url["outboundProxyUrl"] == "socks5://a:***@h.example:1"
    assert (
        json.loads(run("proxy", "clear-global", "--json").stdout)["outboundProxyEnabled"] is False
    )
    removed = run("proxy", "remove", first, "--json")
    assert removed.exit_code == 2  # destructive: needs --yes without a terminal
    in_use = run("proxy", "remove", first, "--yes", "--json")
    assert in_use.exit_code == 1 and "1 account(s) use these pools (acc)" in in_use.stderr
    assert connection_data(home, conn_id)["isActive"] == 1
    removed = json.loads(run("proxy", "remove", first, "--yes", "--force", "--json").stdout)
    assert removed["deactivatedConnections"] == [{"id": conn_id, "name": "acc"}]
    data = connection_data(home, conn_id)
    assert data["isActive"] == 0 and "proxyPoolId" not in data["providerSpecificData"]
    assert [p["id"] for p in json.loads(run("proxy", "list", "--json").stdout)] == [second]
    assert run("proxy", "show", "nothing-like-this").exit_code == 1


def test_provider_test_goes_through_the_accounts_proxy(home: Home, loop: LoopThread) -> None:
    fake = FakeUpstream()
    upstream = loop.serve(fake.app())
    proxy = loop.proxy("http", "us@er", "p:s/s%")
    result = run(
        "provider", "add", "openai-compatible", "--name", "acc", "--api-key", "sk-acc-0123456789",
        "--base-url", f"http://127.0.0.1:{upstream}/v1", "--prefix", "lab", "--proxy", proxy.url(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    tested = run("provider", "test", "acc", "--json")
    assert tested.exit_code == 0, tested.output
    assert [(t.username, t.password) for t in proxy.tunnels] == [("us@er", "p:s/s%")]
    dead = run("provider", "edit", "acc", "--proxy", f"http://u:pw@127.0.0.1:{closed_port()}")
    assert dead.exit_code == 0
    assert run("provider", "test", "acc").exit_code != 0
    assert len(proxy.tunnels) == 1
