"""The card's one statement, the one upsert that saves a contact, and tags kept as a JSON list."""
from __future__ import annotations

import uuid
from datetime import date

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite

from conference import create_app
from conference.contacts.cards import CARD, card_for
from conference.contacts.models import Connection
from conference.contacts.operations import connection_between, save_contact, save_from_card
from conference.dialects import json_rows
from conference.extensions import db
from conference.interests.models import Interest
from conference.scanner.operations import save_scans
from tests.conftest import ON_POSTGRES, test_config
from tests.factories import make_attendee, make_conference
from tests.test_app import empty_database_url  # noqa: F401  (a fixture)

BEFORE_JSON_TAGS = "e0d89f4cc458"


def test_the_card_statement_compiles_for_both_databases():
    on_postgres = str(CARD.compile(dialect=postgresql.dialect()))
    on_sqlite = str(CARD.compile(dialect=sqlite.dialect()))
    assert on_postgres.count("json_agg(json_build_array(") == 3 and "json_group_array" not in on_postgres
    assert on_sqlite.count("json_group_array(json_array(") == 3 and "json_agg" not in on_sqlite
    assert {"code", "viewer", "version", "now"} <= set(CARD.compile(dialect=postgresql.dialect()).params)
    assert "saved_tags" in CARD.selected_columns and "viewer_interests" in CARD.selected_columns


def test_json_rows_aggregates_rows_on_the_database_in_use(app):
    conference = make_conference()
    rows = db.session.scalar(select(json_rows(Interest.name, Interest.position))
                             .where(Interest.conference_id == conference.id, Interest.position < 2))
    assert sorted(map(tuple, rows)) == sorted(db.session.execute(
        select(Interest.name, Interest.position).where(Interest.conference_id == conference.id,
                                                       Interest.position < 2)).all())
    assert not db.session.scalar(select(json_rows(Interest.name)).where(Interest.id == -1))


def test_the_card_reads_typed_values(app):
    conference = make_conference(closes_on=date(2099, 7, 20))
    viewer, subject = make_attendee(conference), make_attendee(conference, offers=("Scheduling",))
    save_contact(viewer, subject, note="Coffee", tags="mentor, scheduling")
    db.session.commit()
    card = card_for(subject.badge_code, viewer.id)
    assert card.subject.conference.closes_on == date(2099, 7, 20)
    assert card.connection.tag_list == ["mentor", "scheduling"] and card.connection.tags == "mentor,scheduling"
    assert [i.interest.name for i in card.subject.interests] == ["Scheduling"]
    assert card.viewer.id == viewer.id and card.viewer.meetings_waiting == 0 and card.saved_me is False


def test_a_save_then_a_read_in_the_same_session_shows_the_new_note(app):
    conference = make_conference()
    owner, contact = make_attendee(conference), make_attendee(conference)
    first = save_contact(owner, contact, note="First", tags="mentor")
    db.session.commit()
    loaded = connection_between(owner, contact)  # the session now holds this row
    assert loaded is first
    again = save_contact(owner, contact, note="Second", tags="follow up")
    assert again is loaded and loaded.note == "Second" and loaded.tags == "follow up"
    saved = save_from_card(card_for(contact.badge_code, owner.id, for_update=True), note="Third", tags="")
    assert saved.note == "Third" and loaded.note == "Third" and loaded.tag_list == []
    save_scans(owner, [(uuid.uuid4(), contact, "From the hall", None)])
    assert loaded.note == "Third\n\nFrom the hall" and db.session.get(Connection, saved.id) is loaded
    db.session.commit()


def test_the_migration_turns_comma_tags_into_json_lists_and_back(tmp_path, empty_database_url):  # noqa: F811
    app = create_app(test_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    typed = ["", "mentor", "scheduling,follow up", 'said "hi",back\\slash,ñandú']
    with app.app_context():
        upgrade(revision=BEFORE_JSON_TAGS)
        db.session.execute(text("INSERT INTO conference (slug, name, timezone, venue, joining_open, created_at) "
                                "VALUES ('c1', 'C', 'UTC', '', true, CURRENT_TIMESTAMP)"))
        for n in range(len(typed) + 1):
            db.session.execute(text(
                "INSERT INTO attendee (conference_id, badge_code, name, email, role, school, district, state, "
                "hidden, joined_at) VALUES (1, :code, :name, NULL, 'principal', '', '', '', false, CURRENT_TIMESTAMP)"),
                {"code": f"AAAA2222BB{n:02d}", "name": f"Person {n}"})
        for n, tags in enumerate(typed):
            db.session.execute(text(
                "INSERT INTO connection (conference_id, owner_id, contact_id, note, tags, created_at, updated_at) "
                "VALUES (1, 1, :contact, '', :tags, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"contact": n + 2, "tags": tags})
        db.session.commit()
        triggers = text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'" if not ON_POSTGRES else
                        "SELECT count(*) FROM information_schema.triggers")
        before = db.session.scalar(triggers)
        upgrade()
        assert db.session.scalar(triggers) == before > 0  # the tally triggers on connection are kept
        assert list(db.session.scalars(select(Connection.tag_list).order_by(Connection.id))) == [
            [], ["mentor"], ["scheduling", "follow up"], ['said "hi"', "back\\slash", "ñandú"]]
        db.session.remove()
        downgrade(revision=BEFORE_JSON_TAGS)
        assert list(db.session.scalars(text("SELECT tags FROM connection ORDER BY id"))) == typed
        assert db.session.scalar(triggers) == before
        db.session.remove()
        db.engine.dispose()
