"""Each function of conference/dialects.py on the database the tests run on (SQLite, or PostgreSQL
with TEST_DATABASE_URL): the same results on both, and PostgreSQL's locks where it has them."""
from datetime import datetime

from sqlalchemy import JSON, bindparam, func, literal_column, select, text

from conference import dialects
from conference.attendees.models import Attendee
from conference.contacts.models import Connection
from conference.extensions import db
from conference.interests.models import Interest
from conference.organizer.dashboard.models import AttendeeTally
from tests.conftest import ON_POSTGRES
from tests.factories import make_attendee, make_conference
from tests.organizer_factories import connect


def test_the_database_is_named_as_the_tests_run_it(app):
    assert dialects.database_of() == ("postgresql" if ON_POSTGRES else "sqlite")
    assert dialects.database_of(db.engine) == dialects.database_of()
    assert dialects.is_postgresql() == ON_POSTGRES


def test_bulk_insert_adds_rows_with_python_defaults_in_the_session_transaction(app):
    conference = make_conference()
    dialects.bulk_insert(Attendee, [])  # nothing to insert: nothing happens
    rows = [dict(conference_id=conference.id, badge_code=f"BULK{n}", name=f"Bulk {n}", email=f"b{n}@example.org",
                 role="principal") for n in range(3)]
    dialects.bulk_insert(Attendee, rows)
    inserted = db.session.execute(select(Attendee.badge_code, Attendee.school, Attendee.hidden, Attendee.joined_at)
                                  .where(Attendee.conference_id == conference.id).order_by(Attendee.badge_code)).all()
    assert [(code, school, hidden) for code, school, hidden, _ in inserted] == [
        ("BULK0", "", False), ("BULK1", "", False), ("BULK2", "", False)]
    assert all(isinstance(joined, datetime) for *_, joined in inserted)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Attendee)
                             .where(Attendee.conference_id == conference.id)) == 0


def test_fetch_tuples_reads_plain_tuples(app):
    conference = make_conference()
    people = [make_attendee(conference, role=role) for role in ("principal", "other")]
    statement = select(Attendee.id, Attendee.role).where(Attendee.conference_id == conference.id).order_by(Attendee.id)
    rows = dialects.fetch_tuples(statement)
    assert rows == [(p.id, p.role) for p in people]
    assert all(type(row) is tuple for row in rows)
    assert dialects.fetch_tuples(select(Attendee.id).where(Attendee.id == -1)) == []


def test_in_ids_matches_any_number_of_ids_with_one_statement(app):
    conference = make_conference()
    ids = [make_attendee(conference).id for _ in range(4)]
    statement = select(Attendee.id).where(dialects.in_ids(Attendee.id, "wanted")).order_by(Attendee.id)
    for wanted in ([ids[0]], ids[1:3], ids, [], [-1]):
        assert db.session.scalars(statement, {"wanted": wanted}).all() == sorted(set(wanted) & set(ids))
    sql = str(statement.compile(dialect=db.session.get_bind().dialect))
    assert ("= ANY" in sql) == ON_POSTGRES and ("IN (" in sql) != ON_POSTGRES


def test_hour_of_groups_timestamps_by_their_hour(app):
    conference = make_conference()
    a, b = make_attendee(conference), make_attendee(conference)
    connect(a, b, datetime(2026, 7, 9, 14, 0, 0))
    connect(b, a, datetime(2026, 7, 9, 14, 59, 59, 999999))
    hour = dialects.hour_of(Connection.created_at)
    rows = db.session.execute(select(hour, func.count()).group_by(hour)).all()
    assert [tuple(r) for r in rows] == [(datetime(2026, 7, 9, 14), 2)]


def test_sql_text_writes_expressions_for_either_database():
    hour = dialects.hour_of(literal_column("NEW.created_at"))
    assert dialects.sql_text(hour, "postgresql") == "date_trunc('hour', NEW.created_at)"
    assert dialects.sql_text(hour, "sqlite") == "strftime('%Y-%m-%d %H:00:00.000000', NEW.created_at)"
    changed = literal_column("OLD.role").is_distinct_from(literal_column("NEW.role"))
    assert dialects.sql_text(changed, "postgresql") == "OLD.role IS DISTINCT FROM NEW.role"
    assert dialects.sql_text(changed, "sqlite") == "OLD.role IS NOT NEW.role"


def test_a_trigger_written_for_this_database_runs(app):
    """The trigger syntax: a row trigger with a condition, on temporary tables."""
    db.session.execute(text("CREATE TEMPORARY TABLE dialect_item (id INTEGER, n INTEGER)"))
    db.session.execute(text("CREATE TEMPORARY TABLE dialect_log (n INTEGER)"))
    if ON_POSTGRES:
        statements = [dialects.postgresql_trigger_function("dialect_logged", dialects.postgresql_statements(
                          ["INSERT INTO dialect_log (n) VALUES (NEW.n)"]) + "        RETURN NULL;\n"),
                      *dialects.postgresql_trigger("dialect_logged", "AFTER INSERT OR UPDATE OF n", "dialect_item",
                                                   "dialect_logged", "NEW.n > 1")]
    else:
        statements = dialects.sqlite_trigger("dialect_logged", "AFTER INSERT", "dialect_item",
                                             ["INSERT INTO dialect_log (n) VALUES (NEW.n)"], "NEW.n > 1")
    for statement in statements:
        db.session.connection().exec_driver_sql(statement)
    for statement in statements:  # each DROP … IF EXISTS makes the statements safe to run again
        db.session.connection().exec_driver_sql(statement)
    db.session.execute(text("INSERT INTO dialect_item (id, n) VALUES (1, 1), (2, 2), (3, 3)"))
    assert sorted(db.session.scalars(text("SELECT n FROM dialect_log"))) == [2, 3]
    db.session.rollback()


def test_try_advisory_lock_is_taken_once_at_a_time(app):
    assert dialects.try_advisory_lock(1_234, 5) is True
    if ON_POSTGRES:  # held by this transaction: another one cannot take it until it ends
        with db.engine.connect() as other:
            taken = text("SELECT pg_try_advisory_xact_lock(1234, 5)")
            assert other.scalar(taken) is False
            assert other.scalar(text("SELECT pg_try_advisory_xact_lock(1234, 6)")) is True
            other.rollback()
            db.session.commit()
            assert other.scalar(taken) is True
            other.rollback()
    db.session.rollback()


def test_lock_tables_for_counting_holds_off_writes_until_the_transaction_ends(app):
    make_conference()
    dialects.lock_tables_for_counting(Attendee.__table__)
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 0
    if ON_POSTGRES:
        modes = db.session.scalars(text(
            "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'attendee' AND l.pid = pg_backend_pid()")).all()
        assert "ShareLock" in modes
    db.session.commit()
    if ON_POSTGRES:
        assert db.session.scalar(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'attendee' AND l.mode = 'ShareLock' AND l.pid = pg_backend_pid()")) == 0


def test_skip_locked_passes_over_rows_another_transaction_holds(app):
    conference = make_conference()
    a, b, c = (make_attendee(conference) for _ in range(3))
    connect(a, b)
    connect(b, c)
    a_id = a.id
    statement = dialects.skip_locked(
        select(AttendeeTally.attendee_id).join(Attendee, Attendee.id == AttendeeTally.attendee_id)
        .where(AttendeeTally.conference_id == conference.id).order_by(AttendeeTally.attendee_id),
        AttendeeTally.__table__, Attendee.__table__)
    everyone = sorted({a.id, b.id, c.id})
    db.session.commit()
    if not ON_POSTGRES:  # no row locks: every row
        assert sorted(set(db.session.scalars(statement))) == everyone
        return
    with db.engine.connect() as other:  # as a deletion of `a` does, until it commits
        other.execute(text("SELECT id FROM attendee WHERE id = :id FOR UPDATE"), {"id": a_id})
        db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
        assert sorted(set(db.session.scalars(statement))) == [i for i in everyone if i != a_id]
        db.session.rollback()
        other.rollback()
    assert sorted(set(db.session.scalars(statement))) == everyone
    db.session.rollback()


def test_compiled_once_runs_like_the_statement_it_was_made_from(app):
    """An INSERT … ON CONFLICT kept as text: its literal values, casts and RETURNING columns hold, and
    each execution takes new parameters."""
    conference = make_conference()
    table = Interest.__table__
    statement = dialects.insert_on_conflict(table).values(
        conference_id=bindparam("conference", type_=table.c.conference_id.type), name=bindparam("name"),
        position=7, retired=False)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.conference_id, table.c.name],
        set_={table.c.position: table.c.position + 1}).returning(
        table.c.name, table.c.position, func.json_array_length(bindparam("extra", ["a", "b"], type_=JSON)))
    once = dialects.compiled_once(statement, dialects.database_of())
    assert db.session.execute(once, {"conference": conference.id, "name": "Équité"}).all() == [("Équité", 7, 2)]
    assert db.session.execute(once, {"conference": conference.id, "name": "Équité"}).all() == [("Équité", 8, 2)]
    assert db.session.execute(once, {"conference": conference.id, "name": "Budget"}).all() == [("Budget", 7, 2)]
