"""Sessions a person can end: each cookie carries the attendee's session version, bumped on every
emailed sign-in, on "Sign out everywhere" and gone with the account."""
import re

from conference.contacts.models import Connection
from conference.extensions import db
from tests.factories import make_attendee, make_conference, sign_in_as

PRIVATE = ("/me/contacts", "/me/data", "/me/data.json", "/me/badge")


def reads_nothing(client) -> bool:
    """Every private page sends this cookie to the sign-in page."""
    return all(client.get(path).status_code == 302 and "/signin" in client.get(path).headers["Location"]
               for path in PRIVATE)


def sign_in_by_link(client, outbox, email):
    client.post("/signin", data={"email": email})
    token = re.search(r"/signin/(\S+)", outbox()[-1].get_body().get_content()).group(1)
    assert client.get(f"/signin/{token}").status_code == 200  # opening the link changes nothing yet
    assert client.post(f"/signin/{token}").status_code == 303


def test_an_old_cookie_reads_nothing_after_the_owner_signs_in_by_link(app, outbox):
    conference = make_conference()
    ana = make_attendee(conference, email="ana@school.example.org", name="Ana Ruiz")
    ben = make_attendee(conference, name="Ben Okafor")
    impostor = app.test_client()
    sign_in_as(impostor, ana)  # a cookie for her account from before (someone who joined as her)
    assert impostor.get("/me/contacts").status_code == 200
    owner = app.test_client()
    sign_in_by_link(owner, outbox, "ana@school.example.org")
    owner.post(f"/c/{ben.badge_code}/save", data={"note": "Her private note about Ben"})
    assert db.session.query(Connection).filter_by(owner_id=ana.id).count() == 1
    assert reads_nothing(impostor)
    card = impostor.get(f"/c/{ben.badge_code}")  # the card opens as for anyone signed out
    assert card.status_code == 200 and "Her private note" not in card.text and "Join" in card.text
    assert impostor.post(f"/c/{ben.badge_code}/save", data={"note": "x"}).status_code == 302
    assert owner.get("/me/contacts").status_code == 200 and "Ben Okafor" in owner.get("/me/contacts").text


def test_sign_out_everywhere_ends_every_session_this_one_too(app):
    ana = make_attendee(make_conference())
    phone, laptop = app.test_client(), app.test_client()
    sign_in_as(phone, ana)
    sign_in_as(laptop, ana)
    more = phone.get("/me")
    assert 'action="/signout/everywhere"' in more.text and "Sign out everywhere" in more.text
    done = phone.post("/signout/everywhere")
    assert done.status_code == 303 and done.headers["Location"] == "/signin?ended=1"
    assert "signed out on every device" in phone.get(done.headers["Location"]).text
    assert reads_nothing(laptop) and reads_nothing(phone)
    fresh = app.test_client()
    sign_in_as(fresh, db.session.get(type(ana), ana.id))  # signing in again works at the new version
    with fresh.session_transaction() as session:
        session["session_version"] = 1
    assert fresh.get("/me/contacts").status_code == 200


def test_sign_out_everywhere_needs_a_signed_in_post_with_a_csrf_token(app):
    ana = make_attendee(make_conference())
    assert app.test_client().post("/signout/everywhere").status_code == 302  # signed out: to sign-in
    assert app.test_client().get("/signout/everywhere").status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    guarded = app.test_client()
    sign_in_as(guarded, ana)
    assert guarded.post("/signout/everywhere").status_code == 400
    db.session.expire_all()
    assert db.session.get(type(ana), ana.id).session_version == 0


def test_an_old_cookie_reads_nothing_after_the_account_is_deleted(app):
    ana = make_attendee(make_conference())
    impostor, owner = app.test_client(), app.test_client()
    sign_in_as(impostor, ana)
    sign_in_as(owner, ana)
    assert owner.post("/me/delete", data={"confirm": "y"}).status_code == 303
    assert reads_nothing(impostor)


def test_every_emailed_sign_in_bumps_the_version(app, outbox):
    ana = make_attendee(make_conference(), email="ana@school.example.org")
    first, second = app.test_client(), app.test_client()
    sign_in_by_link(first, outbox, "ana@school.example.org")
    assert first.get("/me/contacts").status_code == 200
    sign_in_by_link(second, outbox, "ana@school.example.org")
    assert second.get("/me/contacts").status_code == 200 and reads_nothing(first)
    db.session.expire_all()
    assert db.session.get(type(ana), ana.id).session_version == 2
