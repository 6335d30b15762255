"""backup, restore and migrate: the safe ways to copy, replace and upgrade the database file.

Every path that changes the file takes a backup first (restore: the database it replaces; migrate:
the database before the migrations). A candidate for restore is checked on a private copy and the
live file is only touched once everything passed, so a refused restore changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ninerouter.errors import UserError
from ninerouter.home import Home
from ninerouter.store import Store
from ninerouter.store.backup import (
    BackupFile,
    backup_into,
    backup_to,
    discard,
    rotate,
    stage_copy,
    swap_in,
)
from ninerouter.store.database import check_file, open_database
from ninerouter.store.migrations import SCHEMA_VERSION, migrations
from ninerouter.store.verify import Problem, Refused, verify_file


@dataclass(frozen=True)
class BackupResult:
    backup: BackupFile
    deleted: tuple[Path, ...] = ()

    def public(self) -> dict[str, Any]:
        return {**self.backup.public(), "deleted": [str(p) for p in self.deleted]}


def known_migrations() -> tuple[str, ...]:
    return tuple(m.name for m in migrations._migrations)


def check_candidate(path: Path) -> list[Problem]:
    return verify_file(path, max_schema_version=SCHEMA_VERSION, known_migrations=known_migrations())


def backup(
    home: Home, out: Path | None = None, keep: int | None = None, label: str | None = None
) -> BackupResult:
    """Copy the live database (safe while the server writes). `keep` rotates our own backups in
    the target directory down to that many; other files there are never touched."""
    if keep is not None and keep < 1:
        raise UserError("--keep must be 1 or more.")
    if not home.db_path.exists():
        raise UserError(f"no database at {home.db_path} yet: nothing to back up.")
    try:
        if out is None:
            home.db_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            made = backup_into(home.db_path, home.backups_dir, label)
        else:
            made = backup_to(home.db_path, out)
    except FileExistsError:
        raise UserError(f"{out} already exists; pick another --out or remove it first.") from None
    directory = made.path.parent
    deleted = tuple(rotate(directory, keep)) if keep is not None else ()
    return BackupResult(made, deleted)


@dataclass(frozen=True)
class RestoreResult:
    restored: Path
    previous: BackupFile | None
    migrated: tuple[str, ...] = field(default_factory=tuple)

    def public(self) -> dict[str, Any]:
        return {
            "restored": str(self.restored),
            "previousBackup": self.previous.public() if self.previous else None,
            "migrated": list(self.migrated),
        }


def restore(home: Home, source: Path) -> RestoreResult:
    """Verify `source` on a private copy, migrate the copy, back up the live DB and swap it in."""
    if not source.is_file():
        raise UserError(f"{source} is not a file.")
    if source.resolve() == home.db_path.resolve():
        raise UserError("that is the live database itself; give a backup file.")
    home.db_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = stage_copy(source, home.db_dir)
    try:
        problems = [  # name the user's file, not our private copy of it
            replace(p, message=p.message.replace(str(staged), str(source)))
            for p in check_candidate(staged)
        ]
        if problems:
            raise Refused(f"{source} was not restored", problems)
        pending = _migrate_staged(staged)
        sound = not home.db_path.exists() or not check_file(home.db_path)
        previous = swap_in(staged, home.db_path, home.backups_dir, live_is_sound=sound)
    finally:
        discard(staged)
    return RestoreResult(home.db_path, previous, pending)


def _migrate_staged(staged: Path) -> tuple[str, ...]:
    db = open_database(staged, SCHEMA_VERSION)
    try:
        names = tuple(m.name for m in migrations.pending(db))
        migrations.apply(db)
    finally:
        db.close()
    problems = check_candidate(staged)
    if problems:
        raise Refused("the file did not pass its checks after migrating", problems)
    return names


@dataclass(frozen=True)
class MigrateResult:
    applied: tuple[str, ...]
    backup: BackupFile | None

    def public(self) -> dict[str, Any]:
        return {
            "applied": list(self.applied),
            "backup": self.backup.public() if self.backup else None,
            "schemaVersion": SCHEMA_VERSION,
        }


def pending_migrations(home: Home) -> tuple[str, ...]:
    """Names of migrations not yet applied, read without applying them (Store() would)."""
    if not home.db_path.exists():
        return tuple(m.name for m in migrations._migrations)
    db = open_database(home.db_path, SCHEMA_VERSION)
    try:
        return tuple(m.name for m in migrations.pending(db))
    finally:
        db.close()


def migrate(home: Home) -> MigrateResult:
    """Apply pending migrations, after a backup of the file as it was."""
    home.ensure()
    if not home.db_path.exists():
        Store(home.db_path).close()
        return MigrateResult(known_migrations(), None)
    problems = check_file(home.db_path)
    if problems:
        raise Refused(
            f"{home.db_path} failed its integrity check",
            [Problem("integrity", p) for p in problems],
        )
    pending = pending_migrations(home)
    if not pending:
        return MigrateResult((), None)
    made = backup_into(home.db_path, home.backups_dir, "pre-migrate")
    Store(home.db_path).close()  # applies them, each in its own transaction
    return MigrateResult(pending, made)
