"""Consent and own-your-data: who sees each channel, hiding, downloading and deleting an account."""
import csv
import io
import json
import re

import vobject
from sqlalchemy import func, select

from conference.attendees.models import Attendee, Channel
from conference.auth.models import SignInToken
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.extensions import db
from conference.interests.models import AttendeeInterest
from conference.badges.models import RetiredBadgeCode
from tests.factories import interest, make_attendee, make_conference, sign_in_as
from tests.test_join import join_form


def card_url(person):
    return f"/c/{display(person.badge_code)}"


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def sharer(conference, **overrides):
    """Kelly shares her phone with anyone, X with people she saves, Instagram with nobody."""
    values = dict(name="Kelly O'Connell", school="Oak Hill Primary", district="County School District 5",
                  state="MD", offers=["Scheduling"], seeks=["Literacy"],
                  channels={"phone": ("202-555-0188", "anyone"), "x": ("@kelly_leads", "mutual"),
                            "instagram": ("kelly.insta", "nobody")})
    values.update(overrides)
    return make_attendee(conference, **values)


def checked_value(page, name):
    match = re.search(rf'<input checked[^>]*name="{name}"[^>]*value="(\w+)"|'
                      rf'<input[^>]*name="{name}"[^>]*value="(\w+)"[^>]*checked', page)
    return match and (match.group(1) or match.group(2))


# --- three levels per channel -------------------------------------------------------------

def test_join_form_offers_three_levels_per_channel_with_private_email(client):
    conference = make_conference()
    page = client.get(f"/{conference.slug}/join").text
    for kind in ("phone", "email", "x", "instagram", "voxer", "linkedin", "bluesky", "website"):
        assert page.count(f'name="ch_{kind}_share"') == 3, kind
        # Until the person chooses: the email nobody, a direct line (phone, Voxer) people saved back, profiles anyone.
        expected = {"email": "nobody", "phone": "mutual", "voxer": "mutual"}.get(kind, "anyone")
        assert checked_value(page, f"ch_{kind}_share") == expected, kind
    assert 'type="radio"' in page and "People I save" in page
    assert 'name="hidden"' in page


def test_join_stores_the_chosen_level_for_each_channel(client):
    conference = make_conference()
    response = client.post(f"/{conference.slug}/join", data=join_form(
        conference, ch_phone_share="mutual", ch_x_share="nobody", ch_instagram_share="anyone",
        ch_email="ana.personal@example.org", ch_email_share="mutual"))
    assert response.status_code == 303
    ana = db.session.scalar(select(Attendee))
    assert {c.kind: c.visibility for c in ana.channels} == {
        "phone": "mutual", "x": "nobody", "instagram": "anyone", "email": "mutual"}


def test_blank_contact_email_shared_means_the_joining_email(client):
    conference = make_conference()
    client.post(f"/{conference.slug}/join", data=join_form(conference, ch_email="", ch_email_share="anyone"))
    ana = db.session.scalar(select(Attendee))
    assert ana.channel("email").value == "ana@school.example.org"
    assert ana.channel("email").visibility == "anyone"


def test_an_unknown_level_is_refused_and_the_rest_kept(client):
    conference = make_conference()
    response = client.post(f"/{conference.slug}/join", data=join_form(conference, ch_phone_share="everyone"))
    assert response.status_code == 422
    assert "Choose who can see this" in response.text
    assert "Lincoln Elementary" in response.text
    assert count(Attendee) == 0


def test_profile_page_shows_the_current_levels_and_saves_changes(client):
    conference = make_conference()
    kelly = sharer(conference)
    sign_in_as(client, kelly)
    page = client.get("/me/profile").text
    assert checked_value(page, "ch_phone_share") == "anyone"
    assert checked_value(page, "ch_x_share") == "mutual"
    assert checked_value(page, "ch_instagram_share") == "nobody"
    response = client.post("/me/profile", data=join_form(
        conference, name=kelly.name, email=kelly.email, ch_phone="202-555-0188", ch_phone_share="nobody",
        ch_x="kelly_leads", ch_x_share="anyone", ch_instagram="kelly.insta", ch_instagram_share="mutual"))
    assert response.status_code == 303
    db.session.expire_all()
    assert {c.kind: c.visibility for c in kelly.channels} == {"phone": "nobody", "x": "anyone", "instagram": "mutual"}


def test_card_shows_each_viewer_only_what_the_levels_allow(client, app):
    conference = make_conference()
    kelly = sharer(conference)
    stranger = make_attendee(conference, name="Sam Stranger")
    friend = make_attendee(conference, name="Fran Friend")
    db.session.add(Connection(conference_id=conference.id, owner_id=kelly.id, contact_id=friend.id))
    db.session.commit()

    signed_out = client.get(card_url(kelly)).text
    for secret in ("555-0188", "kelly_leads", "kelly.insta"):
        assert secret not in signed_out
    sign_in_as(client, stranger)
    seen = client.get(card_url(kelly)).text
    assert "(202) 555-0188" in seen and "kelly_leads" not in seen and "kelly.insta" not in seen
    sign_in_as(client, friend)
    seen = client.get(card_url(kelly)).text
    assert "(202) 555-0188" in seen and "@kelly_leads" in seen and "kelly.insta" not in seen
    sign_in_as(client, kelly)
    own = client.get("/me/profile").text
    assert "kelly.insta" in own


def exported(client, friend_connection_id):
    vcf = client.get("/me/contacts.vcf").text
    one = client.get(f"/me/contacts/{friend_connection_id}.vcf").text
    table = client.get("/me/contacts.csv").text
    return vcf + one + table


def test_vcard_and_csv_honour_the_levels_and_follow_changes(client, app):
    conference = make_conference()
    kelly = sharer(conference)
    ana = make_attendee(conference, name="Ana Ruiz")
    sign_in_as(client, ana)
    client.post(card_url(kelly) + "/save", data={"note": "Scheduling"})
    saved = db.session.scalar(select(Connection).where(Connection.owner_id == ana.id))
    text = exported(client, saved.id)
    assert "+12025550188" in text
    assert "kelly_leads" not in text and "kelly.insta" not in text

    # Kelly saves Ana back: the mutual channel appears in Ana's exports from then on.
    db.session.add(Connection(conference_id=conference.id, owner_id=kelly.id, contact_id=ana.id))
    db.session.commit()
    text = exported(client, saved.id)
    assert "https://x.com/kelly_leads" in text and "kelly.insta" not in text

    # Kelly makes her phone private: gone from the card and every export at once.
    sign_in_as(client, kelly)
    client.post("/me/profile", data=join_form(
        conference, name=kelly.name, email=kelly.email, ch_phone="202-555-0188", ch_phone_share="nobody",
        ch_x="kelly_leads", ch_x_share="mutual", ch_instagram="kelly.insta", ch_instagram_share="nobody"))
    sign_in_as(client, ana)
    text = exported(client, saved.id) + client.get(card_url(kelly)).text + client.get(f"/me/contacts/{saved.id}").text
    assert "555" not in text.replace("2025", "")  # no trace of the phone number
    assert "kelly_leads" in text


# --- hidden ---------------------------------------------------------------------------------

def test_hidden_card_shows_nothing_identifying_outside_the_conference(client, app):
    conference = make_conference()
    kelly = sharer(conference, hidden=True)
    page = client.get(card_url(kelly))
    assert page.status_code == 200
    assert "This attendee keeps their card private. Join to connect." in page.text
    for identifying in ("Kelly", "O&#39;Connell", "Oak Hill", "Principal", "· MD", "555", "District 5"):
        assert identifying not in page.text, identifying
    assert f"/{conference.slug}/join" in page.text
    elsewhere = make_attendee(make_conference(), name="Other Conference Person")
    sign_in_as(client, elsewhere)
    assert "Kelly" not in client.get(card_url(kelly)).text
    # People at the same conference still see the card.
    colleague = make_attendee(conference)
    sign_in_as(client, colleague)
    seen = client.get(card_url(kelly)).text
    assert "Kelly O&#39;Connell" in seen and "Save contact" in seen


def test_hide_switch_on_the_profile(client, app):
    conference = make_conference()
    kelly = sharer(conference)
    sign_in_as(client, kelly)
    assert 'name="hidden"' in client.get("/me/profile").text
    client.post("/me/profile", data=join_form(conference, name=kelly.name, email=kelly.email, hidden="y"))
    db.session.expire_all()
    assert kelly.hidden is True
    page = client.get("/me/profile").text
    assert re.search(r'<input[^>]*checked[^>]*name="hidden"|<input[^>]*name="hidden"[^>]*checked', page)
    client.post("/me/profile", data=join_form(conference, name=kelly.name, email=kelly.email))
    db.session.expire_all()
    assert kelly.hidden is False


# --- my data --------------------------------------------------------------------------------

def test_my_data_page_links_both_downloads(client, app):
    ana = make_attendee(make_conference())
    sign_in_as(client, ana)
    page = client.get("/me/data")
    assert page.status_code == 200
    assert 'href="/me/data.json"' in page.text and 'href="/me/contacts.vcf"' in page.text
    assert 'href="/me/delete"' in page.text
    assert client.get("/me").text.count('href="/me/data"') == 1


def test_my_data_json_holds_everything_about_me_and_nothing_of_others(client, app):
    conference = make_conference()
    ana = make_attendee(conference, name="Ana </script> Ruiz", offers=["Literacy"], seeks=["Scheduling"],
                        channels={"phone": ("202-555-0143", "mutual")})
    kelly = sharer(conference)
    sign_in_as(client, kelly)
    client.post(card_url(ana) + "/save", data={"note": "Kelly's private note about Ana"})
    sign_in_as(client, ana)
    client.post(card_url(kelly) + "/save", data={"note": "Send her the \"master\" schedule", "tags": "mentor"})
    response = client.get("/me/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.text)
    assert data["profile"]["name"] == "Ana </script> Ruiz"
    assert data["profile"]["email"] == ana.email
    assert data["profile"]["badge_code"] == display(ana.badge_code)
    assert {(i["name"], i["can_help"], i["looking_for"]) for i in data["interests"]} == {
        ("Literacy", True, False), ("Scheduling", False, True)}
    assert data["channels"] == [{"kind": "phone", "label": "Mobile phone", "value": "+12025550143",
                                 "who_sees_it": "mutual"}]
    [contact] = data["contacts"]
    assert contact["name"] == "Kelly O'Connell" and contact["note"] == 'Send her the "master" schedule'
    assert contact["tags"] == ["mentor"]
    # Kelly's channels as Ana may see them: the phone (anyone) and X (Kelly saved Ana back).
    assert contact["channels"] == {"phone": "+12025550188", "x": "kelly_leads"}
    assert data["people_who_saved_me"] == 1
    assert "Kelly's private note" not in response.text


def test_my_data_needs_sign_in(client):
    for url in ("/me/data", "/me/data.json", "/me/delete"):
        response = client.get(url)
        assert response.status_code == 302 and "/signin" in response.headers["Location"]


# --- deleting an account --------------------------------------------------------------------

def deletable():
    conference = make_conference()
    ana = make_attendee(conference, name="Ana Ruiz", school="Lincoln Elementary", offers=["Literacy"],
                        channels={"phone": ("202-555-0143", "anyone"), "x": ("ana_leads", "anyone")})
    kelly = sharer(conference)
    db.session.add_all([
        Connection(conference_id=conference.id, owner_id=ana.id, contact_id=kelly.id, note="Ana's note on Kelly"),
        Connection(conference_id=conference.id, owner_id=kelly.id, contact_id=ana.id, note="Kelly's note on Ana",
                   tags="literacy")])
    db.session.add(SignInToken(attendee_id=ana.id, token_hash="a" * 64, expires_at=ana.joined_at))
    db.session.commit()
    return conference, ana, kelly


def test_delete_asks_for_confirmation_first(client, app):
    _, ana, _ = deletable()
    sign_in_as(client, ana)
    page = client.get("/me/delete")
    assert page.status_code == 200 and "Delete your account?" in page.text and 'name="confirm"' in page.text
    refused = client.post("/me/delete", data={})
    assert refused.status_code == 422
    assert "Tick the box to confirm" in refused.text
    assert count(Attendee, Attendee.id == ana.id) == 1


def test_delete_removes_everything_of_mine_and_leaves_others_a_removed_attendee(client, app):
    conference, ana, kelly = deletable()
    ana_id, code = ana.id, ana.badge_code
    sign_in_as(client, ana)
    response = client.post("/me/delete", data={"confirm": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/account-deleted"
    assert "Your account is deleted" in client.get("/account-deleted").text
    db.session.expire_all()
    assert count(Attendee, Attendee.id == ana_id) == 0
    assert count(AttendeeInterest, AttendeeInterest.attendee_id == ana_id) == 0
    assert count(Channel, Channel.attendee_id == ana_id) == 0
    assert count(SignInToken, SignInToken.attendee_id == ana_id) == 0
    assert count(Connection, Connection.owner_id == ana_id) == 0
    [kept] = db.session.scalars(select(Connection).where(Connection.owner_id == kelly.id))
    assert kept.contact_id is None and kept.removed
    assert kept.note == "Kelly's note on Ana" and kept.tags == "literacy"
    assert db.session.scalar(select(RetiredBadgeCode.code)) == code
    # This phone is signed out.
    assert client.get("/me/badge").status_code == 302
    # The badge says it was removed.
    gone = client.get(f"/c/{display(code)}")
    assert gone.status_code == 410 and "This badge was removed" in gone.text and "Ana" not in gone.text


def test_the_removed_attendee_row_works_everywhere_for_its_owner(client, app):
    conference, ana, kelly = deletable()
    someone = make_attendee(conference, name="Sam Saver")
    db.session.add(Connection(conference_id=conference.id, owner_id=someone.id, contact_id=kelly.id))
    db.session.commit()
    sign_in_as(client, ana)
    client.post("/me/delete", data={"confirm": "y"})
    sign_in_as(client, kelly)
    connection = db.session.scalar(select(Connection).where(Connection.owner_id == kelly.id))

    listing = client.get("/me/contacts")
    assert listing.status_code == 200
    assert "Removed attendee" in listing.text and "Ana" not in listing.text.replace("Kelly&#39;s note on Ana", "")
    assert "Sam Saver" in listing.text  # saved Kelly; the removed row does not hide pending save-backs
    found = client.get("/me/contacts?q=note")
    assert "Removed attendee" in found.text
    assert "Removed attendee" in client.get("/me/contacts", headers={"HX-Request": "true"}).text
    with_interest = client.get(f"/me/contacts?interest={interest(conference, 'Literacy').id}")
    assert with_interest.status_code == 200 and "0 contacts" in with_interest.text

    shown = client.get(f"/me/contacts/{connection.id}")
    assert shown.status_code == 200
    assert "Removed attendee" in shown.text and "Kelly&#39;s note on Ana" in shown.text
    assert "Lincoln" not in shown.text and "555-0143" not in shown.text and "ana_leads" not in shown.text
    edited = client.post(f"/me/contacts/{connection.id}/note", data={"note": "Still mine", "tags": ""})
    assert edited.status_code == 303
    db.session.expire_all()
    assert connection.note == "Still mine"

    table = list(csv.reader(io.StringIO(client.get("/me/contacts.csv").text.lstrip("\ufeff"))))
    assert table[1][0] == "Removed attendee" and "Still mine" in table[1]
    assert not any("Lincoln" in cell or "ana_leads" in cell or "555" in cell for cell in table[1])
    nobody = client.get("/me/contacts.vcf")  # nobody to add to an address book: a page that says so
    assert nobody.status_code == 404 and "nobody to add to your phone" in nobody.text
    one = client.get(f"/me/contacts/{connection.id}.vcf")
    assert one.status_code == 200
    card = vobject.readOne(one.text)
    assert card.fn.value == "Removed attendee" and "Still mine" in card.note.value
    assert not hasattr(card, "tel") and not hasattr(card, "email")

    data = json.loads(client.get("/me/data.json").text)
    assert data["contacts"][0]["name"] == "Removed attendee" and data["contacts"][0]["removed"] is True

    removed = client.post(f"/me/contacts/{connection.id}/delete")
    assert removed.status_code == 303
    assert count(Connection, Connection.owner_id == kelly.id) == 0


def test_a_deleted_badge_code_is_never_issued_again(client, app, monkeypatch):
    conference, ana, _ = deletable()
    retired = ana.badge_code
    sign_in_as(client, ana)
    client.post("/me/delete", data={"confirm": "y"})

    class PlannedRandomness:
        """The random source hands out the retired code first, then a fresh one."""
        def __init__(self, *codes):
            self.characters = iter("".join(codes))

        def choice(self, alphabet):
            return next(self.characters)

    import conference.badges.codes as codes
    monkeypatch.setattr(codes, "secrets", PlannedRandomness(retired, "ZZZZZZZZZZZZ"))
    response = client.post(f"/{conference.slug}/join", data=join_form(conference, email="new@school.example.org"))
    assert response.status_code == 303
    newcomer = db.session.scalar(select(Attendee).where(Attendee.email == "new@school.example.org"))
    assert newcomer.badge_code == "ZZZZZZZZZZZZ"
    assert client.get(f"/c/{display(retired)}").status_code == 410


def test_a_deleted_attendee_id_is_never_reused_by_a_stale_session(client, app):
    conference = make_conference()
    make_attendee(conference)
    last = make_attendee(conference)
    last_id = last.id
    stale_phone = app.test_client()
    sign_in_as(stale_phone, last)
    sign_in_as(client, last)
    client.post("/me/delete", data={"confirm": "y"})
    newcomer = make_attendee(conference, name="New Person")
    assert newcomer.id != last_id
    assert stale_phone.get("/me/badge").status_code == 302


def test_every_reference_to_an_attendee_says_what_happens_when_they_are_deleted(app):
    """Deleting an account relies on each foreign key to attendee being CASCADE or SET NULL."""
    attendee = db.metadata.tables["attendee"]
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is attendee:
                action = (fk.ondelete or "").upper()
                assert action in ("CASCADE", "SET NULL"), f"{table.name}.{fk.parent.name} has no ON DELETE"
                if action == "SET NULL":
                    assert fk.parent.nullable, f"{table.name}.{fk.parent.name} is SET NULL but NOT NULL"


# --- the privacy page -----------------------------------------------------------------------

def test_privacy_page_in_plain_language_for_everyone(client, app):
    page = client.get("/privacy")
    assert page.status_code == 200
    for heading in ("What we store", "Who sees what", "How long we keep it", "Your choices"):
        assert heading in page.text
    assert "Delete your account" in page.text and "never sell" in page.text
    assert 'href="/privacy"' in client.get("/").text
    ana = make_attendee(make_conference())
    sign_in_as(client, ana)
    assert 'href="/privacy"' in client.get("/me").text
    assert 'href="/privacy"' in client.get("/me/profile").text
