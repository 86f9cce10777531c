"""Where PostgreSQL and SQLite differ, in one place: one function per operation.

The app runs on SQLite (the embedded default) and on PostgreSQL (production). Code elsewhere asks
here instead of branching on the dialect's name, and each function is tested on both databases.
"""
from __future__ import annotations

from sqlalchemy import JSON
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from conference.extensions import db


def is_postgresql() -> bool:
    """The session's database is PostgreSQL (else SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


def insert_on_conflict(table):
    """INSERT … ON CONFLICT for the database in use (PostgreSQL, or SQLite 3.35+)."""
    return (postgresql.insert if is_postgresql() else sqlite.insert)(table)


class json_rows(FunctionElement):
    """An aggregate: the JSON list of one [value, …] array per row, from `json_rows(a, b, …)`.

    PostgreSQL writes it json_agg(json_build_array(…)), SQLite json_group_array(json_array(…)).
    Over no rows it is NULL on PostgreSQL and [] on SQLite; read it with `or []`."""

    type = JSON()
    name = "json_rows"
    inherit_cache = True


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element, compiler, **kw) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"
