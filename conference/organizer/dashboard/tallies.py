"""Running counts behind the dashboard: connections by hour and roles, contacts saved per attendee.

Counting a large conference's connections on every refresh would take longer than the dashboard
may take (docs/benchmarks.md), so the database keeps the counts itself. Triggers on `connection` (insert, delete, a contact removed by
account deletion, a changed time) and on `attendee` (a changed role, a deleted account) add rows of
+1 and -1 to `connection_tally` and `attendee_tally`: every path that changes connections is
counted (saves, scan syncs, removals, account and retention deletions, imports, plain SQL), and
saves never wait for each other on a shared counter row. A key's count is the sum of its rows;
`fold` merges them (the dashboard's refresh does, so there are about as many rows as keys), and
`rebuild` counts everything afresh.

What is counted, for connections whose owner still exists: per (hour saved, owner's role,
contact's role or "" for a removed contact) and per attendee (contacts saved, people who saved
them). The attendee rows are deleted with the attendee, before their connections go, so a
deletion is counted once whether our code deletes the rows first or PostgreSQL cascades.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import delete, event, func, insert, literal_column, or_, select, text, tuple_

from conference import dialects
from conference.attendees.models import Attendee
from conference.contacts.models import Connection
from conference.extensions import db
from conference.organizer.dashboard.models import AttendeeTally, ConnectionTally


def _hour_sql(database: str, column: str) -> str:
    return dialects.sql_text(dialects.hour_of(literal_column(column)), database)


def _connection_changes(database: str, row: str, sign: str) -> list[str]:
    """Statements counting one connection (`row` is NEW or OLD) in or out (`sign` is "" or "-")."""
    hour = _hour_sql(database, f"{row}.created_at")
    return [
        f"""INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)
        SELECT {row}.conference_id, {hour}, o.role,
               COALESCE((SELECT c.role FROM attendee c WHERE c.id = {row}.contact_id), ''), {sign}1
        FROM attendee o WHERE o.id = {row}.owner_id
          AND EXISTS (SELECT 1 FROM conference WHERE id = {row}.conference_id)""",
        f"""INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)
        SELECT a.conference_id, a.id, CASE WHEN a.id = {row}.owner_id THEN {sign}1 ELSE 0 END,
               CASE WHEN a.id = {row}.contact_id THEN {sign}1 ELSE 0 END
        FROM attendee a WHERE a.id IN ({row}.owner_id, {row}.contact_id)
          AND EXISTS (SELECT 1 FROM attendee o WHERE o.id = {row}.owner_id)
          AND EXISTS (SELECT 1 FROM conference WHERE id = a.conference_id)""",
    ]


def _saved_as(database: str, role: str, sign: str) -> str:
    """The attendee's (OLD) own saves counted in or out as if their role were `role`."""
    hour = _hour_sql(database, "x.created_at")
    return f"""INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)
        SELECT x.conference_id, {hour}, {role}, COALESCE(c.role, ''), {sign}count(*)
        FROM connection x LEFT JOIN attendee c ON c.id = x.contact_id
        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)
        GROUP BY x.conference_id, {hour}, COALESCE(c.role, '')"""


def _saved_by_as(database: str, role: str, sign: str) -> str:
    """Others' saves of the attendee (OLD) counted in or out as if their role were `role`."""
    hour = _hour_sql(database, "x.created_at")
    return f"""INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)
        SELECT x.conference_id, {hour}, o.role, {role}, {sign}count(*)
        FROM connection x JOIN attendee o ON o.id = x.owner_id
        WHERE x.contact_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)
        GROUP BY x.conference_id, {hour}, o.role"""


def _role_change(database: str) -> list[str]:
    return [_saved_as(database, "OLD.role", "-"), _saved_as(database, "NEW.role", ""),
            _saved_by_as(database, "OLD.role", "-"), _saved_by_as(database, "NEW.role", "")]


def _account_deleted(database: str) -> list[str]:
    # Their saves go; others' saves of them stay, as saves of a removed attendee ("").
    return [_saved_as(database, "OLD.role", "-"), _saved_by_as(database, "OLD.role", "-"),
            _saved_by_as(database, "''", ""),
            """INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)
        SELECT c.conference_id, c.id, 0, -count(*)
        FROM connection x JOIN attendee c ON c.id = x.contact_id
        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = c.conference_id)
        GROUP BY c.conference_id, c.id""",
            "DELETE FROM attendee_tally WHERE attendee_id = OLD.id"]


LOCK_KEY = 7_304_001  # advisory locks (LOCK_KEY, conference id): its tallies; (LOCK_KEY + 1, id): folding them

MOVED_COLUMNS = ("conference_id", "owner_id", "contact_id", "created_at")


def _moved(database: str) -> str:
    """A connection's counted columns changed (a condition on OLD and NEW)."""
    return dialects.sql_text(or_(*(literal_column(f"OLD.{c}").is_distinct_from(literal_column(f"NEW.{c}"))
                                   for c in MOVED_COLUMNS)), database)


def _role_changed(database: str) -> str:
    return dialects.sql_text(literal_column("OLD.role").is_distinct_from(literal_column("NEW.role")), database)


def _postgresql_triggers() -> list[str]:
    # Saves look up the two people's roles; a role change moves the counts of the connections it
    # can see. Without a lock, a save not yet committed would be counted under the old role and
    # never moved, so per conference saves take a shared lock and role changes an exclusive one
    # (held until commit; in-memory advisory locks, no row is written).
    database = "postgresql"
    body = dialects.postgresql_statements
    return [
        dialects.postgresql_trigger_function("tally_connection", f"""\
    PERFORM pg_advisory_xact_lock_shared({LOCK_KEY}, CASE WHEN TG_OP = 'DELETE' THEN OLD.conference_id
                                                          ELSE NEW.conference_id END);
    IF TG_OP = 'UPDATE' AND OLD.conference_id <> NEW.conference_id THEN
        PERFORM pg_advisory_xact_lock_shared({LOCK_KEY}, OLD.conference_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
{body(_connection_changes(database, "OLD", "-"))}    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
{body(_connection_changes(database, "NEW", ""))}    END IF;
    RETURN NULL;
"""),
        # BEFORE: each row's trigger sees the roles as earlier rows of the same UPDATE left them.
        dialects.postgresql_trigger_function("tally_attendee", f"""\
    IF TG_OP = 'UPDATE' THEN
        PERFORM pg_advisory_xact_lock({LOCK_KEY}, OLD.conference_id);
{body(_role_change(database))}        RETURN NEW;
    END IF;
    -- A deleted account changes no role: like a save, it only has to wait for role changes.
    PERFORM pg_advisory_xact_lock_shared({LOCK_KEY}, OLD.conference_id);
{body(_account_deleted(database))}    RETURN OLD;
"""),
        *dialects.postgresql_trigger("tally_connection", "AFTER INSERT OR DELETE", "connection", "tally_connection"),
        *dialects.postgresql_trigger("tally_connection_moved", f"AFTER UPDATE OF {', '.join(MOVED_COLUMNS)}",
                                     "connection", "tally_connection", _moved(database)),
        *dialects.postgresql_trigger("tally_attendee_deleted", "BEFORE DELETE", "attendee", "tally_attendee"),
        *dialects.postgresql_trigger("tally_attendee_role", "BEFORE UPDATE OF role", "attendee", "tally_attendee",
                                     _role_changed(database)),
    ]


def _sqlite_triggers() -> list[str]:
    # One writer at a time: no locks. One trigger per change, as SQLite triggers run statements inline.
    database = "sqlite"
    return [
        *dialects.sqlite_trigger("tally_connection_added", "AFTER INSERT", "connection",
                                 _connection_changes(database, "NEW", "")),
        *dialects.sqlite_trigger("tally_connection_removed", "AFTER DELETE", "connection",
                                 _connection_changes(database, "OLD", "-")),
        *dialects.sqlite_trigger("tally_connection_moved", f"AFTER UPDATE OF {', '.join(MOVED_COLUMNS)}",
                                 "connection", _connection_changes(database, "OLD", "-")
                                 + _connection_changes(database, "NEW", ""), _moved(database)),
        # SQLite runs a row's AFTER trigger before the next row is changed, as PostgreSQL's BEFORE does.
        *dialects.sqlite_trigger("tally_attendee_role", "AFTER UPDATE OF role", "attendee", _role_change(database),
                                 _role_changed(database)),
        *dialects.sqlite_trigger("tally_attendee_deleted", "BEFORE DELETE", "attendee", _account_deleted(database)),
    ]


TRIGGERS = {"postgresql": _postgresql_triggers, "sqlite": _sqlite_triggers}


def trigger_ddl(database: str) -> list[str]:
    """The statements that (re)create the triggers, for "postgresql" or "sqlite"."""
    return TRIGGERS[database]()


@event.listens_for(db.metadata, "after_create")
def _install_triggers(metadata, connection, **kw) -> None:
    """create_all (tests, benchmarks) gets the triggers the migration installs."""
    for statement in trigger_ddl(dialects.database_of(connection)):
        connection.exec_driver_sql(statement)


def counted_connections(conference_id: int) -> dict[tuple[datetime, str, str], int]:
    """(hour in UTC, owner's role, contact's role or "") -> connections, from the tallies."""
    counts: Counter = Counter()
    for hour, owner_role, contact_role, n in db.session.execute(
            select(ConnectionTally.hour, ConnectionTally.owner_role, ConnectionTally.contact_role,
                   func.sum(ConnectionTally.n))
            .where(ConnectionTally.conference_id == conference_id)
            .group_by(ConnectionTally.hour, ConnectionTally.owner_role, ConnectionTally.contact_role)):
        counts[(hour, owner_role, contact_role)] += int(n)
    return {key: n for key, n in counts.items() if n}


def counted_attendees(conference_id: int) -> dict[int, tuple[int, int]]:
    """attendee id -> (contacts saved, people who saved them), from the tallies; zeros left out."""
    rows = db.session.execute(
        select(AttendeeTally.attendee_id, func.sum(AttendeeTally.saved), func.sum(AttendeeTally.saved_by))
        .where(AttendeeTally.conference_id == conference_id).group_by(AttendeeTally.attendee_id))
    return {attendee_id: (int(s), int(b)) for attendee_id, s, b in rows if s or b}


def _recounted_connections(conference_id: int):
    """(conference, hour, owner's role, contact's role or "", n) counted from the connections."""
    x, hour = Connection.__table__, dialects.hour_of(Connection.created_at)
    owner, contact = Attendee.__table__.alias("o"), Attendee.__table__.alias("c")
    contact_role = func.coalesce(contact.c.role, literal_column("''"))
    return (select(x.c.conference_id, hour.label("hour"), owner.c.role.label("owner_role"),
                   contact_role.label("contact_role"), func.count().label("n"))
            .select_from(x.join(owner, owner.c.id == x.c.owner_id).outerjoin(contact, contact.c.id == x.c.contact_id))
            .where(x.c.conference_id == conference_id)
            .group_by(x.c.conference_id, hour, owner.c.role, contact_role))


RECOUNT_ATTENDEES = """SELECT a.conference_id, a.id AS attendee_id, COALESCE(s.n, 0) AS saved, COALESCE(b.n, 0) AS saved_by
        FROM attendee a
        LEFT JOIN (SELECT owner_id, count(*) AS n FROM connection GROUP BY owner_id) s ON s.owner_id = a.id
        LEFT JOIN (SELECT contact_id, count(*) AS n FROM connection WHERE contact_id IS NOT NULL
                   GROUP BY contact_id) b ON b.contact_id = a.id
        WHERE a.conference_id = :conference AND (s.n IS NOT NULL OR b.n IS NOT NULL)"""


def recounted_connections(conference_id: int) -> dict[tuple[datetime, str, str], int]:
    """The same as counted_connections, counted from the connections themselves."""
    return {(r.hour, r.owner_role, r.contact_role): r.n
            for r in db.session.execute(_recounted_connections(conference_id))}


def recounted_attendees(conference_id: int) -> dict[int, tuple[int, int]]:
    """The same as counted_attendees, counted from the connections themselves."""
    return {r.attendee_id: (r.saved, r.saved_by)
            for r in db.session.execute(text(RECOUNT_ATTENDEES), {"conference": conference_id})}


def rebuild(conference_id: int) -> None:
    """Count one conference's connections afresh (after bulk loads with triggers off, or to check)."""
    # No saves while counting: a save committed between the delete and the count would count twice.
    dialects.lock_tables_for_counting(Connection.__table__, Attendee.__table__)
    db.session.execute(delete(ConnectionTally).where(ConnectionTally.conference_id == conference_id))
    db.session.execute(delete(AttendeeTally).where(AttendeeTally.conference_id == conference_id))
    t = ConnectionTally
    db.session.execute(insert(t).from_select([t.conference_id, t.hour, t.owner_role, t.contact_role, t.n],
                                             _recounted_connections(conference_id)))
    db.session.execute(text("INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by) "
                            + RECOUNT_ATTENDEES), {"conference": conference_id})
    db.session.flush()


def fold(conference_id: int) -> None:
    """Merge each key's rows into one (and drop keys that sum to zero); the sums stay the same.

    Rows are taken with DELETE … RETURNING, so rows added by saves meanwhile are left for the next
    fold. One fold of a conference runs at a time (two would delete the same rows in different
    orders): a fold that finds another one running leaves it to that one."""
    if not dialects.try_advisory_lock(LOCK_KEY + 1, conference_id):
        return
    t = ConnectionTally
    keys = select(t.hour, t.owner_role, t.contact_role).where(t.conference_id == conference_id).group_by(
        t.hour, t.owner_role, t.contact_role).having((func.count() > 1) | (func.sum(t.n) == 0))
    merged: Counter = Counter()
    for hour, owner_role, contact_role, n in db.session.execute(
            delete(t).where(t.conference_id == conference_id, tuple_(t.hour, t.owner_role, t.contact_role).in_(keys))
            .returning(t.hour, t.owner_role, t.contact_role, t.n)):
        merged[(hour, owner_role, contact_role)] += n
    rows = [dict(conference_id=conference_id, hour=h, owner_role=o, contact_role=c, n=n)
            for (h, o, c), n in merged.items() if n]
    if rows:
        db.session.execute(insert(t), rows)
    a = AttendeeTally
    ids = select(a.attendee_id).where(a.conference_id == conference_id).group_by(a.attendee_id).having(
        (func.count() > 1) | ((func.sum(a.saved) == 0) & (func.sum(a.saved_by) == 0)))
    # Rows of attendees being deleted at this moment are left alone, so a fold never waits for a
    # deletion that waits for the fold.
    mine = dialects.skip_locked(
        select(a.id).join(Attendee, Attendee.id == a.attendee_id)
        .where(a.conference_id == conference_id, a.attendee_id.in_(ids)), a.__table__, Attendee.__table__)
    sums: dict[int, list[int]] = {}
    for attendee_id, saved, saved_by in db.session.execute(
            delete(a).where(a.id.in_(mine)).returning(a.attendee_id, a.saved, a.saved_by)):
        total = sums.setdefault(attendee_id, [0, 0])
        total[0] += saved
        total[1] += saved_by
    rows = [dict(conference_id=conference_id, attendee_id=i, saved=s, saved_by=b)
            for i, (s, b) in sums.items() if s or b]
    if rows:
        db.session.execute(insert(a), rows)
    db.session.flush()
