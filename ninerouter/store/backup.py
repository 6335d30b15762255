"""Copies of the database file, and whole-row access for the bulk tools.

Physical copies use the SQLite backup API in one step (`pages=-1`): the copy is the snapshot of one
read transaction, so it is consistent while the server writes and never restarts. The copy is turned
into a rollback-journal file, so it is complete on its own (no `-wal` to carry). Files are written to
a temporary name and linked into place, mode 0600.

A restore swaps a verified file in with `os.replace` while holding the old database's write lock, and
removes the old `-wal`/`-shm` so they can never be paired with the new file. Connections that still
have the old file open keep reading their own (now unlinked) files; SQLite notices the move and does
not checkpoint into, or delete, the new file's sidecars when they close. The server reopens the file
when its inode changes (proxy/live_config.py).

`Rows` reads and writes rows of the 9Router tables with their ids, for imports and `config apply`;
call it inside Store.write().
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ninerouter.store.verify import EXPECTED_COLUMNS, read_only

BUSY_TIMEOUT_S = 5.0
BACKUP_NAME = re.compile(r"^ninerouter-(\d{8}-\d{6}-\d{6})(?:-([a-z0-9-]+))?\.sqlite$")
SIDECARS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int

    def public(self) -> dict[str, Any]:
        return {"path": str(self.path), "bytes": self.size}


def backup_name(label: str | None = None, now: datetime | None = None) -> str:
    """`ninerouter-20250101-120000-123456[-label].sqlite`; sorting by name sorts by time."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S-%f")
    return f"ninerouter-{stamp}-{label}.sqlite" if label else f"ninerouter-{stamp}.sqlite"


def _connect_existing(path: Path) -> sqlite3.Connection:
    """Open a file that must exist (mode=rw never creates an empty database by mistake)."""
    return sqlite3.connect(
        f"file:{path}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(path: Path) -> None:
    """Remove a file we created and any sidecars SQLite left next to it."""
    for name in ("", *SIDECARS):
        Path(f"{path}{name}").unlink(missing_ok=True)


def backup_to(source: Path, dest: Path) -> BackupFile:
    """A consistent copy of `source` in a new file `dest` (refused if `dest` exists)."""
    if not source.exists():
        raise FileNotFoundError(f"no database at {source}")
    if dest.exists():
        raise FileExistsError(f"{dest} already exists")
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
    discard(tmp)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        src = _connect_existing(source)
        try:
            dst = sqlite3.connect(tmp, isolation_level=None)
            try:
                src.backup(dst, pages=-1)
                dst.execute("PRAGMA journal_mode=DELETE").fetchall()
            finally:
                dst.close()
        finally:
            src.close()
        _fsync(tmp)
        os.link(tmp, dest)  # never replaces a file that appeared meanwhile
    finally:
        discard(tmp)
    return BackupFile(dest, dest.stat().st_size)


def backup_into(source: Path, directory: Path, label: str | None = None) -> BackupFile:
    """A backup under a fresh timestamped name in `directory`."""
    for _ in range(5):
        dest = directory / backup_name(label)
        if not dest.exists():
            with contextlib.suppress(FileExistsError):
                return backup_to(source, dest)
    raise FileExistsError(f"could not find a free backup name in {directory}")


def list_backups(directory: Path) -> list[Path]:
    """Backups we made in `directory` (by name pattern), oldest first."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if BACKUP_NAME.match(p.name) and p.is_file()]
    return sorted(found, key=lambda p: p.name)


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups we made; other files are never touched."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    old = list_backups(directory)[:-keep]
    for path in old:
        discard(path)
    return old


def stage_copy(source: Path, directory: Path) -> Path:
    """A private byte copy of `source` (and its `-wal`, if any) in `directory`, to verify and
    swap in. The caller's file is never opened by SQLite, so checking it cannot change it."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = directory / f".restore-{os.getpid()}-{os.urandom(4).hex()}.sqlite"
    try:
        _copy_with_wal(source, staged)
    except BaseException:
        discard(staged)
        raise
    return staged


def _copy_with_wal(origin: Path, dest: Path) -> None:
    """Byte copies of a database file and its non-empty -wal, created 0600 (never overwriting)."""
    for suffix in ("", "-wal"):
        src = Path(f"{origin}{suffix}")
        if suffix and not (src.exists() and src.stat().st_size):
            continue
        fd = os.open(f"{dest}{suffix}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
            shutil.copyfileobj(inp, out)


def swap_in(
    staged: Path, db_path: Path, backups_dir: Path, *, live_is_sound: bool = True
) -> BackupFile | None:
    """Make `staged` (verified, migrated, in db_path's directory) the database. Returns the backup
    of the database it replaced, taken under the same write lock, so no commit falls in between.
    A live file that fails its checks is kept byte for byte (with its -wal) instead."""
    _fsync(staged)
    if not db_path.exists():
        os.replace(staged, db_path)
        return None
    if not live_is_sound:
        previous = _preserve_bytes(db_path, backups_dir / backup_name("pre-restore-damaged"))
        _replace(staged, db_path)
        return previous
    lock = _connect_existing(db_path)
    try:
        lock.execute("BEGIN IMMEDIATE")
        previous = backup_into(db_path, backups_dir, "pre-restore")
        _replace(staged, db_path)
        lock.execute("ROLLBACK")
    finally:
        lock.close()
    return previous


def _replace(staged: Path, db_path: Path) -> None:
    os.replace(staged, db_path)
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    _fsync(db_path.parent)


def _preserve_bytes(db_path: Path, dest: Path) -> BackupFile:
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _copy_with_wal(db_path, dest)
    return BackupFile(dest, dest.stat().st_size)


def read_tables(path: Path, tables: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row of the named tables that exist in a file, read-only (for imports)."""
    out: dict[str, list[dict[str, Any]]] = {}
    with read_only(path) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN")  # one snapshot, even while 9Router writes
        present = {
            str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        for table in tables:
            _check_table(table)
            if table in present:
                out[table] = [dict(r) for r in conn.execute(f'SELECT * FROM "{table}"')]
    return out


def _check_table(table: str) -> None:
    if table not in EXPECTED_COLUMNS:
        raise ValueError(f"not a 9Router table: {table}")


def _columns(table: str, names: Iterable[str]) -> list[str]:
    allowed = EXPECTED_COLUMNS[table]
    cols = list(names)
    for col in cols:
        if col not in allowed:
            raise ValueError(f"{table} has no column {col}")
    return cols


class Rows:
    """Whole rows of the 9Router tables, ids included. Use inside Store.write()."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def all(self, table: str) -> list[dict[str, Any]]:
        _check_table(table)
        return [dict(r) for r in self.db.query(f'SELECT * FROM "{table}" ORDER BY rowid')]

    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        _check_table(table)
        cols = _columns(table, row)
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join("?" for _ in cols)
        self.db.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', [row[c] for c in cols])

    def update(self, table: str, key: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
        _check_table(table)
        if not changes:
            return
        sets = ", ".join(f'"{c}" = ?' for c in _columns(table, changes))
        where = " AND ".join(f'"{c}" = ?' for c in _columns(table, key))
        self.db.execute(
            f'UPDATE "{table}" SET {sets} WHERE {where}', [*changes.values(), *key.values()]
        )

    def delete(self, table: str, key: Mapping[str, Any]) -> None:
        _check_table(table)
        where = " AND ".join(f'"{c}" = ?' for c in _columns(table, key))
        self.db.execute(f'DELETE FROM "{table}" WHERE {where}', list(key.values()))
