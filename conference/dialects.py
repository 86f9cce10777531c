"""Where PostgreSQL and SQLite differ, in one place: one function per operation.

The app runs on SQLite (the embedded default) and on PostgreSQL (production). Code elsewhere asks
here instead of branching on the dialect's name, and each function is tested on both databases.
"""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, DateTime, Integer, any_, bindparam, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement, TextClause
from sqlalchemy.sql.visitors import InternalTraversal

from conference.extensions import db


def is_postgresql() -> bool:
    """The session's database is PostgreSQL (else SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


def insert_on_conflict(table, database: str | None = None):
    """INSERT … ON CONFLICT for the database in use (PostgreSQL, or SQLite 3.35+), or for `database`."""
    return (postgresql.insert if (database or database_of()) == "postgresql" else sqlite.insert)(table)


def compiled_once(statement, database: str) -> TextClause:
    """`statement` compiled for `database` into a text statement with the same bind parameters and
    result columns, to keep (e.g. in a functools.cache) and execute many times. SQLAlchemy compiles
    an INSERT … ON CONFLICT again at every execution (the construct has no cache key); its text is
    compiled once."""
    compiled = statement.compile(dialect=DIALECTS[database](paramstyle="named"))
    binds = [bindparam(name, value=param.value, type_=param.type) for param, name in compiled.bind_names.items()]
    sql = compiled.string.replace("::", r"\:\:")  # PostgreSQL's casts, not bind parameters
    return text(sql).bindparams(*binds).columns(*statement.exported_columns)


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


# --- Bulk loads, reads, locks, SQL functions and trigger syntax ---

def bulk_insert(model, rows: list[dict]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL (far faster than a
    multi-row INSERT, which psycopg parses anew for every long statement), executemany on SQLite."""
    if not rows:
        return
    if not is_postgresql():
        db.session.execute(insert(model), rows)
        return
    rows = _with_defaults(model.__table__, rows)
    columns = list(rows[0])
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {model.__table__.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _with_defaults(table, rows: list[dict]) -> list[dict]:
    """Rows with every column's Python-side default filled in (COPY skips SQLAlchemy's defaults)."""
    missing = [c for c in table.columns if c.name not in rows[0] and not c.primary_key and c.default is not None]
    if not missing:
        return rows
    defaults = {c.name: c.default.arg(None) if c.default.is_callable else c.default.arg for c in missing}
    return [{**defaults, **row} for row in rows]


def fetch_tuples(statement) -> list[tuple]:
    """Every row of a Core select as a plain tuple. On PostgreSQL straight from the driver's cursor:
    hundreds of thousands of rows are read without building a SQLAlchemy row for each."""
    connection = db.session.connection()
    if not is_postgresql():
        return [tuple(row) for row in connection.execute(statement).all()]
    compiled = statement.compile(dialect=connection.dialect)
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchall()


class in_ids(ColumnElement):
    """`column IN (the ids bound as `name`)`: on PostgreSQL one integer-array parameter
    (`= ANY(:name)`), so a statement's text is the same for any number of ids and its plan is
    reused; on SQLite an expanding IN, one placeholder per id."""
    type = Boolean()
    _is_implicitly_boolean = True
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("name", InternalTraversal.dp_string)]

    def __init__(self, column, name: str) -> None:
        self.column, self.name = column, name


@compiles(in_ids)
def _in_ids(element: in_ids, compiler, **kw) -> str:
    return compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)


@compiles(in_ids, "postgresql")
def _in_ids_postgresql(element: in_ids, compiler, **kw) -> str:
    return compiler.process(element.column == any_(bindparam(element.name, type_=postgresql.ARRAY(Integer))), **kw)


class hour_of(FunctionElement):
    """The hour a timestamp falls in, as a timestamp (the start of that hour)."""
    type = DateTime()
    name = "hour_of"
    inherit_cache = True


@compiles(hour_of)
def _hour_of(element: hour_of, compiler, **kw) -> str:
    # The text SQLAlchemy writes for a DateTime on SQLite, so rows of one hour group together.
    return f"strftime('%Y-%m-%d %H:00:00.000000', {compiler.process(element.clauses, **kw)})"


@compiles(hour_of, "postgresql")
def _hour_of_postgresql(element: hour_of, compiler, **kw) -> str:
    return f"date_trunc('hour', {compiler.process(element.clauses, **kw)})"


def try_advisory_lock(key: int, subkey: int) -> bool:
    """Take the lock (key, subkey) until the transaction ends, if nobody holds it; False if someone
    does. On SQLite always True: one writer at a time already."""
    if not is_postgresql():
        return True
    return bool(db.session.scalar(select(func.pg_try_advisory_xact_lock(key, subkey))))


def lock_tables_for_counting(*tables) -> None:
    """Hold off writes to `tables` (reads go on) until the transaction ends, so a count taken now
    misses no change committed meanwhile. SQLite already allows one writer at a time."""
    if is_postgresql():
        db.session.execute(text(f"LOCK TABLE {', '.join(t.name for t in tables)} IN SHARE MODE"))


def skip_locked(statement, rows_of, keys_of):
    """A select that locks the rows it reads from `rows_of` for deletion and holds the rows of
    `keys_of` it joins against deletion (FOR KEY SHARE), skipping rows another transaction holds
    instead of waiting for them. SQLite has no row locks (and one writer at a time)."""
    return statement.suffix_with(f"FOR UPDATE OF {rows_of.name} SKIP LOCKED "
                                 f"FOR KEY SHARE OF {keys_of.name} SKIP LOCKED", dialect="postgresql")


DIALECTS = {"postgresql": postgresql.dialect, "sqlite": sqlite.dialect}


def database_of(bind=None) -> str:
    """ "postgresql" or "sqlite": the database behind `bind` (a Connection or Engine), else the session's."""
    return (bind if bind is not None else db.session.get_bind()).dialect.name


def sql_text(element, database: str) -> str:
    """A Core expression as SQL text for `database` ("postgresql" or "sqlite"), for DDL such as a
    trigger's body."""
    return str(element.compile(dialect=DIALECTS[database](), compile_kwargs={"literal_binds": True}))


def sqlite_trigger(name: str, timing: str, table: str, statements: list[str], when: str = "") -> list[str]:
    """DROP and CREATE of a SQLite row trigger running `statements` (`timing`: e.g. "AFTER INSERT")."""
    body = "".join(f"    {s};\n" for s in statements)
    when = f" WHEN {when}" if when else ""
    return [f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW{when}\nBEGIN\n{body}END"]


def postgresql_trigger(name: str, timing: str, table: str, function: str, when: str = "") -> list[str]:
    """DROP and CREATE of a PostgreSQL row trigger executing the trigger function `function`."""
    when = f" WHEN ({when})" if when else ""
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW{when} EXECUTE FUNCTION {function}()"]


def postgresql_trigger_function(name: str, body: str) -> str:
    """CREATE OR REPLACE of a PL/pgSQL trigger function; `body` is the lines between BEGIN and END."""
    return f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}END $$"


def postgresql_statements(statements: list[str], indent: str = "        ") -> str:
    """Statements as lines of a PL/pgSQL body."""
    return "".join(f"{indent}{s};\n" for s in statements)
