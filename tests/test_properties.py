"""Random text at the join, note, search and code-entry forms: never a 500, what is stored comes back
identical (after the documented clean-up) and escaped, in pages, CSV, vCard and JSON.

The clean-up: control characters other than tab and line breaks are dropped as the request is read
(conference/security.py); names, schools and districts have their whitespace collapsed; notes are
trimmed and use \\n line breaks.
"""
import csv
import io
import itertools
import json
from urllib.parse import quote

import vobject
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.badges.codes import MalformedCode, code_from_scan, display
from conference.contacts.models import Connection
from conference.contacts.operations import NOTE_LIMIT, clean_tags
from conference.errors import DomainError
from conference.exports.tabular import neutralise
from conference.extensions import db
from conference.security import clean_text
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.test_join import join_form

SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NASTY = ["<script>alert(1)</script>", "\x00\x01\x07\x1b\x7f", "=1+1", "@SUM(A1)", "' OR 1=1 --", "\u202egnp.exe",
         "\u200b\u200d\ufeff", "𝕏🙂👩🏽‍🏫", "a\r\nb\rc\nd", "\t", "Ñandú 李 Ωμέγα", "&amp;&lt;", '"\'><', "\\"]
TEXT = st.one_of(
    st.text(max_size=60),                              # any unicode, control characters included
    st.text(min_size=120, max_size=400),               # overlong
    st.sampled_from(NASTY),
    st.lists(st.sampled_from(NASTY), min_size=2, max_size=4).map("".join),
)
_emails = itertools.count(1)


def collapsed(text: str) -> str:
    return " ".join(clean_text(text).split())


def note_as_stored(text: str) -> str:
    return clean_text(text).replace("\r\n", "\n").strip()


# --- join -----------------------------------------------------------------------------------

@SETTINGS
@given(name=TEXT, school=TEXT, district=TEXT)
@example(name="<b>Ana</b> \x00Ruiz", school="=HYPERLINK()", district="  spaced\t out  ")
def test_join_never_fails_and_keeps_what_was_typed(app, name, school, district):
    conference = make_conference()
    client = app.test_client()
    email = f"prop{next(_emails)}@school.example.org"
    response = client.post(f"/{conference.slug}/join", data=join_form(
        conference, name=name, school=school, district=district, email=email))
    typed = {k: clean_text(v) for k, v in (("name", name), ("school", school), ("district", district))}
    valid = (typed["name"] != "" and len(typed["name"]) <= 120 and collapsed(name) != ""
             and len(typed["school"]) <= 160 and len(typed["district"]) <= 160)
    stored = db.session.scalar(select(Attendee).where(Attendee.email == email))
    if valid:
        assert response.status_code == 303, response.text[:500]
        assert (stored.name, stored.school, stored.district) == (collapsed(name), collapsed(school), collapsed(district))
        badge = client.get("/me/badge").text
        assert str(escape(stored.name)) in badge
    else:
        assert response.status_code == 422
        assert stored is None
        assert "There is a problem" in response.text
        assert f'value="{escape(typed["school"])}"' in response.text  # nothing typed is lost


@SETTINGS
@given(email=TEXT)
def test_any_email_text_gets_a_page_not_an_error(app, email):
    conference = make_conference()
    client = app.test_client()
    joined = client.post(f"/{conference.slug}/join", data=join_form(conference, email=email))
    assert joined.status_code in (303, 422)
    asked = client.post("/signin", data={"email": email})
    assert asked.status_code in (200, 422)


# --- note -----------------------------------------------------------------------------------

@SETTINGS
@given(note=TEXT, tags=TEXT)
@example(note="=cmd|' /C calc'!A0\nEND:VCARD\r\nBEGIN:VCARD", tags="+x, -y, @z")
@example(note="n" * (NOTE_LIMIT + 1), tags="")
def test_note_is_stored_identically_and_escaped_everywhere(app, note, tags):
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    client = app.test_client()
    sign_in_as(client, me)
    response = client.post(f"/c/{display(them.badge_code)}/save", data={"note": note, "tags": tags})
    expected_note = note_as_stored(note)
    try:
        expected_tags = clean_tags(clean_text(tags))
    except DomainError:
        expected_tags = None
    connection = db.session.scalar(select(Connection).where(Connection.owner_id == me.id))
    if len(expected_note) > NOTE_LIMIT or expected_tags is None:
        assert response.status_code == 422
        assert connection is None
        assert str(escape(clean_text(note).replace("\r\n", "\n"))).strip() in response.text.replace("\r\n", "\n")
        return
    assert response.status_code == 303
    assert connection.note == expected_note and connection.tags == expected_tags

    shown = client.get(f"/me/contacts/{connection.id}").text
    assert str(escape(expected_note)) in shown
    for tag in connection.tag_list:
        assert f"<li>{escape(tag)}</li>" in shown
    fragment = client.get(f"/me/contacts/{connection.id}/note?cancel=1", headers={"HX-Request": "true"}).text
    assert str(escape(expected_note)) in fragment

    table = list(csv.reader(io.StringIO(client.get("/me/contacts.csv").text.lstrip("\ufeff"), newline="")))
    row = dict(zip(table[0], table[1]))
    assert row["Note"] == neutralise(expected_note)
    assert row["Tags"] == neutralise(", ".join(connection.tag_list))

    card = vobject.readOne(client.get(f"/me/contacts/{connection.id}.vcf").text)
    line_breaks = expected_note.replace("\r\n", "\n").replace("\r", "\n")
    assert card.note.value.startswith(line_breaks) if line_breaks else True
    assert [c for c in card.categories.value[1:]] == connection.tag_list

    data = json.loads(client.get("/me/data.json").text)
    assert data["contacts"][0]["note"] == expected_note


# --- search ---------------------------------------------------------------------------------

@SETTINGS
@given(query=TEXT)
def test_search_never_fails_and_echoes_the_query_escaped(app, query):
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    db.session.add(Connection(conference_id=conference.id, owner_id=me.id, contact_id=them.id, note=clean_text(query)[:2000]))
    db.session.commit()
    client = app.test_client()
    sign_in_as(client, me)
    page = client.get("/me/contacts", query_string={"q": query})
    assert page.status_code == 200
    assert f'value="{escape(clean_text(query)[:200])}"' in page.text
    fragment = client.get("/me/contacts", query_string={"q": query}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="contact-list"')


# --- code entry -----------------------------------------------------------------------------

@SETTINGS
@given(typed=TEXT)
@example(typed="7KQ2-XM4P-9BDA")
@example(typed="https://pln.example.org/c/7kq2xm4p9bda?x=1")
def test_code_entry_never_fails_and_explains(app, typed):
    client = app.test_client()
    response = client.get("/code", query_string={"code": typed})
    cleaned = clean_text(typed)
    try:
        code = code_from_scan(cleaned)
    except MalformedCode:
        code = None
    if not cleaned:
        assert response.status_code == 200
    elif code is None:
        assert response.status_code == 422
        assert f'value="{escape(cleaned)}"' in response.text
    else:
        assert response.status_code == 303 and response.headers["Location"] == f"/c/{display(code)}"
    card = client.get("/c/" + quote(typed, safe=""))
    assert card.status_code in (404, 410)
    scanner = make_attendee(make_conference())
    sign_in_as(client, scanner)
    assert client.get("/scan/card", query_string={"code": typed}).status_code in (404, 422)
