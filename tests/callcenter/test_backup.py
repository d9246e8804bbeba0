"""`python manage.py backup`: pg_dump of the database, restored with pg_restore into a scratch
database (created and dropped here) with the same rows; SQLite's backup API in the embedded mode."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.callcenter.test_settings import ROOT, _env, _run
from tests.tickets.factories import CustomerFactory, TicketFactory

TABLES = ["auth_user", "tickets_customer", "tickets_customerphone", "tickets_ticket", "django_migrations"]


def backup(*args: str) -> tuple[Path, str]:
    out = StringIO()
    call_command("backup", *args, stdout=out)
    text = out.getvalue()
    match = re.search(r"Backup written to (\S+) \((\d+(?:\.\d)? [KMG]?B)\)", text)
    assert match, text
    return Path(match.group(1)), match.group(2)


def _conninfo(dbname: str) -> str:
    db = connection.settings_dict
    parts = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"]}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v) + f" dbname={dbname}"


def _counts(dbname: str) -> dict[str, int]:
    with psycopg.connect(_conninfo(dbname)) as conn:
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in TABLES}  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_a_dump_restores_into_a_new_database_with_the_same_rows(tmp_path, agent):
    for n in range(5):
        TicketFactory(customer=CustomerFactory(phones=[f"+1415555010{n}"]))
    path, size = backup("--output", str(tmp_path))
    assert path.parent == tmp_path and path.name.startswith("callcenter-") and path.suffix == ".dump"
    assert path.stat().st_size > 0 and size
    scratch = f"cc_care_restore_{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        command = ["pg_restore", "--no-owner", f"--dbname={scratch}", str(path)]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if db.get(key):
                command.append(f"{flag}={db[key]}")
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        expected = _counts(db["NAME"])
        assert expected["tickets_ticket"] == 5 and expected["tickets_customerphone"] == 5
        assert _counts(scratch) == expected
    finally:
        with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}"')


@pytest.mark.django_db
def test_an_existing_file_is_never_overwritten(tmp_path):
    target = tmp_path / "mine.dump"
    target.write_text("keep me")
    with pytest.raises(CommandError, match="exists already"):
        backup("--output", str(target))
    assert target.read_text() == "keep me"


@pytest.mark.django_db
def test_missing_pg_dump_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without the PostgreSQL client
    with pytest.raises(CommandError, match="pg_dump is not installed"):
        backup("--output", str(tmp_path / "x.dump"))
    assert not list(tmp_path.iterdir())


def test_the_embedded_sqlite_database_is_copied_with_the_backup_api(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    with sqlite3.connect(var / "callcenter.sqlite3") as db:
        db.execute("CREATE TABLE probe (n INTEGER)")
        db.executemany("INSERT INTO probe VALUES (?)", [(n,) for n in range(42)])
    done = _run(
        [sys.executable, str(ROOT / "manage.py"), "backup", "--skip-checks"],
        _env(DEBUG="true", VAR_DIR=str(var)),
    )
    assert done.returncode == 0, done.stderr
    path = Path(re.search(r"Backup written to (\S+) ", done.stdout).group(1))
    assert path.parent == var / "backups" and path.suffix == ".sqlite3"
    with sqlite3.connect(path) as copy:
        assert copy.execute("SELECT count(*) FROM probe").fetchone()[0] == 42
