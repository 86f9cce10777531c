"""Hardening: headers, cookies, CSRF on every POST, ownership, escaping, redirects, sizes, sign-in privacy."""
import csv
import io
import json
import re
from pathlib import Path

import pytest
import vobject
from markupsafe import escape
from sqlalchemy import func, select

from conference import create_app
from conference.auth.models import SignInToken
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.contacts.operations import save_contact
from conference.extensions import db
from conference.security import CONTENT_SECURITY_POLICY
from tests.conftest import test_config
from tests.factories import make_attendee, make_conference, sign_in_as

ROOT = Path(__file__).resolve().parent.parent


def card_url(person):
    return f"/c/{display(person.badge_code)}"


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


# --- response headers -----------------------------------------------------------------------

def test_every_response_carries_the_security_headers(client, app):
    ana = make_attendee(make_conference())
    pages = [client.get("/"), client.get("/no/such/page"), client.get("/privacy"),
             client.get("/static/app.css")]
    sign_in_as(client, ana)
    pages += [client.get("/me/badge"), client.get("/me/contacts.csv"), client.get("/me/data.json")]
    for response in pages:
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers  # plain http


def test_the_policy_is_strict_and_allows_what_the_scanner_needs():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["worker-src"] == "'self' blob:"
    assert directives["img-src"] == "'self' data: blob:" and directives["media-src"] == "'self' blob:"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'self'" and directives["form-action"] == "'self'"


def test_hsts_only_over_https(client):
    secure = client.get("/", base_url="https://pln.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_behind_a_trusted_proxy_the_forwarded_scheme_counts(tmp_path):
    trusted = create_app(test_config(tmp_path, TRUSTED_PROXIES=1)).test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "Strict-Transport-Security" in trusted.get("/healthz", headers=forwarded).headers
    untrusted = create_app(test_config(tmp_path)).test_client()
    assert "Strict-Transport-Security" not in untrusted.get("/healthz", headers=forwarded).headers


# --- cookies --------------------------------------------------------------------------------

def test_session_cookie_is_httponly_lax_and_secure_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    production = create_app(test_config(tmp_path, TESTING=False, PUBLIC_BASE_URL="https://pln.example.org"))
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    laptop = create_app(test_config(tmp_path, TESTING=False, PUBLIC_BASE_URL="http://127.0.0.1:5000"))
    assert laptop.config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")  # an explicit setting always wins
    assert create_app(test_config(tmp_path, TESTING=False)).config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    assert create_app(test_config(tmp_path, PUBLIC_BASE_URL="")).config["SESSION_COOKIE_SECURE"] is True


def test_production_session_cookie_uses_the_host_prefix(tmp_path, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    production = create_app(test_config(tmp_path, TESTING=False, PUBLIC_BASE_URL="https://pln.example.org"))
    assert production.config["SESSION_COOKIE_NAME"] == "__Host-session"
    with production.app_context():
        db.create_all()
        conference = make_conference()
        from tests.test_join import join_form
        client = production.test_client()
        response = client.post(f"/{conference.slug}/join", data=join_form(conference),
                               base_url="https://pln.example.org")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Path=/" in cookie
        assert "Domain" not in cookie
        assert client.get("/me/badge", base_url="https://pln.example.org").status_code == 200
        from tests.conftest import empty_database
        empty_database()
        db.engine.dispose()


def test_signing_in_starts_a_fresh_session(client, app):
    conference = make_conference()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    from tests.test_join import join_form
    client.post(f"/{conference.slug}/join", data=join_form(conference))
    with client.session_transaction() as session:
        assert "planted" not in session and session["attendee_id"]


def test_the_session_cookie_flags_reach_the_browser(client, app):
    conference = make_conference()
    from tests.test_join import join_form
    response = client.post(f"/{conference.slug}/join", data=join_form(conference))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.post(f"/{conference.slug}/join", data=join_form(conference, email="other@school.example.org"),
                           base_url="https://pln.example.org")
    assert "Secure" in response.headers["Set-Cookie"]


# --- no inline script or style anywhere -----------------------------------------------------

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"\bhx-on", re.I), "hx-on (htmx evaluates it as code)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


@pytest.mark.parametrize("template", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*.html")))
def test_templates_have_no_inline_script_or_style(template):
    source = (ROOT / template).read_text()
    for pattern, what in INLINE:
        match = pattern.search(source)
        assert match is None, f"{template} has {what}: {source[max(0, match.start() - 40):match.end() + 40]!r}"


# --- CSRF on every state-changing request ----------------------------------------------------

def sample_value(converter):
    """Something a URL converter accepts: CSRF is checked before any view runs, so any value routes."""
    from werkzeug.routing.converters import AnyConverter, IntegerConverter
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def test_every_post_route_refuses_a_missing_or_wrong_token(tmp_path, app):
    """Walks app.url_map, so a route added later is checked too."""
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    sign_in_as(app.test_client(), me)
    db.session.add(Connection(conference_id=conference.id, owner_id=me.id, contact_id=them.id, note="mine"))
    db.session.commit()
    connection_id = db.session.scalar(select(Connection.id))
    from conference.organizer.access.models import Organizer
    organizer = Organizer(conference_id=conference.id, email="staff@association.example.org")
    db.session.add(organizer)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in_as(client, me)
    with client.session_transaction() as session:
        session["organizer_id"] = organizer.id  # organizer routes get past their access check too
    values = {"slug": conference.slug, "code": display(them.badge_code), "connection_id": connection_id,
              "token": "x" * 43}
    before = row_counts()
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        arguments = {name: values.get(name) or sample_value(rule._converters[name]) for name in rule.arguments}
        url = app.url_map.bind("localhost").build(rule.endpoint, arguments, method="POST")
        for headers in ({}, {"X-CSRFToken": "forged", "HX-Request": "true"}):
            response = client.post(url, data={"note": "changed", "confirm": "y", "email": me.email,
                                              "name": "Changed", "role": "other"}, headers=headers)
            assert response.status_code == 400, f"POST {url} without a token answered {response.status_code}"
        checked.append(rule.endpoint)
    assert row_counts() == before
    with client.session_transaction() as session:
        assert session.get("attendee_id") == me.id  # not even signed out
    assert {"contacts.save", "contacts.note", "contacts.delete", "attendees.join", "attendees.edit",
            "auth.request_link", "auth.confirm", "auth.signout", "privacy.delete"} <= set(checked)


# --- ownership ------------------------------------------------------------------------------

def test_attendee_a_can_never_touch_bs_contacts_or_notes(client, app):
    conference = make_conference()
    a, b, c = (make_attendee(conference, name=n) for n in ("Ana A", "Bo B", "Cy C"))
    sign_in_as(client, b)
    client.post(card_url(c) + "/save", data={"note": "B's private note on C", "tags": "b-tag"})
    b_connection = db.session.scalar(select(Connection).where(Connection.owner_id == b.id))
    sign_in_as(client, a)
    bid = b_connection.id
    for method, url in [("get", f"/me/contacts/{bid}"), ("get", f"/me/contacts/{bid}/note"),
                        ("get", f"/me/contacts/{bid}/note?cancel=1"), ("post", f"/me/contacts/{bid}/note"),
                        ("post", f"/me/contacts/{bid}/delete"), ("get", f"/me/contacts/{bid}.vcf")]:
        for headers in ({}, {"HX-Request": "true"}):
            response = getattr(client, method)(url, data={"note": "hijacked", "tags": "x"}, headers=headers)
            assert response.status_code == 404, (method, url, response.status_code)
            assert "B&#39;s private note" not in response.text and "B's private note" not in response.text
    # Whole-list exports, search and my data never include B's rows.
    for url in ("/me/contacts", "/me/contacts?q=private", "/me/contacts.csv", "/me/contacts.vcf", "/me/data.json"):
        response = client.get(url)
        assert "private note" not in response.text and "b-tag" not in response.text, url
    # Saving C myself creates my own row; B's stays as it was.
    client.post(card_url(c) + "/save", data={"note": "A's note", "next": "contacts"})
    db.session.expire_all()
    assert b_connection.note == "B's private note on C" and b_connection.tags == "b-tag"
    assert db.session.scalar(select(func.count()).select_from(Connection)) == 2
    # The one account A can delete is A's own.
    client.post("/me/delete", data={"confirm": "y"})
    db.session.expire_all()
    assert b_connection.note == "B's private note on C"


# --- escaping -------------------------------------------------------------------------------

HOSTILE_NAME = '<script>alert("n")</script> O\'Neil & Co'
HOSTILE_NOTE = '"><img src=x onerror=alert(1)> </textarea><b>bold</b>'


def test_what_people_type_is_escaped_in_pages_and_fragments(client, app):
    conference = make_conference()
    me = make_attendee(conference)
    them = make_attendee(conference, name=HOSTILE_NAME, school="<i>School</i>", district="</p><h1>x</h1>")
    sign_in_as(client, them)
    client.post(card_url(me) + "/save", data={"note": "back"})
    sign_in_as(client, me)
    saved = client.post(card_url(them) + "/save", data={"note": HOSTILE_NOTE, "tags": "<b>tag</b>"},
                        headers={"HX-Request": "true"})
    connection = db.session.scalar(select(Connection).where(Connection.owner_id == me.id))
    assert connection.note == HOSTILE_NOTE
    responses = [saved, client.get(card_url(them)), client.get("/me/contacts"),
                 client.get("/me/contacts?q=%3Cscript%3E", headers={"HX-Request": "true"}),
                 client.get(f"/me/contacts/{connection.id}"),
                 client.get(f"/me/contacts/{connection.id}/note", headers={"HX-Request": "true"}),
                 client.get("/code?code=%3Cscript%3Ealert(1)%3C/script%3E"),
                 client.get("/c/%3Cscript%3E")]
    for response in responses:
        text = response.text
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>bold</b>" not in text
        assert "<i>School</i>" not in text and "<b>tag</b>" not in text
    assert str(escape(HOSTILE_NOTE)) in client.get(f"/me/contacts/{connection.id}").text
    assert str(escape(HOSTILE_NAME)) in client.get(card_url(them)).text


def test_vcard_csv_and_json_carry_hostile_text_safely(client, app):
    conference = make_conference()
    me = make_attendee(conference)
    name = "Eve\nEMAIL:evil@example.org;\\, Mallory"
    them = make_attendee(conference, name="Eve Mallory", school="=cmd|'/C calc'!A0",
                         channels={"email": ("eve@example.org", "nobody")})
    # Names are whitespace-normalised on join; put the raw hostile text straight into the row.
    them.name = name
    db.session.commit()
    sign_in_as(client, me)
    note = "=HYPERLINK(\"http://evil.example\")\nEND:VCARD\nBEGIN:VCARD\nFN:Injected"
    client.post(card_url(them) + "/save", data={"note": note, "tags": "+tag, -minus, @at"})
    connection = db.session.scalar(select(Connection))

    cards = list(vobject.readComponents(client.get("/me/contacts.vcf").text))
    assert len(cards) == 1
    card = cards[0]
    assert card.fn.value == name
    assert note in card.note.value
    assert not hasattr(card, "email")  # nobody may see it, and no line of the name became one

    table = list(csv.reader(io.StringIO(client.get("/me/contacts.csv").text.lstrip("\ufeff"))))
    row = dict(zip(table[0], table[1]))
    assert row["School"] == "'=cmd|'/C calc'!A0"
    assert row["Note"] == "'" + note
    for cell in table[1]:
        assert not cell.startswith(("=", "+", "-", "@")), cell

    data = json.loads(client.get("/me/data.json").text)
    assert data["contacts"][0]["name"] == name and data["contacts"][0]["note"] == note
    assert connection.note == note


# --- where sign-in may send you, and what it reveals ----------------------------------------

@pytest.mark.parametrize("next_path,expected", [
    ("/me/contacts?q=ana", "/me/contacts?q=ana"),
    ("https://evil.example/phish", "/me/badge"),
    ("//evil.example/phish", "/me/badge"),
    ("/\\evil.example", "/me/badge"),
    ("/\t/evil.example", "/me/badge"),
    ("javascript:alert(1)", "/me/badge"),
    ("http:/evil.example", "/me/badge"),
])
def test_next_only_goes_to_our_own_paths(client, app, outbox, next_path, expected):
    make_attendee(make_conference(), email="ana@school.example.org")
    client.post("/signin", data={"email": "ana@school.example.org", "next": next_path})
    body = outbox()[-1].get_body().get_content()
    token = re.search(r"/signin/(\S+)", body).group(1)
    response = client.post(f"/signin/{token}")
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_sign_in_pages_remember_where_you_were_going(client, app):
    response = client.get("/me/contacts?q=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/signin?next=/me/contacts?q%3Dx"
    page = client.get("/signin?next=//evil.example")
    assert page.status_code == 200  # shown, but never followed (test above)


def test_asking_for_a_link_never_reveals_whether_an_email_is_registered(client, app, outbox):
    make_attendee(make_conference(), email="known@school.example.org")
    known = client.post("/signin", data={"email": "known@school.example.org"})
    unknown = client.post("/signin", data={"email": "unknown@school.example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("known@", "X@") == unknown.text.replace("unknown@", "X@")
    assert len(outbox()) == 1 and outbox()[0]["To"] == "known@school.example.org"
    assert db.session.scalar(select(func.count()).select_from(SignInToken)) == 1


# --- sizes ----------------------------------------------------------------------------------

def test_an_oversized_request_gets_a_clear_413(client, app):
    conference = make_conference()
    response = client.post(f"/{conference.slug}/join", data={"name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "That was too much to send at once" in response.text
    field = client.post(f"/{conference.slug}/join", content_type="multipart/form-data",
                        data={"name": "x" * 200_000})
    assert field.status_code == 413


def test_overlong_fields_get_a_message_not_an_error(client, app):
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    from tests.test_join import join_form
    for key, limit in (("name", 120), ("school", 160), ("district", 160), ("ch_x", 300), ("email", 254)):
        response = client.post(f"/{conference.slug}/join", data=join_form(conference, **{key: "a" * (limit + 1)}))
        assert response.status_code == 422, key
        assert "There is a problem" in response.text, key
    sign_in_as(client, me)
    long_note = client.post(card_url(them) + "/save", data={"note": "n" * 2001})
    assert long_note.status_code == 422 and "at most 2,000 characters" in long_note.text
    long_tag = client.post(card_url(them) + "/save", data={"note": "", "tags": "t" * 41})
    assert long_tag.status_code == 422 and "40 characters" in long_tag.text
    assert client.get("/me/contacts?q=" + "q" * 5000).status_code == 200
    assert client.get("/code?code=" + "C" * 5000).status_code == 422
    signin = client.post("/signin", data={"email": "a" * 300 + "@example.org"})
    assert signin.status_code == 422


def test_control_characters_never_reach_the_database(client, app):
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    sign_in_as(client, me)
    response = client.post(card_url(them) + "/save", data={"note": "null\x00byte\x07 bell\ttab\nline", "tags": "a\x00b"})
    assert response.status_code == 303
    connection = db.session.scalar(select(Connection))
    assert connection.note == "nullbyte bell\ttab\nline" and connection.tags == "ab"
    assert client.get("/me/contacts?q=%00").status_code == 200


# --- the rest of ASVS level 1 that a test can show ----------------------------------------

def test_extra_form_fields_cannot_set_what_the_form_does_not_offer(client, app):
    """Mass assignment: ids, codes and owners come from the server, never from the form."""
    conference, other = make_conference(), make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    code = me.badge_code
    sign_in_as(client, me)
    from tests.test_join import join_form
    client.post("/me/profile", data=join_form(conference, email=me.email, badge_code="AAAAAAAAAAAA", id="999",
                                              conference_id=str(other.id), joined_at="2000-01-01"))
    client.post(card_url(them) + "/save", data={"note": "n", "owner_id": str(them.id), "contact_id": str(me.id),
                                                "conference_id": str(other.id)})
    db.session.expire_all()
    assert (me.badge_code, me.conference_id) == (code, conference.id)
    connection = db.session.scalar(select(Connection))
    assert (connection.owner_id, connection.contact_id, connection.conference_id) == (me.id, them.id, conference.id)


def test_a_name_cannot_add_mail_headers(client, app, outbox):
    conference = make_conference()
    from tests.test_join import join_form
    client.post(f"/{conference.slug}/join", data=join_form(conference, name="Ana\r\nBcc: everyone@example.org"))
    app.test_client().post("/signin", data={"email": "ana@school.example.org"})
    [message] = outbox()
    assert message["Bcc"] is None and message["To"] == "ana@school.example.org"


def test_an_unexpected_error_shows_a_plain_page_without_details(tmp_path):
    app = create_app(test_config(tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False))

    @app.get("/boom-for-this-test")
    def boom():
        raise RuntimeError("secret internals: /srv/app/conference/db.py line 12")

    response = app.test_client().get("/boom-for-this-test")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_static_files_stay_inside_the_static_folder(client):
    for path in ("/static/../conference/config.py", "/static/..%2Fconference%2Fconfig.py",
                 "/static/%2e%2e/instance/secret_key", "/static/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "SECRET" not in response.text and "def from_environment" not in response.text


def test_wrong_methods_and_other_origins_get_nothing(client, app):
    assert client.delete("/me/contacts").status_code == 405
    assert client.put("/signin").status_code == 405
    response = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_downloads_are_attachments_with_a_charset_and_never_cached(client, app):
    conference = make_conference()
    me = make_attendee(conference)
    save_contact(me, make_attendee(conference))  # an empty vCard is a page saying so (tests/test_first_visit.py)
    db.session.commit()
    sign_in_as(client, me)
    for url, kind in (("/me/contacts.csv", "text/csv"), ("/me/contacts.vcf", "text/vcard"),
                      ("/me/data.json", "application/json")):
        response = client.get(url)
        assert response.headers["Content-Type"].startswith(kind), url
        assert "charset=utf-8" in response.headers["Content-Type"] or kind == "application/json", url
        assert response.headers["Content-Disposition"].startswith("attachment;"), url
        assert "no-store" in response.headers["Cache-Control"], url
    assert "charset=utf-8" in client.get("/me/badge").headers["Content-Type"]


def test_control_characters_in_synced_json_never_reach_the_database(client, app):
    """JSON bodies are not forms: the note rules clean them too (PostgreSQL cannot store NUL)."""
    import uuid
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    sign_in_as(client, me)
    response = client.post("/scan/sync", json={"scans": [
        {"uuid": str(uuid.uuid4()), "text": display(them.badge_code), "note": "a\x00b\x1bc\nd"}]})
    assert response.status_code == 200
    assert db.session.scalar(select(Connection.note)) == "abc\nd"
