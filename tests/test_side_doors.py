"""Side doors: who is suggested, what dismissing tells, what a
sync answer names, note caps on every merge path, and hostile JSON bodies."""
import uuid

import pytest
from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.contacts.operations import NOTE_LIMIT
from conference.events.models import utcnow
from conference.extensions import db
from conference.network.models import Dismissal
from conference.organizer.registrants.importer import import_registrants
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.organizer_factories import connect
from tests.test_rate_limits import tightened  # noqa: F401  (the fixture)


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


# ---- caps hold on the merged result ----------------------------------------------


def note_of(owner, contact) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Connection.note).where(Connection.owner_id == owner.id,
                                                           Connection.contact_id == contact.id))


@pytest.fixture
def pair(app):
    conference = make_conference()
    return (make_attendee(conference, name="Ana Owner"), make_attendee(conference, name="Bea Chen"))


def test_one_sync_batch_cannot_grow_a_note_past_the_cap(client, pair):
    """The 102,100-character note: 51 scans of one person, 2,000 characters each, in one request."""
    ana, bea = pair
    sign_in_as(client, ana)
    batch = [scan(bea, chr(ord("a") + n % 26) * NOTE_LIMIT) for n in range(51)]
    results = client.post("/scan/sync", json={"scans": batch}).get_json()["results"]
    assert results[0]["status"] == "saved"
    assert {r["status"] for r in results[1:]} == {"malformed"}
    assert "longer than 2,000 characters" in results[1]["message"] and results[1]["name"] == "Bea Chen"
    assert note_of(ana, bea) == "a" * NOTE_LIMIT
    # Nothing refused was received: sent again once the note has room, each is added.
    client.post(f"/me/contacts/{db.session.scalar(select(Connection.id))}/note", data={"note": ""})
    again = client.post("/scan/sync", json={"scans": batch[1:2]}).get_json()["results"]
    assert again[0]["status"] == "saved" and note_of(ana, bea) == "b" * NOTE_LIMIT


def test_a_sync_cannot_add_to_a_saved_note_past_the_cap(client, pair):
    ana, bea = pair
    sign_in_as(client, ana)
    assert client.post(f"/c/{display(bea.badge_code)}/save", data={"note": "x" * 1990}).status_code == 303
    results = client.post("/scan/sync", json={"scans": [scan(bea, "y" * 20), scan(bea, "fits")]}).get_json()
    assert [r["status"] for r in results["results"]] == ["malformed", "saved"]
    assert "(it has 1,990)" in results["results"][0]["message"]
    assert note_of(ana, bea) == "x" * 1990 + "\n\nfits"


def test_the_scanners_save_keeps_the_cap_and_what_was_typed(client, pair):
    ana, bea = pair
    sign_in_as(client, ana)
    connect(ana, bea, note="x" * 1995)
    response = client.post("/scan/save", data={"code": display(bea.badge_code), "uuid": str(uuid.uuid4()),
                                               "note": "Call about the master schedule"})
    assert response.status_code == 422
    assert "longer than 2,000 characters" in response.text and "Call about the master schedule" in response.text
    assert note_of(ana, bea) == "x" * 1995


def test_re_saving_a_note_never_grows_it_past_the_cap(client, pair):
    ana, bea = pair
    sign_in_as(client, ana)
    connection = connect(ana, bea, note="short")
    edit = client.post(f"/me/contacts/{connection.id}/note", data={"note": "z" * (NOTE_LIMIT + 1)})
    assert edit.status_code == 422 and "at most 2,000 characters" in edit.text
    card = client.post(f"/c/{display(bea.badge_code)}/save", data={"note": "z" * (NOTE_LIMIT + 1)})
    assert card.status_code == 422 and "z" * (NOTE_LIMIT + 1) in card.text  # kept in the form
    assert note_of(ana, bea) == "short"


# ---- hostile bodies --------------------------------------------------------------


def post_raw(client, body, content_type="application/json"):
    return client.post("/scan/sync", data=body, content_type=content_type)


@pytest.mark.parametrize("depth", [40, 1_000, 100_000])
def test_deeply_nested_json_is_a_400_with_a_message(client, pair, depth):
    sign_in_as(client, pair[0])
    response = post_raw(client, '{"scans": ' + "[" * depth + "]" * depth + "}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request" and "nested more than 32 levels" in response.get_json()["message"]


def test_invalid_utf8_and_broken_json_are_a_400_saying_why(client, pair):
    sign_in_as(client, pair[0])
    bad = post_raw(client, b'{"scans": [{"uuid": "\xff\xfe", "text": "x"}]}')
    assert bad.status_code == 400 and "not valid UTF-8" in bad.get_json()["message"]
    broken = post_raw(client, '{"scans": [')
    assert broken.status_code == 400 and "not valid JSON" in broken.get_json()["message"]
    assert post_raw(client, "5").status_code == 400


def test_huge_arrays_are_refused_whole(client, pair):
    sign_in_as(client, pair[0])
    many = client.post("/scan/sync", json={"scans": [{}] * 200_000})
    assert many.status_code == 413 and many.get_json()["error"] == "too_many"
    huge = post_raw(client, '{"scans": [' + ",".join(["0"] * 1_200_000) + "]}")  # over MAX_CONTENT_LENGTH
    assert huge.status_code == 413


def test_wrong_types_are_refused_one_by_one_or_whole(client, pair):
    ana, bea = pair
    sign_in_as(client, ana)
    assert post_raw(client, '{"scans": [], "attendee": "me"}').status_code == 400
    assert post_raw(client, '{"scans": [], "attendee": true}').status_code == 400
    body = {"scans": [1, "x", None, [], {"uuid": 5, "text": "x"}, {"uuid": str(uuid.uuid4()), "text": ["x"]},
                      {"uuid": str(uuid.uuid4()), "text": display(bea.badge_code), "note": {"a": 1}},
                      {"uuid": str(uuid.uuid4()), "text": display(bea.badge_code), "scanned_at": "soon"}]}
    results = client.post("/scan/sync", json=body).get_json()["results"]
    assert [r["status"] for r in results] == ["malformed"] * 7 + ["saved"]
    assert all(r["message"] for r in results)


def test_hostile_bodies_are_a_400_with_the_rate_limits_on(tightened):
    """The sync's limit counts the scans in a batch before the view runs: it reads the body too."""
    app = tightened()
    client = app.test_client()
    me = make_attendee(make_conference())
    sign_in_as(client, me)
    for body in ('{"scans": ' + "[" * 100_000 + "]" * 100_000 + "}", b'{"scans": ["\xff"]}', '{"scans": ['):
        response = post_raw(client, body)
        assert response.status_code == 400 and response.get_json()["message"]
