"""Opening the SQLite file safely: refuse a corrupt one, never re-create it, set WAL and timeouts."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from ninerouter.errors import CorruptDatabase, StoreError

BUSY_TIMEOUT_MS = 5_000


def check_file(path: Path, thorough: bool = False) -> list[str]:
    """Problems found by `PRAGMA quick_check` (or the slower `integrity_check`, which also reads
    every row and index entry) on an existing file; [] means usable."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = conn.execute(f"PRAGMA {'integrity_check' if thorough else 'quick_check'}").fetchall()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    problems = [str(row[0]) for row in rows]
    return [] if problems == ["ok"] else problems


def stored_schema_version(path: Path) -> int | None:
    """`_meta.schemaVersion` of an existing file, read without writing anything."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        row = conn.execute("SELECT value FROM _meta WHERE key = 'schemaVersion'").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return int(row[0]) if row and str(row[0]).isdigit() else None


def open_database(
    path: Path, max_schema_version: int, thorough: bool = False
) -> sqlite_utils.Database:
    """Open (creating if absent) a database file with our pragmas. A corrupt file, or one from a
    newer schema, is refused before anything is written to it."""
    existed = path.exists() and path.stat().st_size > 0
    if existed:
        problems = check_file(path, thorough)
        if problems:
            raise CorruptDatabase(str(path), problems)
        version = stored_schema_version(path)
        if version is not None and version > max_schema_version:
            raise StoreError(
                f"{path} has schema version {version}, newer than this ninerouter understands "
                f"({max_schema_version}). Upgrade ninerouter; the file was not changed."
            )
    else:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"could not switch {path} to WAL journal mode (got {mode})")
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as exc:
        raise CorruptDatabase(str(path), [str(exc)]) from exc
    for suffix in ("-wal", "-shm"):
        sidecar = Path(f"{path}{suffix}")
        if sidecar.exists():
            with contextlib.suppress(OSError):
                sidecar.chmod(0o600)
    return sqlite_utils.Database(conn, execute_plugins=False)


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One all-or-nothing write. BEGIN IMMEDIATE takes the write lock up front, so two writers
    wait for each other (busy timeout) instead of failing half-way on a lock upgrade."""
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
