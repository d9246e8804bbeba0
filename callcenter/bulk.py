"""Bulk writes that cost a statement or three per batch on PostgreSQL, with the ORM's bulk
methods as the portable fallback (SQLite).

The ORM spends more time preparing each value than PostgreSQL spends storing it; the feed path
writes thousands of rows a second, so it takes this route. A small batch travels as typed arrays
to `unnest`, binary parameters of a server-side-binding cursor (Django's client-side binding
quotes every array element in Python: six times the cost). A large one is copied in binary into
a temporary staging table and inserted from there: psycopg dumps array elements one Python call
at a time, while COPY formats whole rows in C (a third of the client time per value).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def table_columns(model: type[models.Model], *, exclude: Sequence[str] = ()) -> list[str]:
    """The model's database columns in table order: the column list of a COPY or unnest insert."""
    return [field.column for field in model._meta.concrete_fields if field.column not in exclude]


def binary_cursor(*, binary_results: bool = False) -> Any:
    """A cursor on Django's PostgreSQL connection (same transaction) that binds parameters on the
    server; `%b` placeholders send them in binary, and `binary_results` has rows come back in
    binary too (psycopg's C loaders, no text parsing). Wrapped like Django's own cursors, so query
    logging and `django_assert_num_queries` see its statements."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if binary_results:
        raw.format = psycopg.pq.Format.BINARY
    # _prepare_cursor is what connection.cursor() itself wraps new cursors with.
    return connection._prepare_cursor(raw)


def _coerce(field: models.Field) -> Any:
    """How to make every value of a column one Python type: binary arrays refuse mixed types."""
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.FloatField):
        return float
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey):
        return int
    if isinstance(field, models.CharField | models.TextField):
        return str
    return None


def _array_type(field: models.Field) -> str:
    db_type = field.db_type(connection) or "text"
    if isinstance(field, models.ForeignKey):
        db_type = field.target_field.rel_db_type(connection)
    return db_type.split(" CHECK")[0].strip() + "[]"


def _column_values(field: models.Field, rows: Sequence[dict[str, Any]]) -> list[Any]:
    name = field.attname
    if isinstance(field, models.JSONField):
        return [None if row.get(name) is None else json.dumps(row[name]) for row in rows]
    coerce = _coerce(field)
    values = [row.get(name) for row in rows]
    if coerce is None:
        return values
    return [None if value is None else coerce(value) for value in values]


# Batches from this size on are staged with COPY; below it the one unnest statement is cheaper.
COPY_FROM_ROWS = 200
# The staging column type of each kind of field (anything else goes through unnest).
_STAGE_TYPES: tuple[tuple[type[models.Field], str], ...] = (
    (models.BooleanField, "boolean"),
    (models.FloatField, "float8"),
    (models.DateTimeField, "timestamptz"),  # before DateField: it is one
    (models.DateField, "date"),
    (models.IntegerField, "int8"),
    (models.AutoField, "int8"),
    (models.BigAutoField, "int8"),
    (models.CharField, "text"),
    (models.TextField, "text"),
    (models.JSONField, "text"),  # dumped to text here, cast to jsonb in the insert
)


def _stage_type(field: models.Field) -> str | None:
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    for kind, name in _STAGE_TYPES:
        if isinstance(field, kind):
            return name
    return None


def _stage_ready(cursor: Any, table: str, columns: Sequence[tuple[str, str]]) -> str:
    signature = ",".join(f"{name} {kind}" for name, kind in columns)
    stage = f"stage_{table}_{zlib.crc32(signature.encode()):08x}"
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({signature}) ON COMMIT DELETE ROWS")
    cursor.execute(f"DELETE FROM {stage}")  # noqa: S608 - names from model metadata
    return stage


def copy_to_stage(
    cursor: Any, table: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]
) -> str:
    """Copy `rows` (tuples in the order of `columns`, (name, PostgreSQL type) pairs) in binary
    into this session's staging table for `table`, and return the staging table's name.

    The temporary table lives as long as the session: created once, emptied by every commit, and
    emptied here too, for a second batch in the same transaction. `cursor` is a Django cursor on
    the PostgreSQL connection (a `binary_cursor`).
    """
    stage = _stage_ready(cursor, table, columns)
    with cursor.cursor.copy(f"COPY {stage} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([kind for _name, kind in columns])
        for row in rows:
            copy.write_row(row)
    return stage


def copy_text_to_stage(cursor: Any, table: str, columns: Sequence[tuple[str, str]], text: str) -> str:
    """As `copy_to_stage`, for rows already in COPY's text format (a line per row, tab between
    columns): the rows were formatted elsewhere, and PostgreSQL parses them in C."""
    stage = _stage_ready(cursor, table, columns)
    with cursor.cursor.copy(f"COPY {stage} FROM STDIN") as copy:
        copy.write(text)
    return stage


def stage_columns(model: type[models.Model], names: Sequence[str]) -> list[tuple[str, str]]:
    """(column, staging type) of the model's fields `names`: JSON as text, a foreign key as its target."""
    fields = [model._meta.get_field(name) for name in names]
    found = [(field.column, _stage_type(field)) for field in fields]
    missing = [column for column, kind in found if kind is None]
    if missing:
        raise ValueError(f"no staging type for {model.__name__} columns {missing}")
    return found  # type: ignore[return-value]


def bulk_insert(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
    returning_inserted: bool = False,
) -> list[tuple]:
    """Insert `rows` (dicts keyed by field attname) in one statement.

    With `conflict` fields: on conflict update `update` fields (or do nothing when `update` is
    empty). Returns the `returning` columns of the written rows (PostgreSQL), followed, with
    `returning_inserted`, by whether the row is new (true) or an updated one — on the fallback,
    nothing: callers re-read what they need.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        if conflict and update:
            model.objects.bulk_create(
                objects,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=list(conflict),
                update_fields=list(update),
            )
        else:
            model.objects.bulk_create(objects, batch_size=1000, ignore_conflicts=bool(conflict))
        return []
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    columns = [field.column for field in fields]
    selects = [
        f"t.{col}::jsonb" if isinstance(field, models.JSONField) else f"t.{col}"
        for col, field in zip(columns, fields, strict=True)
    ]
    arrays = ", ".join(
        f"%b::{'text[]' if isinstance(field, models.JSONField) else _array_type(field)}" for field in fields
    )
    values = [_column_values(field, rows) for field in fields]
    with binary_cursor() as cursor:
        types = [_stage_type(field) for field in fields]
        if (
            len(rows) >= COPY_FROM_ROWS
            and not conflict
            and not returning
            and not returning_inserted
            and None not in types
            and not any(isinstance(field, models.JSONField) for field in fields)
        ):
            # Nothing to resolve or report: COPY straight into the table (PostgreSQL inserts the
            # rows in pages, not one by one) instead of staging them first. Text, not binary:
            # binary COPY wants each value in its column's exact type (int4, int2 ...).
            statement = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(statement) as copy:
                for row in zip(*values, strict=True):
                    copy.write_row(row)
            return []
        stage = None
        if len(rows) >= COPY_FROM_ROWS and None not in types:
            stage = copy_to_stage(
                cursor,
                model._meta.db_table,
                list(zip(columns, types, strict=True)),
                zip(*values, strict=True),
            )
        # Identifiers come from model metadata, values travel as data: nothing from input is spliced.
        sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(selects)} "
        sql += f"FROM {stage} AS t" if stage else f"FROM unnest({arrays}) AS t({', '.join(columns)})"
        sql += _conflict_clause(model, conflict, update, returning)
        if returning_inserted:
            # A row the statement inserted has no deleting transaction yet: PostgreSQL's own
            # way of telling an insert from the update of an upsert.
            sql += ", (xmax = 0)" if returning else " RETURNING (xmax = 0)"
        cursor.execute(sql, [] if stage else values)
        return cursor.fetchall() if returning or returning_inserted else []


def _conflict_clause(
    model: type[models.Model], conflict: Sequence[str], update: Sequence[str], returning: Sequence[str]
) -> str:
    sql = ""
    if conflict:
        target = ", ".join(model._meta.get_field(name).column for name in conflict)
        if update:
            sets = ", ".join(
                f"{model._meta.get_field(name).column} = EXCLUDED.{model._meta.get_field(name).column}"
                for name in update
            )
            sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
        else:
            sql += f" ON CONFLICT ({target}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(model._meta.get_field(name).column for name in returning)
    return sql


def bulk_update_by_pk(
    model: type[models.Model], rows: Sequence[dict[str, Any]], fields: Sequence[str]
) -> None:
    """Set `fields` on the rows whose primary key is row["id"], in one statement on PostgreSQL."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objects = []
        for row in rows:
            obj = model(pk=row["id"])
            for name in fields:
                setattr(obj, name, row[name])
            objects.append(obj)
        model.objects.bulk_update(objects, list(fields), batch_size=500)
        return
    pk = model._meta.pk
    model_fields = [model._meta.get_field(name) for name in fields]
    columns = [field.column for field in model_fields]
    arrays = ", ".join([f"%b::{_array_type(pk)}", *(f"%b::{_array_type(field)}" for field in model_fields)])
    sets = ", ".join(f"{col} = t.{col}" for col in columns)
    sql = (
        f"UPDATE {model._meta.db_table} AS m SET {sets} "  # noqa: S608 - identifiers from model metadata
        f"FROM unnest({arrays}) AS t(__pk, {', '.join(columns)}) WHERE m.{pk.column} = t.__pk"
    )
    with binary_cursor() as cursor:
        cursor.execute(
            sql, [[int(row["id"]) for row in rows], *(_column_values(f, rows) for f in model_fields)]
        )
