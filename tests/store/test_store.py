"""The on-disk schema is 9Router 0.5.69's; bad files are refused and left untouched."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest

from ninerouter.errors import CorruptDatabase, StoreError
from ninerouter.home import Home
from ninerouter.store import Store

GOLDEN = Path(__file__).parent.parent / "golden" / "9router-0.5.69-schema.sql"
NINEROUTER_TABLES = {
    "_meta",
    "settings",
    "providerConnections",
    "providerNodes",
    "proxyPools",
    "apiKeys",
    "combos",
    "kv",
    "usageHistory",
    "usageDaily",
    "requestDetails",
}


def columns(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: conn.execute(f"PRAGMA table_info('{t}')").fetchall()
            for t in tables
            if t in NINEROUTER_TABLES
        }
    finally:
        conn.close()


def indexes(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
            )
        }
    finally:
        conn.close()


def nine_router_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(GOLDEN.read_text())
    conn.execute("INSERT INTO _meta VALUES ('schemaVersion', '1'), ('appVersion', '0.5.69')")
    conn.execute('INSERT INTO settings VALUES (1, \'{"comboStrategy":"round-robin"}\')')
    conn.commit()
    conn.close()
    return path


def test_blank_db_has_exactly_the_9router_schema(tmp_path: Path) -> None:
    ours = tmp_path / "ours.sqlite"
    Store(ours).close()
    theirs = nine_router_db(tmp_path / "theirs.sqlite")
    assert columns(ours) == columns(theirs)
    assert indexes(theirs) <= indexes(ours)


def test_a_9router_db_is_adopted_without_changing_its_data(tmp_path: Path) -> None:
    path = nine_router_db(tmp_path / "data.sqlite")
    before = columns(path)
    store = Store(path)
    assert store.settings.get()["comboStrategy"] == "round-robin"
    assert (
        store.settings.get()["fallbackStrategy"] == "fill-first"
    )  # default, not written over theirs
    store.close()
    assert columns(path) == before
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM _meta WHERE key='appVersion'").fetchone() == ("0.5.69",)
    conn.close()


def test_migrations_run_once(tmp_path: Path) -> None:
    path = tmp_path / "data.sqlite"
    Store(path).close()
    Store(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM nr_migrations").fetchone() == (1,)
    conn.close()


def test_wal_and_private_files(home: Home) -> None:
    store = Store(home.db_path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    assert stat.S_IMODE(home.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.db_path.stat().st_mode) == 0o600


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", ["not_sqlite", "truncated", "bitflip"])
def test_corrupt_db_is_refused_and_untouched(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "data.sqlite"
    store = Store(path)
    with store.write() as db:
        for i in range(300):
            db.execute("INSERT INTO kv VALUES ('s', ?, ?)", [f"k{i}", "x" * 200])
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    if damage == "not_sqlite":
        data = bytearray(b"this is a text file, not a database\n" * 200)
    elif damage == "truncated":
        data = data[: len(data) // 2 + 100]
    else:
        for page_start in range(
            4096 * 2, len(data), 4096
        ):  # b-tree page headers of every table page
            for offset in range(page_start, page_start + 12):
                data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    before = sha(path)
    with pytest.raises(CorruptDatabase) as info:
        Store(path)
    assert "integrity check" in info.value.message and str(path) in info.value.message
    assert info.value.exit_code == 3
    assert sha(path) == before


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = nine_router_db(tmp_path / "data.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE _meta SET value='99' WHERE key='schemaVersion'")
    conn.commit()
    conn.close()
    before = sha(path)
    with pytest.raises(StoreError, match="newer"):
        Store(path)
    assert sha(path) == before


def test_write_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.write():
            store.connections.insert(
                provider="openai", name="a", auth_type="apikey", priority=1, data={"apiKey": "sk-x"}
            )
            raise RuntimeError("boom")
    assert store.connections.all() == []


def test_an_existing_db_is_backed_up_before_its_first_migration(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    path = nine_router_db(tmp_path / "db" / "data.sqlite")
    before = columns(path)
    Store(path).close()
    [backup] = list((tmp_path / "db" / "backups").iterdir())
    assert (
        backup.name.endswith("-pre-migrate.sqlite") and stat.S_IMODE(backup.stat().st_mode) == 0o600
    )
    assert columns(backup) == before
    assert (
        "nr_migrations"
        not in sqlite3.connect(backup)
        .execute("SELECT group_concat(name) FROM sqlite_master WHERE type='table'")
        .fetchone()[0]
    )
    Store(path).close()  # nothing pending any more: no second backup
    assert len(list((tmp_path / "db" / "backups").iterdir())) == 1


def test_a_new_db_needs_no_backup(tmp_path: Path) -> None:
    Store(tmp_path / "db" / "data.sqlite").close()
    assert not (tmp_path / "db" / "backups").exists()


def test_thorough_check_finds_what_quick_check_misses(tmp_path: Path) -> None:
    from tests.store.test_verify import bit_flipped

    path = bit_flipped(tmp_path / "data.sqlite")
    Store(path).close()  # quick_check passes
    digest = sha(path)
    with pytest.raises(CorruptDatabase, match="missing from index"):
        Store(path, thorough_check=True)
    assert sha(path) == digest
