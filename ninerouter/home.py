"""Where ninerouter keeps its files, and the only place that reads the environment for it.

Layout: <home>/db/data.sqlite, <home>/db/backups/, <home>/auth/ (secrets), <home>/run/ (pid file),
<home>/logs/. The home and its sub-directories are 0700; every file we write is 0600.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VARS = ("NINEROUTER_DATA_DIR", "DATA_DIR")
DEFAULT_PORT = 20128


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--data-dir, else NINEROUTER_DATA_DIR, else DATA_DIR, else ~/.ninerouter."""
    if explicit:
        return Path(explicit).expanduser()
    for name in ENV_VARS:
        value = os.environ.get(name)
        if value:
            return Path(value).expanduser()
    return Path.home() / ".ninerouter"


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def db_dir(self) -> Path:
        return self.root / "db"

    @property
    def db_path(self) -> Path:
        return self.db_dir / "data.sqlite"

    @property
    def backups_dir(self) -> Path:
        return self.db_dir / "backups"

    @property
    def auth_dir(self) -> Path:
        return self.root / "auth"

    @property
    def initial_key_path(self) -> Path:
        return self.auth_dir / "api-key"

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def pid_path(self) -> Path:
        return self.run_dir / "ninerouter.pid"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> Home:
        """Create the directories (0700). Existing directories keep their contents."""
        for directory in (self.root, self.db_dir, self.auth_dir, self.run_dir, self.logs_dir):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if directory.stat().st_mode & 0o077:
                directory.chmod(0o700)
        return self


def write_private(path: Path, text: str) -> None:
    """Write a file readable only by its owner, atomically (write to a temp file, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
