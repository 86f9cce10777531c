"""A badge opened before joining (the phone's own camera) is carried through joining and through an
emailed sign-in on that phone: the person is saved, and the page says so."""
import re

from sqlalchemy import select

from conference.badges.codes import display
from conference.contacts.cold import LIMIT
from conference.contacts.models import Connection
from conference.extensions import db
from tests.factories import make_attendee, make_conference
from tests.test_join import join_form


def saved_by(attendee_email: str) -> list[int]:
    from conference.attendees.models import Attendee
    owner = db.session.scalar(select(Attendee).where(Attendee.email == attendee_email))
    return sorted(db.session.scalars(select(Connection.contact_id).where(Connection.owner_id == owner.id)))


def test_one_cold_badge_is_saved_on_joining_and_its_card_says_so(client):
    conference = make_conference()
    bea = make_attendee(conference, name="Bea Chen")
    assert client.get(f"/c/{display(bea.badge_code)}").status_code == 200
    page = client.get(f"/{conference.slug}/join")
    assert "You'll save Bea Chen when you join." in page.text
    joined = client.post(f"/{conference.slug}/join", data=join_form(conference, email="new@school.example.org"))
    assert joined.status_code == 303
    assert joined.headers["Location"] == f"/c/{display(bea.badge_code)}?saved=badge"
    assert "Saved Bea Chen. <a href=\"#note\">Add a note?</a>" in client.get(joined.headers["Location"]).text
    assert saved_by("new@school.example.org") == [bea.id]


def test_several_cold_badges_are_saved_as_one_group(client):
    conference = make_conference()
    bea, cal = make_attendee(conference, name="Bea Chen"), make_attendee(conference, name="Cal Okafor")
    for person in (bea, cal, bea):  # opened twice: kept once
        client.get(f"/c/{person.badge_code}")
    client.get("/c/ZZZZ-ZZZZ-ZZZZ")  # found nobody: not kept
    assert "You'll save Bea Chen and Cal Okafor when you join." in client.get(f"/{conference.slug}/join").text
    joined = client.post(f"/{conference.slug}/join", data=join_form(conference, email="new@school.example.org"))
    assert joined.headers["Location"] == "/me/contacts?from_badges=1"
    page = client.get(joined.headers["Location"]).text
    assert "Saved from badges you opened" in page and "Saved Bea Chen" in page and "Saved Cal Okafor" in page
    assert saved_by("new@school.example.org") == sorted([bea.id, cal.id])


def test_a_cold_badge_is_saved_after_an_emailed_sign_in_on_the_same_phone(client, outbox):
    conference = make_conference()
    make_attendee(conference, email="ana@school.example.org")
    bea = make_attendee(conference, name="Bea Chen")
    client.get(f"/c/{bea.badge_code}")
    client.post("/signin", data={"email": "ana@school.example.org"})
    token = re.search(r"/signin/(\S+)", outbox()[-1].get_body().get_content()).group(1)
    client.get(f"/signin/{token}")
    done = client.post(f"/signin/{token}")
    assert done.headers["Location"] == f"/c/{display(bea.badge_code)}?saved=badge"
    assert saved_by("ana@school.example.org") == [bea.id]


def test_cold_scans_of_hidden_people_reveal_nothing_the_card_does_not(client):
    conference = make_conference()
    hidden = make_attendee(conference, name="Dana Quiet", hidden=True)
    card = client.get(f"/c/{hidden.badge_code}")
    assert "Dana Quiet" not in card.text
    page = client.get(f"/{conference.slug}/join").text
    assert "Dana Quiet" not in page and "You'll save a person whose card is private when you join." in page
    client.post(f"/{conference.slug}/join", data=join_form(conference, email="new@school.example.org"))
    assert saved_by("new@school.example.org") == [hidden.id]  # in the same conference now: saved


def test_the_kept_list_is_short_and_only_this_conference_is_saved(client):
    conference, other = make_conference(), make_conference()
    people = [make_attendee(conference) for _ in range(LIMIT + 2)]
    elsewhere = make_attendee(other, name="Eli Far")
    for person in people + [elsewhere]:
        client.get(f"/c/{person.badge_code}")
    with client.session_transaction() as session:
        assert len(session["cold_scans"]) == LIMIT
    client.post(f"/{conference.slug}/join", data=join_form(conference, email="new@school.example.org"))
    saved = saved_by("new@school.example.org")
    assert elsewhere.id not in saved and len(saved) == LIMIT - 1  # the last 20 opened, less the other conference's
