"""python manage.py backup [--output PATH]: a consistent copy of the database to a timestamped file."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

PG_DUMP_TIMEOUT_S = 6 * 3600


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _target(output: str | None, suffix: str) -> Path:
    """The file to write: PATH as given, or a timestamped file in PATH (a directory) or var/backups/."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = f"callcenter-{stamp}{suffix}"
    if not output:
        path = Path(settings.VAR_DIR) / "backups" / name
    else:
        path = Path(output).expanduser()
        if path.is_dir() or output.endswith(os.sep):
            path = path / name
    if path.exists():
        raise CommandError(f"{path} exists already; choose another --output (nothing was written).")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"Cannot create {path.parent}: {error.strerror}.") from None
    return path


def _pg_dump(db: dict[str, Any], path: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise CommandError(
            "pg_dump is not installed or not on PATH: install the PostgreSQL client (Debian: "
            "apt-get install postgresql-client) in the same major version as the server."
        )
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    if (db.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(db["OPTIONS"]["sslmode"])
    command = [pg_dump, "--format=custom", f"--file={path}"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command.append(f"{flag}={db[key]}")
    command.append(f"--dbname={db['NAME']}")
    try:
        done = subprocess.run(  # noqa: S603 - our own argument list, no shell
            command, env=env, capture_output=True, text=True, timeout=PG_DUMP_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise CommandError("pg_dump took longer than 6 hours and was stopped.") from None
    if done.returncode != 0:
        raise CommandError(f"pg_dump failed: {done.stderr.strip() or done.returncode}")


def _sqlite_backup(db: dict[str, Any], path: Path) -> None:
    """SQLite's online backup API: a consistent copy even while the server writes (WAL)."""
    source = sqlite3.connect(str(db["NAME"]))
    try:
        target = sqlite3.connect(str(path))
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


class Command(BaseCommand):
    help = (
        "Back up the database to a timestamped file and print its path and size. PostgreSQL: "
        "`pg_dump --format=custom` of DATABASE_URL (restore with pg_restore; see the README). "
        "The embedded SQLite database: a copy made with SQLite's backup API (restore by copying it "
        "back while the platform is stopped). Recordings under MEDIA_ROOT are files: copy them too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="The file to write, or a directory for a timestamped file (default: VAR_DIR/backups/).",
        )
        parser.add_argument("--database", default="default", help="Which DATABASES entry (default: default).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["database"] not in connections:
            raise CommandError(f"There is no database {options['database']!r} in DATABASES.")
        connection = connections[options["database"]]
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            path, write = _target(options["output"], ".dump"), _pg_dump
        elif connection.vendor == "sqlite":
            if str(db["NAME"]) == ":memory:" or "mode=memory" in str(db["NAME"]):
                raise CommandError("An in-memory SQLite database cannot be backed up.")
            path, write = _target(options["output"], ".sqlite3"), _sqlite_backup
        else:
            raise CommandError(f"Backups of {connection.vendor} databases are not supported.")
        partial = path.with_name(path.name + ".partial")
        try:
            write(db, partial)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"Backup written to {path} ({_size(path.stat().st_size)})")
