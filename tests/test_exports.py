"""Taking contacts home: vCard 3.0 parsed back with vobject, CSV that Excel opens cleanly."""
import csv
import io

import vobject
from sqlalchemy import select

from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.extensions import db
from tests.factories import make_attendee, make_conference, sign_in_as

NOTE = 'Scheduling; "block" ideas, send template\nFollow up Friday, 3pm; ok?'


def saved_pair(client, **their):
    conference = make_conference(name="Pre-K–8 Principals Conference")
    me = make_attendee(conference, name="Ana Ruiz", offers=["Literacy"], seeks=["Scheduling", "Equity"])
    values = dict(name="Ñandú Ãlvarez 李", role="assistant_principal", school="Escuela Niños, Inc.", state="TX",
                  offers=["Scheduling"], seeks=["Equity", "Literacy"],
                  channels={"phone": ("+44 20 7946 0958", True), "email": ("nandu@escuela.example.org", True),
                            "x": ("@nandu_ap", True), "instagram": ("nandu.ap", True), "voxer": ("nandu", True),
                            "linkedin": ("nandu-alvarez", True), "bluesky": ("nandu.bsky.social", True),
                            "website": ("escuela.example.org", False)})
    values.update(their)
    them = make_attendee(conference, **values)
    sign_in_as(client, me)
    client.post(f"/c/{display(them.badge_code)}/save", data={"note": NOTE, "tags": "mentor, =cmd"})
    return conference, me, them


def parse_one(text):
    cards = list(vobject.readComponents(text))
    assert len(cards) == 1
    return cards[0]


def test_vcard_has_every_field_and_round_trips(client, app):
    conference, me, them = saved_pair(client)
    connection = db.session.scalar(select(Connection))
    response = client.get(f"/me/contacts/{connection.id}.vcf")
    assert response.status_code == 200
    assert response.mimetype == "text/vcard"
    assert 'attachment; filename="' in response.headers["Content-Disposition"]
    card = parse_one(response.get_data(as_text=True))
    assert card.version.value == "3.0"
    assert card.fn.value == "Ñandú Ãlvarez 李"
    assert card.n.value.family == "李" and card.n.value.given == "Ñandú Ãlvarez"
    assert card.org.value == ["Escuela Niños, Inc."]
    assert card.title.value == "Assistant principal"
    assert card.tel.value == "+442079460958"
    assert "CELL" in card.tel.params["TYPE"]
    assert card.email.value == "nandu@escuela.example.org"
    urls = {u.value for u in card.contents["url"]}
    assert urls == {"https://x.com/nandu_ap", "https://www.instagram.com/nandu.ap",
                    "https://www.linkedin.com/in/nandu-alvarez", "https://bsky.app/profile/nandu.bsky.social"}
    assert "https://escuela.example.org" not in urls  # not shared
    note = card.note.value
    assert note.startswith(NOTE)
    assert "Shared interests: Scheduling, Equity, Literacy" in note
    assert "Voxer: nandu" in note
    assert f"Met at {conference.name}, " in note
    assert card.categories.value[0] == conference.name
    assert "mentor" in card.categories.value


def test_all_contacts_vcf_holds_one_card_each(client, app):
    conference, me, them = saved_pair(client)
    other = make_attendee(conference, name="Grace Lee")
    client.post(f"/c/{display(other.badge_code)}/save", data={"note": "hello"})
    response = client.get("/me/contacts.vcf")
    cards = list(vobject.readComponents(response.get_data(as_text=True)))
    assert sorted(c.fn.value for c in cards) == ["Grace Lee", "Ñandú Ãlvarez 李"]


def test_exports_contain_only_what_was_shared(client, app):
    saved_pair(client, channels={"phone": ("202-555-0100", False), "x": ("@quiet", False)})
    card = parse_one(client.get("/me/contacts.vcf").get_data(as_text=True))
    assert "tel" not in card.contents and "url" not in card.contents and "email" not in card.contents
    text = client.get("/me/contacts.csv").get_data(as_text=True)
    assert "555" not in text and "quiet" not in text


def test_csv_opens_cleanly_in_excel(client, app):
    saved_pair(client, name="=HYPERLINK(\"http://evil\")", school="+cmd|' /C calc'!A0", district="@SUM(1)")
    response = client.get("/me/contacts.csv")
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, row = rows
    record = dict(zip(header, row))
    assert header[:4] == ["Name", "First name", "Last name", "Role"]
    assert record["Name"] == "'=HYPERLINK(\"http://evil\")"
    assert record["School"] == "'+cmd|' /C calc'!A0"
    assert record["District"] == "'@SUM(1)"
    assert record["Note"] == NOTE
    assert record["Tags"] == "mentor, =cmd"
    # A plain phone number is written as the app shows it, unmarked (formula cells keep their apostrophe).
    assert record["Mobile phone"] == "+44 20 7946 0958"
    assert record["Met at"].startswith("Met at Pre-K–8 Principals Conference, ")
    assert b"\r\n" in raw


def test_exports_need_sign_in(client, app):
    for url in ("/me/contacts.vcf", "/me/contacts.csv", "/me/contacts/1.vcf"):
        assert client.get(url).status_code == 302
