"""The dashboard's running tallies stay equal to counting the connections afresh, whatever changes them."""
import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import case, create_engine, delete, func, select, text, update

from conference.attendees.models import Attendee
from conference.contacts.models import Connection
from conference.contacts.operations import remove_contact, save_contact
from conference.errors import DomainError
from conference.extensions import db
from conference.organizer.dashboard import stats, tallies
from conference.organizer.dashboard.models import AttendeeTally, ConnectionTally
from conference.privacy.operations import delete_account
from conference.retention.operations import purge_attendees
from conference.scanner.operations import save_scans
from conference import create_app
from tests.conftest import DATABASE_URL, ON_POSTGRES, test_config
from tests.factories import make_attendee, make_conference
from tests.organizer_factories import connect


def assert_tallies_exact(conference) -> None:
    """Tallies equal a recount, before and after folding; folding leaves one row a key."""
    db.session.expire_all()
    expected = (tallies.recounted_connections(conference.id), tallies.recounted_attendees(conference.id))
    assert (tallies.counted_connections(conference.id), tallies.counted_attendees(conference.id)) == expected
    tallies.fold(conference.id)
    db.session.commit()
    assert (tallies.counted_connections(conference.id), tallies.counted_attendees(conference.id)) == expected
    rows = db.session.scalar(select(func.count()).select_from(ConnectionTally)
                             .where(ConnectionTally.conference_id == conference.id))
    people = db.session.scalar(select(func.count()).select_from(AttendeeTally)
                               .where(AttendeeTally.conference_id == conference.id))
    assert (rows, people) == (len(expected[0]), len(expected[1]))


def people(conference, *roles):
    return [make_attendee(conference, role=role) for role in roles]


def test_saves_resaves_scans_and_removals_are_counted_exactly(app):
    conference = make_conference()
    p1, p2, a1, d1 = people(conference, "principal", "principal", "aspiring_principal", "district_leader")
    save_contact(p1, a1, note="met at the keynote")
    save_contact(a1, p1)
    save_contact(p1, a1, note="saved again: one connection")
    db.session.commit()
    assert tallies.counted_connections(conference.id).values() and sum(
        tallies.counted_connections(conference.id).values()) == 2
    assert_tallies_exact(conference)
    u = [uuid.uuid4() for _ in range(4)]
    save_scans(d1, [(u[0], p2, "", datetime(2026, 7, 9, 13, 5)), (u[1], a1, "", None)])
    save_scans(p2, [(u[2], p1, "", None), (u[3], d1, "booth", datetime(2026, 7, 9, 15, 40))])
    save_scans(p2, [(u[2], p1, "", None)])  # the same scan sent twice saves once
    save_scans(a1, [(uuid.uuid4(), p1, "a note for a contact saved before", None)])
    db.session.commit()
    assert_tallies_exact(conference)
    mine = db.session.scalar(select(Connection.id).where(Connection.owner_id == p1.id, Connection.contact_id == a1.id))
    remove_contact(p1, mine)
    db.session.commit()
    assert_tallies_exact(conference)
    assert stats.overview(conference).connections == db.session.scalar(
        select(func.count()).select_from(Connection).where(Connection.conference_id == conference.id))


def test_role_changes_move_counts_between_cells(app):
    conference = make_conference()
    p1, p2, a1, t1 = people(conference, "principal", "principal", "aspiring_principal", "teacher_leader")
    for owner, contact in ((p1, a1), (a1, p1), (p2, a1), (t1, p1), (p1, p2)):
        connect(owner, contact, datetime(2026, 7, 9, 14, 5))
    a1.role = "assistant_principal"
    db.session.commit()
    assert_tallies_exact(conference)
    # One statement changing two connected people's roles at once (as an import's bulk update does).
    db.session.execute(update(Attendee).where(Attendee.id.in_([p1.id, a1.id]))
                       .values(role=case((Attendee.id == p1.id, "district_leader"), else_="other")))
    db.session.commit()
    assert_tallies_exact(conference)
    assert stats.role_matrix(conference).cell("district_leader", "other").raw == 2
    p2.name = "A new name, same role"
    db.session.commit()
    assert_tallies_exact(conference)


def test_account_and_retention_deletions_are_counted_exactly(app):
    conference, other = make_conference(), make_conference()
    p1, p2, a1, d1 = people(conference, "principal", "principal", "aspiring_principal", "district_leader")
    (x1,) = people(other, "principal")
    for owner, contact in ((p1, a1), (a1, p1), (p2, a1), (d1, a1), (a1, d1), (p1, p2)):
        connect(owner, contact, datetime(2026, 7, 9, 16, 30))
    delete_account(a1)  # their saves go; others' saves of them stay as "removed attendee" rows
    db.session.commit()
    assert_tallies_exact(conference)
    assert sum(n for (_, _, contact), n in tallies.counted_connections(conference.id).items() if not contact) == 3
    overview = stats.overview(conference)
    assert (overview.connections, overview.savers, overview.connected_people) == (4, 3, 3)
    purge_attendees(conference)
    db.session.commit()
    assert_tallies_exact(conference)
    assert tallies.counted_connections(conference.id) == {} and tallies.counted_attendees(conference.id) == {}
    assert db.session.get(Attendee, x1.id) is not None


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite runs without foreign key actions: our code deletes dependents first")
def test_deletions_the_database_cascades_are_counted_exactly(app):
    conference = make_conference()
    p1, p2, a1, d1 = people(conference, "principal", "principal", "aspiring_principal", "district_leader")
    for owner, contact in ((p1, a1), (a1, p1), (p2, a1), (a1, d1), (d1, p2)):
        connect(owner, contact, datetime(2026, 7, 9, 16, 30))
    db.session.execute(delete(Attendee).where(Attendee.id.in_([a1.id, p2.id])))
    db.session.commit()
    assert_tallies_exact(conference)
    db.session.delete(conference)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ConnectionTally)) == 0


def test_rebuild_counts_afresh(app):
    conference = make_conference()
    p1, a1 = people(conference, "principal", "aspiring_principal")
    connect(p1, a1, datetime(2026, 7, 9, 14, 5))
    connect(a1, p1, datetime(2026, 7, 9, 15, 5))
    db.session.execute(delete(ConnectionTally))
    db.session.execute(delete(AttendeeTally))
    db.session.add(ConnectionTally(conference_id=conference.id, hour=datetime(2026, 7, 9, 9), owner_role="other",
                                   contact_role="", n=7))
    db.session.commit()
    assert stats.overview(conference).connections == 0
    result = app.test_cli_runner().invoke(args=["rebuild-tallies", "--conference", conference.slug])
    assert result.exit_code == 0, result.output
    assert "2 connections counted in 2 hour and role cells, 2 people with contacts" in result.output
    assert_tallies_exact(conference)
    assert stats.overview(conference).connections == 2


def test_the_median_counts_joined_people_who_saved_nobody():
    assert stats._median({}) == 0.0
    assert stats._median({0: 3}) == 0.0
    assert stats._median({0: 1, 1: 1, 5: 1}) == 1.0
    assert stats._median({0: 2, 3: 1, 4: 1}) == 1.5
    assert stats._median({2: 2, 7: 2}) == 4.5


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has one writer at a time: nothing runs at the same moment")
def test_saves_role_changes_and_folds_at_the_same_moment_stay_exact(app):
    """Without the triggers' advisory locks, a save in flight during a role change kept the old role."""
    import random
    import threading
    import time

    conference = make_conference()
    conference_id = conference.id
    ids = [a.id for a in people(conference, *["principal", "aspiring_principal", "teacher_leader"] * 4)]
    db.session.remove()
    stop, failures = time.monotonic() + 2, []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        with app.app_context():
            while time.monotonic() < stop:
                try:
                    a, b = (db.session.get(Attendee, i) for i in rng.sample(ids, 2))
                    if seed == 0:
                        a.role = rng.choice(["principal", "other", "district_leader"])
                    elif seed == 1:
                        tallies.fold(conference_id)
                    elif rng.random() < 0.8:
                        save_contact(a, b)
                    else:
                        saved = db.session.scalar(select(Connection.id).where(Connection.owner_id == a.id).limit(1))
                        if saved:
                            remove_contact(a, saved)
                    db.session.commit()
                except DomainError:  # another thread removed that same contact a moment before: nothing to count
                    db.session.rollback()
                except Exception as error:  # noqa: BLE001  (reported below)
                    db.session.rollback()
                    failures.append(repr(error))
            db.session.remove()

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    conference = db.session.get(type(conference), conference_id)
    assert sum(tallies.recounted_connections(conference_id).values()) > 10
    assert_tallies_exact(conference)


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has one writer at a time: nothing runs at the same moment")
def test_a_fold_passes_over_an_account_being_deleted_without_waiting(app):
    conference = make_conference()
    p1, p2, a1 = people(conference, "principal", "principal", "aspiring_principal")
    for owner, contact in ((p1, a1), (a1, p1), (p2, a1), (a1, p2), (p1, p2)):
        connect(owner, contact, datetime(2026, 7, 9, 16, 30))
    conference_id, deleted = conference.id, a1.id
    with db.engine.connect() as other:  # a deletion of a1, not yet committed
        other.execute(text("DELETE FROM connection WHERE owner_id = :id OR contact_id = :id"), {"id": deleted})
        other.execute(delete(Attendee).where(Attendee.id == deleted))
        db.session.execute(text("SET LOCAL lock_timeout = '3s'"))  # waiting would fail the fold
        tallies.fold(conference_id)
        db.session.commit()
        other.commit()
    assert_tallies_exact(db.session.get(type(conference), conference_id))


def _triggers_held() -> dict[str, str]:
    """The triggers (and, on PostgreSQL, trigger functions) the app's database holds, by name."""
    if ON_POSTGRES:
        return dict(db.session.execute(text(
            "SELECT 'trigger ' || t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal "
            "UNION ALL SELECT 'function ' || p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.prorettype = 'trigger'::regtype")).all())
    return dict(db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all())


@pytest.fixture
def migrated_app(tmp_path):
    """The app on a database of its own, built by the migrations (as `flask db upgrade` does)."""
    if ON_POSTGRES:
        name = f"pln_triggers_{uuid.uuid4().hex[:8]}"
        admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    migrated = create_app(test_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
    with migrated.app_context():
        upgrade()
        yield migrated
        db.session.remove()
        db.engine.dispose()
    if ON_POSTGRES:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migrations_install_the_triggers_the_code_installs(app, migrated_app):
    """A database built by the migrations holds the same tally triggers as one built by create_all
    (tallies.trigger_ddl): a change to the triggers in the code needs a migration that installs it."""
    migrated = _triggers_held()
    with app.app_context():
        created = _triggers_held()
    assert created and migrated == created
    database = "postgresql" if ON_POSTGRES else "sqlite"
    ddl = tallies.trigger_ddl(database)
    if ON_POSTGRES:  # the functions' bodies as written
        bodies = dict(db.session.execute(text(
            "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.prorettype = 'trigger'::regtype")).all())
        assert bodies == {re.match(r"CREATE OR REPLACE FUNCTION (\w+)\(", s).group(1): s.split("$$")[1]
                          for s in ddl if s.startswith("CREATE OR REPLACE FUNCTION")}
    else:  # SQLite keeps each CREATE TRIGGER statement as written
        assert migrated == {re.match(r"CREATE TRIGGER (\w+) ", s).group(1): s
                            for s in ddl if s.startswith("CREATE TRIGGER")}


def test_the_latest_migration_with_trigger_statements_has_the_code_s_statements():
    """The migration that last (re)installed the triggers keeps a copy of tallies.trigger_ddl, for
    both databases."""
    scripts = ScriptDirectory(str(Path(__file__).resolve().parent.parent / "migrations"))
    latest = next(script.module for script in scripts.walk_revisions() if hasattr(script.module, "TRIGGERS"))
    assert {database: tallies.trigger_ddl(database) for database in ("postgresql", "sqlite")} == latest.TRIGGERS
