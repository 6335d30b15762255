"""store.verify: a file is SQLite, intact, our schema, with readable JSON; checks never write."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from ninerouter.services.backup import check_candidate
from ninerouter.store import Store
from ninerouter.store.verify import read_snapshot

MARKER = b"MARKER-0001-ZZZZ"


def good_db(path: Path, rows: int = 0) -> Path:
    store = Store(path)
    with store.write():
        store.db.execute(
            "INSERT INTO usageHistory (timestamp, provider, model) VALUES ('t', 'p', ?)",
            [MARKER.decode()],
        )
        for i in range(rows):
            store.db.execute("INSERT INTO kv VALUES ('x', ?, ?)", [str(i), '"' + "v" * 200 + '"'])
    store.close()  # the last connection checkpoints: everything is in the main file
    return path


def bit_flipped(path: Path) -> Path:
    """One byte of a usageHistory row changed in place, so the row no longer matches its index."""
    good_db(path)
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'usageHistory'").fetchone()
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    raw = bytearray(path.read_bytes())
    start = (root[0] - 1) * page_size
    raw[raw.index(MARKER, start, start + page_size)] ^= 0x01
    path.write_bytes(bytes(raw))
    return path


def truncated(path: Path) -> Path:
    good_db(path, rows=300)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path


def newer_schema(path: Path) -> Path:
    good_db(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE _meta SET value = '99' WHERE key = 'schemaVersion'")
    conn.commit()
    conn.close()
    return path


def not_sqlite(path: Path) -> Path:
    path.write_text('{"providerConnections": []}\n')
    return path


def zero_filled(path: Path) -> Path:
    path.write_bytes(bytes(8192))
    return path


def foreign_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    conn.close()
    return path


BAD_FILES = {
    "truncated": (truncated, "truncated"),
    "bit-flipped": (bit_flipped, "integrity"),
    "not-sqlite": (not_sqlite, "not-sqlite"),
    "zero-filled": (zero_filled, "not-sqlite"),
    "foreign-schema": (foreign_db, "missing-table"),
    "newer-schema": (newer_schema, "newer-schema"),
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_good_file_has_no_problems(tmp_path: Path) -> None:
    assert check_candidate(good_db(tmp_path / "ok.sqlite")) == []


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_each_bad_file_is_named_by_its_problem_and_left_as_it_was(
    tmp_path: Path, case: str
) -> None:
    build, code = BAD_FILES[case]
    path = build(tmp_path / f"{case}.sqlite")
    before = sha(path)
    problems = check_candidate(path)
    assert code in [p.code for p in problems], problems
    assert all(p.message and p.fix for p in problems)
    assert sha(path) == before


def test_quick_check_misses_the_bit_flip_that_integrity_check_finds(tmp_path: Path) -> None:
    path = bit_flipped(tmp_path / "flip.sqlite")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    conn.close()
    [problem] = check_candidate(path)
    assert problem.message == "integrity_check: row 1 missing from index idx_uh_model"


def test_json_columns_and_missing_columns_are_reported(tmp_path: Path) -> None:
    path = good_db(tmp_path / "data.sqlite")
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO combos VALUES ('c1', 'broken', NULL, '[\"a\",', 't', 't'), "
        "('c2', 'fine', NULL, '[\"or/x\"]', 't', 't')"
    )
    conn.execute("ALTER TABLE apiKeys RENAME COLUMN machineId TO machine")
    conn.commit()
    conn.close()
    problems = {p.code: p.message for p in check_candidate(path)}
    assert problems == {
        "bad-json": "combos.models is not valid JSON in row(s) 1 (rowid)",
        "missing-column": "table apiKeys lacks column(s) machineId",
    }


def test_a_migration_we_do_not_know_means_a_newer_ninerouter(tmp_path: Path) -> None:
    path = good_db(tmp_path / "data.sqlite")
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO nr_migrations (migration_set, name, applied_at) "
        "VALUES ('ninerouter', 'm999_future', 'now')"
    )
    conn.commit()
    conn.close()
    [problem] = check_candidate(path)
    assert problem.code == "newer-schema" and "m999_future" in problem.message


def test_read_snapshot_returns_dataclasses_without_writing(tmp_path: Path, store: Store) -> None:
    with store.write():
        store.db.execute(
            "INSERT INTO proxyPools VALUES ('p1', 1, 'error', "
            '\'{"name":"res-1","proxyUrl":"http://u:pw@10.0.0.9:80"}\', \'t\', \'t\')'
        )
        store.settings.patch({"rtkEnabled": False})
    snap = read_snapshot(store.path)
    assert [(p.id, p.name, p.test_status) for p in snap.proxy_pools] == [("p1", "res-1", "error")]
    assert snap.settings["rtkEnabled"] is False
    assert snap.connections == () and snap.combos == ()
