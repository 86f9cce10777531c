"""Where PostgreSQL and SQLite differ, in one place: one function per operation.

The app runs on SQLite (the embedded default) and on PostgreSQL (production). Code elsewhere asks
here instead of branching on the dialect's name, and each function is tested on both databases.
"""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from conference.extensions import db


def is_postgresql() -> bool:
    """The session's database is PostgreSQL (else SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


def insert_on_conflict(table):
    """INSERT … ON CONFLICT for the database in use (PostgreSQL, or SQLite 3.35+)."""
    return (postgresql.insert if is_postgresql() else sqlite.insert)(table)
