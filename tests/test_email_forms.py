"""One mailbox, one row: an address is stored in email-validator's normal form whichever way it was
typed (case, an internationalised domain in Unicode or in punycode), by the importer, joining,
sign-in lookups, organizer invites and organizer sign-in alike."""
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from conference.attendees.channels import BadChannel, normalise_email
from conference.attendees.models import Attendee
from conference.extensions import db
from conference.organizer.registrants.importer import _email
from conference.organizer.access.models import Organizer
from tests.factories import make_conference
from tests.organizer_factories import make_organizer, sign_in_organizer
from tests.test_join import join_form
from tests.test_organizer_import import preview, submit

STORED = "ana@bücher.example"


def rows_for(conference) -> int:
    return db.session.scalar(select(func.count()).select_from(Attendee).where(Attendee.conference_id == conference.id))


def imported(client, conference, *emails):
    data = "Name,Email,Role\r\n" + "".join(f"Ana Ruiz,{e},Principal\r\n" for e in emails)
    page, location = preview(client, conference, data.encode())
    return submit(client, location)


def test_an_imported_registrant_joining_or_signing_in_stays_one_row(client, app, outbox):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    done = imported(client, conference, "Ana@BÜCHER.example", "ana@xn--bcher-kva.example")
    assert "Same email as row 2" in done.text
    assert db.session.scalars(select(Attendee.email)).all() == [STORED]
    again = imported(client, conference, "ANA@XN--BCHER-KVA.EXAMPLE")
    assert "nothing to change" in again.text and rows_for(conference) == 1

    phone = app.test_client()
    phone.post(f"/{conference.slug}/join", data=join_form(conference, email="ana@BÜCHER.example"))
    # The address is in use: a provisional profile for the phone, merged away when the link is opened.
    assert rows_for(conference) == 2
    assert db.session.scalars(select(Attendee.pending_email).where(Attendee.email.is_(None))).all() == [STORED]
    phone.post("/signin", data={"email": "ANA@xn--bcher-kva.example"})
    mail = outbox()[-1]
    assert mail["To"] == "ana@xn--bcher-kva.example"  # the spelling every mail server takes
    token = re.search(r"/signin/(\S+)", mail.get_body().get_content()).group(1)
    assert phone.post(f"/signin/{token}").status_code == 303
    ana = db.session.scalar(select(Attendee))
    assert ana.claimed_at is not None and rows_for(conference) == 1


def test_joining_first_then_the_import_finds_the_same_row(client, app, outbox):
    conference = make_conference()
    phone = app.test_client()
    phone.post(f"/{conference.slug}/join", data=join_form(conference, email="ana@xn--bcher-kva.example"))
    assert db.session.scalars(select(Attendee.email)).all() == [STORED]
    phone.post("/signin", data={"email": STORED})  # the joiner proves the address
    token = re.search(r"/signin/(\S+)", outbox()[-1].get_body().get_content()).group(1)
    assert phone.post(f"/signin/{token}").status_code == 303
    sign_in_organizer(client, make_organizer(conference))
    done = imported(client, conference, "ANA@bücher.example")
    assert 'Already joined</span><strong class="tile-value">1<' in done.text and rows_for(conference) == 1


def test_organizer_invites_and_sign_in_use_the_same_form(client, app, outbox):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    invited = client.post(f"/organize/{conference.slug}/organizers", data={"email": "Staff@BÜCHER.example"})
    assert invited.status_code == 303
    assert "staff@bücher.example" in db.session.scalars(select(Organizer.email)).all()
    twice = client.post(f"/organize/{conference.slug}/organizers", data={"email": "staff@xn--bcher-kva.example"})
    assert twice.status_code == 422 and "already an organizer" in twice.text
    before = len(outbox())
    app.test_client().post("/signin", data={"email": "STAFF@xn--bcher-kva.example"})
    assert len(outbox()) == before + 1 and "organizer" in outbox()[-1]["Subject"]


PLAIN = st.from_regex(r"[A-Za-z0-9_%+'-]{1,20}(\.[A-Za-z0-9_'-]{1,8})?@([A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?\.)"
                      r"{1,3}(xn--[a-z0-9]{2,10}|[A-Za-z]{2,10})", fullmatch=True)


@settings(max_examples=300, deadline=None, database=None)
@given(PLAIN)
def test_the_importers_fast_path_stores_what_normalise_email_stores(address):
    try:
        expected = normalise_email(address)
    except BadChannel:
        expected = None
    try:
        got = _email(address)
    except BadChannel:
        got = None
    assert got == expected, address
