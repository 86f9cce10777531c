"""The app as a whole: configuration, migrations, CSRF, the demo, static files."""
import re
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from conference import create_app
from conference.attendees.models import Attendee
from conference.config import normalise_database_url
from conference.contacts.models import Connection
from conference.extensions import db
from tests.conftest import DATABASE_URL, ON_POSTGRES, test_config
from tests.factories import make_attendee, make_conference, sign_in_as


def test_database_urls_are_normalised_to_psycopg3():
    assert normalise_database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"pln_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_build_exactly_the_models(tmp_path, empty_database_url):
    app = create_app(test_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == [], "models and migrations differ: run `flask db migrate`"


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--count", "20"])
    assert first.exit_code == 0, first.output
    assert "Pre-K–8 Principals Conference" in first.output
    assert len(re.findall(r"/signin/\S+", first.output)) == 4  # three attendees and the organizer
    counts = (db.session.scalar(select(func.count()).select_from(Attendee)),
              db.session.scalar(select(func.count()).select_from(Connection)))
    assert counts[0] == 20 and counts[1] > 10
    second = runner.invoke(args=["seed-demo", "--count", "20"])
    assert second.exit_code == 0
    assert counts == (db.session.scalar(select(func.count()).select_from(Attendee)),
                      db.session.scalar(select(func.count()).select_from(Connection)))
    roles = set(db.session.scalars(select(Attendee.role)))
    assert {"principal", "assistant_principal", "aspiring_principal"} <= roles


def test_post_without_csrf_token_is_refused_and_nothing_saved(tmp_path, app):
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in_as(client, me)
    from conference.badges.codes import display
    response = client.post(f"/c/{display(them.badge_code)}/save", data={"note": "no token"})
    assert response.status_code == 400
    assert "Please try that again" in response.text
    assert db.session.scalar(select(func.count()).select_from(Connection)) == 0
    join = client.post(f"/{conference.slug}/join", data={"name": "X", "email": "x@example.org", "role": "other"})
    assert join.status_code == 400
    # With the token from the page, the same save works.
    page = client.get(f"/c/{display(them.badge_code)}")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    saved = client.post(f"/c/{display(them.badge_code)}/save", data={"note": "with token", "csrf_token": token})
    assert saved.status_code == 303
    htmx_token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
    via_header = client.post(f"/c/{display(them.badge_code)}/save", data={"note": "htmx"},
                             headers={"X-CSRFToken": htmx_token, "HX-Request": "true"})
    assert via_header.status_code == 200


def test_pages_are_full_documents_and_unknown_pages_friendly(client, app):
    assert client.get("/").status_code == 200
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert client.get("/healthz").json == {"ok": True}


def test_static_files_are_cache_busted_and_compressed(client, app):
    page = client.get("/")
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{10})"', page.text).group(1)
    js = re.search(r'src="(/static/vendor/htmx-2\.0\.11\.min\.js\?v=[0-9a-f]{10})"', page.text).group(1)
    for url in (css, js):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == "gzip"
        assert "max-age=31536000" in response.headers.get("Cache-Control", "")


def test_mail_without_server_goes_to_the_outbox(app, outbox):
    from conference.mail import send_mail
    send_mail("ana@school.example.org", "Hello", "Body text")
    [message] = outbox()
    assert message["Subject"] == "Hello" and "Body text" in message.get_body().get_content()


def test_migrations_fill_name_keys_and_normalise_imported_emails(tmp_path, empty_database_url):
    """Rows written before the name keys and the one email form get them from the migrations."""
    from flask_migrate import downgrade
    app = create_app(test_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade(revision="35e73fdd1574")
        db.session.execute(text("INSERT INTO conference (slug, name, timezone, venue, joining_open, created_at) "
                                "VALUES ('c1', 'C', 'UTC', '', true, CURRENT_TIMESTAMP)"))
        for code, name, email in (("AAAA2222BBBB", "María Ñúñez-O'Brien", "maria@xn--bcher-kva.example"),
                                  ("CCCC3333DDDD", "Trần Đặng", "tran@school.example.org")):
            db.session.execute(text(
                "INSERT INTO attendee (conference_id, badge_code, name, email, role, school, district, state, "
                "hidden, joined_at) VALUES (1, :code, :name, :email, 'principal', 'Escuela Juárez', '', 'VA', "
                "false, CURRENT_TIMESTAMP)"), {"code": code, "name": name, "email": email})
        db.session.commit()
        triggers = text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'" if not ON_POSTGRES else
                        "SELECT count(*) FROM information_schema.triggers")
        before = db.session.scalar(triggers)
        upgrade()
        assert db.session.scalar(triggers) == before > 0  # adding the columns kept the tally triggers
        rows = db.session.execute(text("SELECT email, search_key, name_key FROM attendee ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            ("maria@bücher.example", "maria nunez obrien escuela juarez", "maria nunez obrien"),
            ("tran@school.example.org", "tran dang escuela juarez", "tran dang")]
        db.session.remove()
        downgrade(revision="35e73fdd1574")
        db.session.remove()
        db.engine.dispose()


def test_an_id_too_large_for_the_columns_is_a_404_on_every_route(client, app):
    """A number beyond the integer columns names nothing: no `<int:...>` route matches it (404, or 405 beside a route of another method), none answers 500."""
    conference = make_conference()
    sign_in_as(client, make_attendee(conference))
    checked = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        path = re.sub(r"<int:\w+>", "99999999999", rule.rule)
        path = re.sub(r"<(?:\w+:)?\w+>", conference.slug, path)
        response = client.open(path, method="GET" if "GET" in rule.methods else "POST")
        assert response.status_code in (404, 405), (rule.rule, response.status_code)
        checked.append(rule.rule)
    assert len(checked) >= 10
