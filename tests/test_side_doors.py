"""Side doors (issue 12, items 8, 9, 10, 12 and 13): who is suggested, what dismissing tells, what a
sync answer names, note caps on every merge path, and hostile JSON bodies."""
import uuid

import pytest
from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.events.models import utcnow
from conference.extensions import db
from conference.network.models import Dismissal
from conference.organizer.importer import import_registrants
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.organizer_factories import connect


def imported(conference, name: str, email: str) -> Attendee:
    import_registrants(conference, f"name,email,role,state,interests\n{name},{email},Principal,VA,Literacy\n"
                       .encode())
    db.session.commit()
    person = db.session.scalar(select(Attendee).where(Attendee.email == email))
    assert person.import_batch_id is not None and person.claimed_at is None and person.interests
    return person


@pytest.fixture
def crowd(app):
    """Me (looking for literacy help) and everyone who could offer it, in every situation."""
    conference = make_conference()
    me = make_attendee(conference, name="Mia Viewer", seeks=["Literacy"])
    joiner = make_attendee(conference, name="Jo Joined", offers=["Literacy"])
    hidden = make_attendee(conference, name="Hana Hidden", offers=["Literacy"], hidden=True)
    never = imported(conference, "Nev Imported", "nev@school.example.org")
    claimed = imported(conference, "Clara Claimed", "clara@school.example.org")
    claimed.claimed_at = utcnow()
    saved = make_attendee(conference, name="Sam Saved", offers=["Literacy"])
    connect(me, saved)
    elsewhere = make_attendee(make_conference(), name="Elsa Elsewhere", offers=["Literacy"])
    db.session.commit()
    return dict(me=me, joiner=joiner, hidden=hidden, never=never, claimed=claimed, saved=saved, elsewhere=elsewhere)


def test_people_to_meet_are_only_people_who_joined_and_are_not_hidden(client, crowd):
    sign_in_as(client, crowd["me"])
    page = client.get("/me/people").text
    assert "Jo Joined" in page and "Clara Claimed" in page  # joined, or claimed the imported profile
    for name in ("Nev Imported", "Hana Hidden", "Sam Saved", "Elsa Elsewhere", "Mia Viewer"):
        assert name not in page
    assert Attendee.has_joined.expression is not None  # one rule, usable in SQL
    assert set(db.session.scalars(select(Attendee.name).where(Attendee.has_joined.is_(False)))) == {"Nev Imported"}


def test_dismiss_and_undo_answer_only_for_people_who_could_be_suggested(client, crowd):
    sign_in_as(client, crowd["me"])
    refused = [crowd[k] for k in ("hidden", "never", "saved", "elsewhere", "me")]
    answers = set()
    for person in refused:
        for action in ("dismiss", "undo"):
            response = client.post(f"/me/people/{person.id}/{action}")
            assert response.status_code == 404, (person.name, action)
            assert person.name not in response.text and person.name.split()[0] not in response.text
            answers.add(response.text)
    unknown = client.post("/me/people/999999/dismiss")
    assert unknown.status_code == 404
    assert answers == {unknown.text}  # the same answer whatever the reason
    assert db.session.scalar(select(db.func.count()).select_from(Dismissal)) == 0
    # Undo only for someone I dismissed; dismissing someone suggested works as before.
    assert client.post(f"/me/people/{crowd['joiner'].id}/undo").status_code == 404
    assert client.post(f"/me/people/{crowd['joiner'].id}/dismiss").status_code == 303
    assert client.post(f"/me/people/{crowd['joiner'].id}/undo").status_code == 303


def scan(person, note=""):
    return {"uuid": str(uuid.uuid4()), "text": display(person.badge_code), "note": note}


def test_a_sync_answer_names_nobody_the_scanners_card_would_not(client, crowd):
    """Another conference's attendee syncs a hidden attendee's badge: the card says nothing, nor may the sync."""
    outsider = crowd["elsewhere"]
    sign_in_as(client, outsider)
    results = client.post("/scan/sync", json={"scans": [scan(crowd["hidden"]), scan(crowd["joiner"])]}).get_json()
    for result in results["results"]:
        assert result["status"] == "refused" and "name" not in result
    text = str(results)
    assert "Hana" not in text and "Jo Joined" not in text
    card = client.get("/scan/card", query_string={"code": display(crowd["hidden"].badge_code)})
    assert card.status_code == 409 and "Hana" not in card.text
    # At her own conference the card shows her, and so does the sync.
    sign_in_as(client, crowd["me"])
    mine = client.post("/scan/sync", json={"scans": [scan(crowd["hidden"])]}).get_json()["results"][0]
    assert mine["status"] == "saved" and mine["name"] == "Hana Hidden"
    assert "Hana Hidden" in client.get("/scan/card", query_string={"code": display(crowd["hidden"].badge_code)}).text
