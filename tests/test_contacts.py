"""The card after a scan, saving with a note, the contacts list, save-back."""
from sqlalchemy import func, select

from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.extensions import db
from tests.factories import make_attendee, make_conference, sign_in_as


def two_people():
    conference = make_conference()
    me = make_attendee(conference, name="Ana Ruiz", role="aspiring_principal",
                       offers=["Literacy"], seeks=["Scheduling", "Being mentored", "School climate and culture"])
    them = make_attendee(conference, name="Kelly O'Connell", role="principal", school="Oak Hill Primary",
                         state="MD", district="County School District 5",
                         offers=["Scheduling", "Mentoring (offering)", "School climate and culture"],
                         seeks=["Literacy"],
                         channels={"phone": ("202-555-0188", True), "voxer": ("kellyoc", True),
                                   "email": ("kelly@oakhill.example.org", False)})
    return conference, me, them


def card_url(person):
    return f"/c/{display(person.badge_code)}"


def count_connections():
    return db.session.scalar(select(func.count()).select_from(Connection))


def test_card_shows_shared_and_complementary_interests(client, app):
    _, me, them = two_people()
    sign_in_as(client, me)
    page = client.get(card_url(them))
    assert page.status_code == 200
    text = page.text
    assert "Kelly O&#39;Connell" in text and "Oak Hill Primary" in text
    assert "Can help with Scheduling</strong>, which you are looking for" in text
    assert "Is looking for <strong>Literacy</strong>, which you can help with" in text
    assert 'class="shared"' in text and "shared with you" in text
    assert "(202) 555-0188" in text and "kellyoc" in text
    assert "kelly@oakhill" not in text  # not shared
    assert "Save contact" in text and 'name="note"' in text


def test_signed_out_card_shows_only_name_role_school_state(client, app):
    conference, _, them = two_people()
    page = client.get(card_url(them))
    assert page.status_code == 200
    assert "Kelly O&#39;Connell" in page.text and "Principal" in page.text
    assert "Oak Hill Primary" in page.text and "MD" in page.text
    for hidden in ("555-0188", "kellyoc", "County School District 5", "Scheduling", 'name="note"'):
        assert hidden not in page.text
    assert f"/{conference.slug}/join" in page.text


def test_save_with_note_then_save_again_updates_the_one_contact(client, app):
    _, me, them = two_people()
    sign_in_as(client, me)
    first = client.post(card_url(them) + "/save", data={"note": "Master schedule, send template", "tags": "Mentor, scheduling"})
    assert first.status_code == 303
    assert first.headers["Location"] == card_url(them) + "?saved=1"
    second = client.post(card_url(them) + "/save", data={"note": "Sent it Friday", "tags": "mentor"})
    assert second.status_code == 303
    assert count_connections() == 1
    connection = db.session.scalar(select(Connection))
    assert (connection.owner_id, connection.contact_id) == (me.id, them.id)
    assert connection.note == "Sent it Friday" and connection.tags == "mentor"
    page = client.get(card_url(them) + "?saved=1")
    assert "Saved Kelly" in page.text and "Update contact" in page.text and "Sent it Friday" in page.text


def test_htmx_save_returns_the_form_fragment(client, app):
    _, me, them = two_people()
    sign_in_as(client, me)
    response = client.post(card_url(them) + "/save", data={"note": "hi"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<form id="save-form"')
    assert "Saved Kelly" in response.text
    assert "HX-Request" in response.headers["Vary"]
    full = client.get(card_url(them))
    assert full.text.lstrip().lower().startswith("<!doctype html>")


def test_saving_your_own_badge_says_so_kindly(client, app):
    _, me, _ = two_people()
    sign_in_as(client, me)
    page = client.get(card_url(me))
    assert "This is your own badge" in page.text and 'name="note"' not in page.text
    response = client.post(card_url(me) + "/save", data={"note": "me"})
    assert response.status_code == 422
    assert "your own badge" in response.text
    assert count_connections() == 0


def test_unknown_and_malformed_codes_get_a_friendly_404_with_a_box(client, app):
    _, me, _ = two_people()
    sign_in_as(client, me)
    for code in ("ZZZZ-ZZZZ-ZZZZ", "not-a-code", "%3Cscript%3E"):
        page = client.get(f"/c/{code}")
        assert page.status_code == 404
        assert "couldn" in page.text and 'name="code"' in page.text
        assert "<script>" not in page.text
    response = client.post("/c/ZZZZ-ZZZZ-ZZZZ/save", data={"note": "lost"})
    assert response.status_code == 404
    assert count_connections() == 0


def test_overlong_note_is_refused_and_kept(client, app):
    _, me, them = two_people()
    sign_in_as(client, me)
    note = "Talked about scheduling. " * 100
    response = client.post(card_url(them) + "/save", data={"note": note, "tags": "a"})
    assert response.status_code == 422
    assert "at most 2,000 characters" in response.text
    assert "Talked about scheduling. Talked" in response.text
    assert count_connections() == 0


def test_too_many_or_too_long_tags_are_refused(client, app):
    _, me, them = two_people()
    sign_in_as(client, me)
    response = client.post(card_url(them) + "/save", data={"note": "x", "tags": ",".join(f"t{i}" for i in range(11))})
    assert response.status_code == 422 and "At most 10 tags" in response.text
    response = client.post(card_url(them) + "/save", data={"note": "x", "tags": "y" * 41})
    assert response.status_code == 422 and "40 characters" in response.text
    assert count_connections() == 0


def test_saving_needs_sign_in(client, app):
    _, _, them = two_people()
    response = client.post(card_url(them) + "/save", data={"note": "x"})
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_badge_from_another_conference_cannot_be_saved(client, app):
    _, me, _ = two_people()
    elsewhere = make_attendee(make_conference(name="Another Conference"))
    sign_in_as(client, me)
    page = client.get(card_url(elsewhere))
    assert "another conference" in page.text
    assert client.post(card_url(elsewhere) + "/save", data={"note": "x"}).status_code == 422
    assert count_connections() == 0


def save(client, person, note="", tags=""):
    return client.post(card_url(person) + "/save", data={"note": note, "tags": tags})


def test_contacts_newest_first_search_and_interest_filter(client, app):
    conference, me, them = two_people()
    other = make_attendee(conference, name="Jamal Chen", school="Harbor View Elementary", district="Lakeside ISD",
                          offers=["Equity"])
    sign_in_as(client, me)
    save(client, them, "Voxer group for early-career principals")
    save(client, other, "Family nights idea")
    page = client.get("/me/contacts")
    assert page.text.index("Jamal Chen") < page.text.index("Kelly O&#39;Connell")
    assert "2 contacts" in page.text
    for query, expected, absent in [("voxer", "Kelly", "Jamal"), ("harbor", "Jamal", "Kelly"),
                                    ("lakeside", "Jamal", "Kelly"), ("o'connell", "Kelly", "Jamal"),
                                    ("JAMAL", "Jamal", "Kelly")]:
        found = client.get("/me/contacts", query_string={"q": query}, headers={"HX-Request": "true"})
        assert found.text.lstrip().startswith('<div id="contact-list"'), query
        assert expected in found.text and absent not in found.text, query
    from tests.factories import interest
    equity = interest(conference, "Equity").id
    filtered = client.get("/me/contacts", query_string={"interest": equity})
    assert "Jamal Chen" in filtered.text and "Kelly O&#39;Connell" not in filtered.text
    nothing = client.get("/me/contacts", query_string={"q": "zebra"})
    assert "No contacts match" in nothing.text


def test_contact_note_edit_in_place_and_remove(client, app):
    _, me, them = two_people()
    sign_in_as(client, me)
    save(client, them, "first note")
    connection = db.session.scalar(select(Connection))
    detail = client.get(f"/me/contacts/{connection.id}")
    assert "first note" in detail.text and "Edit note" in detail.text
    form = client.get(f"/me/contacts/{connection.id}/note", headers={"HX-Request": "true"})
    assert form.text.lstrip().startswith('<section id="note-block"') and "<textarea" in form.text
    saved = client.post(f"/me/contacts/{connection.id}/note", data={"note": "second; note, with\nlines", "tags": "x"},
                        headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "second; note, with\nlines" in saved.text and "<textarea" not in saved.text
    plain = client.post(f"/me/contacts/{connection.id}/note", data={"note": "third", "tags": ""})
    assert plain.status_code == 303
    db.session.expire_all()
    assert connection.note == "third"
    too_long = client.post(f"/me/contacts/{connection.id}/note", data={"note": "n" * 2001},
                           headers={"HX-Request": "true"})
    assert too_long.status_code == 422 and "n" * 2001 in too_long.text
    removed = client.post(f"/me/contacts/{connection.id}/delete")
    assert removed.status_code == 303 and removed.headers["Location"] == "/me/contacts"
    assert count_connections() == 0
    assert client.get(f"/me/contacts/{connection.id}").status_code == 404


def test_someone_elses_contact_is_not_found(client, app):
    conference, me, them = two_people()
    sign_in_as(client, them)
    save(client, me, "their private note")
    theirs = db.session.scalar(select(Connection))
    sign_in_as(client, me)
    assert client.get(f"/me/contacts/{theirs.id}").status_code == 404
    assert client.post(f"/me/contacts/{theirs.id}/note", data={"note": "hijack"}).status_code == 404
    assert client.post(f"/me/contacts/{theirs.id}/delete").status_code == 404
    assert client.get(f"/me/contacts/{theirs.id}.vcf").status_code == 404
    db.session.expire_all()
    assert theirs.note == "their private note"


def test_people_who_saved_me_and_one_tap_save_back(client, app):
    conference, me, them = two_people()
    sign_in_as(client, them)
    save(client, me, "Met at the literacy session")
    sign_in_as(client, me)
    page = client.get("/me/contacts")
    assert "1 person saved you" in page.text and "Save back" in page.text
    back = client.post(card_url(them) + "/save", data={"note": "", "next": "contacts"})
    assert back.status_code == 303 and back.headers["Location"] == "/me/contacts"
    assert count_connections() == 2
    page = client.get("/me/contacts")
    assert "Save back" not in page.text and "saved them all back" in page.text
    # My note about them is mine; their note about me never shows to me.
    assert "Met at the literacy session" not in page.text


def test_mutual_channels_show_only_after_save_back(client, app):
    conference, me, them = two_people()
    mine = them.channel("voxer")
    mine.visibility = "mutual"
    db.session.commit()
    sign_in_as(client, me)
    assert "kellyoc" not in client.get(card_url(them)).text
    sign_in_as(client, them)
    save(client, me)
    sign_in_as(client, me)
    assert "kellyoc" in client.get(card_url(them)).text


def test_a_long_merged_note_can_still_be_edited_but_not_grown(client, app):
    _, me, them = two_people()
    sign_in_as(client, me)
    save(client, them, "first")
    connection = db.session.scalar(select(Connection))
    connection.note = "m" * 2500  # notes from several offline scans, merged
    db.session.commit()
    kept = client.post(f"/me/contacts/{connection.id}/note", data={"note": "m" * 2400, "tags": ""})
    assert kept.status_code == 303
    grown = client.post(f"/me/contacts/{connection.id}/note", data={"note": "m" * 2600, "tags": ""})
    assert grown.status_code == 422 and "at most 2,400 characters" in grown.text
