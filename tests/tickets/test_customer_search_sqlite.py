"""PostgreSQL searches with trigram indexes; the embedded default (`make run`) has SQLite: same answers."""

from __future__ import annotations

from pathlib import Path

from tests.sqlite_run import answers_on_sqlite
from tests.tickets import search_probe


def test_sqlite_gives_the_same_answers_as_postgresql(db, tmp_path):
    on_sqlite = answers_on_sqlite(Path(search_probe.__file__), tmp_path)
    on_postgresql = search_probe.answers(*search_probe.build())
    assert on_postgresql["hopp"] == ["Grace Hopper"]  # the probe really searched
    assert on_sqlite == on_postgresql
