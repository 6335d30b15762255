"""store.backup: consistent copies while someone writes, rotation, and the restore swap."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ninerouter.home import Home
from ninerouter.services.backup import restore
from ninerouter.store import Store
from ninerouter.store.backup import (
    Rows,
    backup_name,
    backup_to,
    list_backups,
    rotate,
    stage_copy,
    swap_in,
)


def count(path: Path, sql: str = "SELECT COUNT(*) FROM kv WHERE scope = 't'") -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_backup_while_a_writer_inserts_restores_to_a_consistent_db(home: Home) -> None:
    Store(home.db_path).close()
    stop = threading.Event()
    warm = threading.Event()
    committed = [0]

    def writer() -> None:
        conn = sqlite3.connect(home.db_path, isolation_level=None, timeout=10)
        i = 0
        while not stop.is_set():
            i += 1
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO kv VALUES ('t', ?, ?)", [f"k{i:07d}", json.dumps(i)])
            conn.execute(
                "INSERT INTO usageHistory (timestamp, provider, promptTokens) VALUES (?, 'p', ?)",
                [f"{i:07d}", i],
            )
            conn.execute("COMMIT")
            committed[0] = i
            if i == 100:
                warm.set()
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert warm.wait(20)
        before = committed[0]
        copy = backup_to(home.db_path, home.root / "snapshot.sqlite")
        rows = count(copy.path)
        deadline = time.monotonic() + 20
        while committed[0] <= rows and time.monotonic() < deadline:
            time.sleep(0.005)  # let the writer go on past the snapshot
    finally:
        stop.set()
        thread.join()
    assert not Path(f"{copy.path}-wal").exists()
    assert stat.S_IMODE(copy.path.stat().st_mode) == 0o600
    assert before <= rows < committed[0]  # caught mid-stream, holding everything committed before

    restore(home, copy.path)  # the writer's later rows go away with the old file
    conn = sqlite3.connect(home.db_path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    keys = [r[0] for r in conn.execute("SELECT key FROM kv WHERE scope = 't' ORDER BY key")]
    assert keys == [f"k{i:07d}" for i in range(1, rows + 1)]  # a prefix, no gaps
    assert conn.execute("SELECT COUNT(*) FROM usageHistory").fetchone()[0] == rows  # same txns
    conn.close()


def test_copying_only_the_file_loses_the_wal_but_backup_does_not(tmp_path: Path) -> None:
    db = tmp_path / "data.sqlite"
    Store(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint=0")  # as under load: commits sit in the -wal
    for i in range(50):
        conn.execute("INSERT INTO kv VALUES ('t', ?, '1')", [str(i)])
    assert Path(f"{db}-wal").stat().st_size > 0
    shutil.copyfile(db, tmp_path / "copied.sqlite")
    made = backup_to(db, tmp_path / "backup.sqlite")
    conn.close()
    assert count(tmp_path / "copied.sqlite") == 0
    assert count(made.path) == 50


def test_backup_refuses_to_overwrite_or_to_invent_a_source(tmp_path: Path) -> None:
    db = tmp_path / "data.sqlite"
    with pytest.raises(FileNotFoundError):
        backup_to(db, tmp_path / "b.sqlite")
    assert not db.exists()
    Store(db).close()
    (tmp_path / "b.sqlite").write_text("keep me")
    with pytest.raises(FileExistsError):
        backup_to(db, tmp_path / "b.sqlite")
    assert (tmp_path / "b.sqlite").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.sqlite", "data.sqlite", "home"]


def test_rotation_deletes_only_our_oldest_backups(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ours = [folder / backup_name(None, start + timedelta(days=d)) for d in range(4)]
    ours.append(folder / backup_name("pre-restore", start + timedelta(days=5)))
    others = ["notes.txt", "ninerouter-manual.sqlite", "data.sqlite", "x-20250101-000000.sqlite"]
    for path in [*ours, *(folder / name for name in others)]:
        path.write_text("x")
    Path(f"{ours[0]}-wal").write_text("x")
    deleted = rotate(folder, 2)
    assert deleted == ours[:3]
    assert list_backups(folder) == ours[3:]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*others, ours[3].name, ours[4].name])


def test_swap_leaves_no_stale_wal_paired_with_the_new_file(home: Home, tmp_path: Path) -> None:
    live = Store(home.db_path)
    live.db.execute("PRAGMA wal_autocheckpoint=0")
    with live.write():
        live.db.execute("INSERT INTO kv VALUES ('t', 'old-only-in-wal', '1')")
    assert Path(f"{home.db_path}-wal").stat().st_size > 0
    source = tmp_path / "new.sqlite"
    other = Store(source)
    with other.write():
        other.db.execute("INSERT INTO kv VALUES ('t', 'new', '1')")
    other.close()
    staged = stage_copy(source, home.db_dir)
    previous = swap_in(staged, home.db_path, home.backups_dir)
    assert previous is not None and previous.path.name.endswith("-pre-restore.sqlite")
    assert not Path(f"{home.db_path}-wal").exists() and not Path(f"{home.db_path}-shm").exists()
    with live.write():  # the old connection still writes to its own (unlinked) files
        live.db.execute("INSERT INTO kv VALUES ('t', 'late-old-write', '1')")
    fresh = Store(home.db_path)
    with fresh.write():
        fresh.db.execute("INSERT INTO kv VALUES ('t', 'after-swap', '1')")
    live.close()  # must not checkpoint into, or delete the -wal of, the new file
    assert [r["key"] for r in fresh.db.query("SELECT key FROM kv ORDER BY key")] == [
        "after-swap",
        "new",
    ]
    fresh.close()
    assert count(home.db_path) == 2
    assert count(previous.path, "SELECT COUNT(*) FROM kv WHERE key = 'old-only-in-wal'") == 1
    assert not any(p.name.startswith(".restore-") for p in home.db_dir.iterdir())


def test_rows_write_whole_rows_with_their_ids(store: Store) -> None:
    with store.write() as db:
        rows = Rows(db)
        rows.insert(
            "combos", {"id": "c1", "name": "a", "models": "[]", "createdAt": "t", "updatedAt": "t"}
        )
        rows.update("combos", {"id": "c1"}, {"name": "b"})
    assert [(r["id"], r["name"]) for r in Rows(store.db).all("combos")] == [("c1", "b")]
    with pytest.raises(ValueError, match="no column"):
        Rows(store.db).update("combos", {"id": "c1"}, {"name; DROP TABLE kv": 1})
    with pytest.raises(ValueError, match="not a 9Router table"):
        Rows(store.db).all("sqlite_master")
    with store.write() as db:
        Rows(db).delete("combos", {"id": "c1"})
    assert Rows(store.db).all("combos") == []
