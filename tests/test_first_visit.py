"""A person's first minutes, through the real routes: errors where they look, the short join, the badge
page's sharing and home-screen hint, and the small things found on the way (CSV phones, an empty vCard,
calendars on an iPhone, the conference's front door, the console's clock)."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.contacts.operations import save_contact
from conference.events.models import utcnow
from conference.events.operations import local_time
from conference.extensions import db
from conference.privacy.operations import delete_account
from tests.factories import make_attendee, make_conference, sign_in_as

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/18.1 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Mobile Safari/537.36")
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
HTMX = {"HX-Request": "true"}


def text_of(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def words(response) -> str:
    """What a person reads: the text without its tags."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True))).split())


# ---- a mistyped code, a failed save-back: the message is where the person is ----------------------------

def test_a_mistyped_code_ends_on_a_page_that_says_so_and_keeps_it(client, app):
    typed = "7KQ2-XM4P-9BDA"  # well formed, nobody's
    response = client.get(f"/code?code={typed}")
    assert response.status_code == 303
    shown = client.get(response.headers["Location"])
    assert shown.status_code == 404
    assert "No badge has this code. Check it against the badge and type it again." in text_of(shown)
    assert f'value="{typed}"' in shown.get_data(as_text=True)  # to correct, not to type again
    assert 'role="alert"' in shown.get_data(as_text=True)


def test_a_boosted_mistyped_code_gets_a_whole_page_with_its_error(client, app):
    """htmx follows the redirect; the 404 it gets is the whole page (static/errors.js swaps it in)."""
    response = client.get("/code?code=7KQ2-XM4P-9BDA", headers={**HTMX, "HX-Boosted": "true"},
                          follow_redirects=True)
    assert response.status_code == 404
    assert "<html" in response.get_data(as_text=True)
    assert "No badge has this code" in text_of(response)


def test_save_back_of_someone_who_left_says_so_on_the_contacts_page(client, app):
    conference = make_conference()
    me = make_attendee(conference, name="Ana Ruiz")
    fan = make_attendee(conference, name="Bea Chen")
    save_contact(fan, me)
    db.session.commit()
    code = display(fan.badge_code)
    sign_in_as(client, me)
    page = client.get("/me/contacts")
    assert "Save back" in text_of(page) and "Bea Chen" in text_of(page)
    delete_account(fan)  # in another tab, a moment before the tap
    db.session.commit()
    response = client.post(f"/c/{code}/save", data={"next": "contacts"}, headers={**HTMX, "HX-Boosted": "true"})
    assert response.status_code == 404
    body = text_of(response)
    assert "<h1>My contacts</h1>" in body
    assert "Not saved: That person has left PLN Connect, so they can't be saved." in body
    assert response.headers["HX-Push-Url"] == "/me/contacts"
    assert db.session.scalar(select(Connection).where(Connection.owner_id == me.id)) is None


def test_save_back_after_the_conference_closed_says_why_on_the_contacts_page(client, app):
    conference = make_conference()
    me, fan = make_attendee(conference), make_attendee(conference, name="Bea Chen")
    save_contact(fan, me)
    conference.closes_on = datetime(2026, 1, 1).date()
    db.session.commit()
    sign_in_as(client, me)
    response = client.post(f"/c/{display(fan.badge_code)}/save", data={"next": "contacts"})
    assert response.status_code == 422
    assert "Not saved: " in text_of(response) and "closed" in text_of(response)


def test_a_note_edit_of_a_removed_contact_answers_an_error_page_htmx_shows_beside_the_form(client, app):
    conference = make_conference()
    me, other = make_attendee(conference), make_attendee(conference)
    connection = save_contact(me, other, note="first")
    db.session.commit()
    sign_in_as(client, me)
    connection_id = connection.id
    client.post(f"/me/contacts/{connection_id}/delete")
    response = client.post(f"/me/contacts/{connection_id}/note", data={"note": "typed"}, headers=HTMX)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.get_data(as_text=True)  # static/errors.js reads h1 + p


# ---- the short join ---------------------------------------------------------------------------------------

def test_four_fields_are_enough_for_a_badge(client, app):
    conference = make_conference()
    page = client.get(f"/{conference.slug}/join")
    html = page.get_data(as_text=True)
    assert '<details class="more-profile" id="more">' in html  # closed: the first step is short
    response = client.post(f"/{conference.slug}/join", data={
        "name": "Dana Whitfield", "email": "dana@school.example.org", "role": "assistant_principal",
        "school": "Riverbend K-8"})
    assert response.status_code == 303 and "/me/badge?welcome=1" in response.headers["Location"]
    badge = client.get(response.headers["Location"])
    assert "Add your interests and how to reach you" in text_of(badge)


def test_a_mistake_in_add_more_opens_it_and_keeps_everything_typed(client, app):
    conference = make_conference()
    response = client.post(f"/{conference.slug}/join", data={
        "name": "Dana Whitfield", "email": "dana@school.example.org", "role": "principal", "school": "Riverbend",
        "district": "Tidewater Public Schools", "ch_phone": "12", "ch_x": "@dana_leads"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<details class="more-profile" id="more" open>' in html
    for kept in ('value="Dana Whitfield"', 'value="Tidewater Public Schools"', 'value="12"', 'value="@dana_leads"'):
        assert kept in html
    assert "Enter a phone number like" in html or "not a phone number we can call" in html


def test_a_new_phone_is_shown_only_to_people_saved_back_unless_chosen(client, app):
    conference = make_conference()
    page = client.get(f"/{conference.slug}/join").get_data(as_text=True)
    assert 'checked id="ch_phone_share-1" name="ch_phone_share" type="radio" value="mutual"' in page
    assert 'checked id="ch_x_share-0" name="ch_x_share" type="radio" value="anyone"' in page
    client.post(f"/{conference.slug}/join", data={  # no choice sent: the defaults hold
        "name": "Dana Whitfield", "email": "dana@school.example.org", "role": "principal", "school": "Riverbend",
        "ch_phone": "(757) 555-0142", "ch_x": "@dana_leads"})
    dana = db.session.scalar(select(Attendee).where(Attendee.email == "dana@school.example.org"))
    assert {c.kind: c.visibility for c in dana.channels} == {"phone": "mutual", "x": "anyone"}


def test_the_join_forms_defaults_are_the_safe_ones(app):
    from conference.attendees.forms import ProfileForm
    with app.test_request_context("/"):
        form = ProfileForm(formdata=None)
        defaults = {kind: share.data for kind, _, share in form.channel_fields()}
    assert defaults["phone"] == "mutual" and defaults["voxer"] == "mutual" and defaults["email"] == "nobody"
    assert defaults["x"] == defaults["linkedin"] == defaults["website"] == "anyone"


# ---- my badge: share it, add to the home screen -----------------------------------------------------------

def test_the_badge_page_shares_my_card(client, app):
    me = make_attendee(make_conference())
    sign_in_as(client, me)
    html = client.get("/me/badge").get_data(as_text=True)
    url = f"https://pln.example.org/c/{display(me.badge_code)}"
    assert "Share my card" in html
    assert f'id="card-link" class="card-link" type="url" value="{url}" readonly' in html
    assert 'data-share="#card-link"' in html and 'data-copy="#card-link"' in html


def test_the_home_screen_hint_speaks_each_phones_words_and_goes_away_for_good(client, app):
    sign_in_as(client, make_attendee(make_conference()))
    ios = words(client.get("/me/badge?welcome=1", headers={"User-Agent": IPHONE}))
    assert "Add PLN Connect to your home screen" in ios
    assert "In Safari, tap Share (the square with an arrow pointing up), then Add to Home Screen, then Add." in ios
    android = client.get("/me/badge", headers={"User-Agent": ANDROID})
    assert "In Chrome, tap the menu" in words(android) and "Install app" in words(android)
    assert "User-Agent" in android.headers["Vary"]
    assert "home screen" not in text_of(client.get("/me/badge", headers={"User-Agent": LAPTOP}))

    done = client.post("/me/badge/home-screen-hint", headers={"User-Agent": IPHONE})
    assert done.status_code == 303 and done.headers["Location"] == "/me/badge"
    assert "home_screen_hint=done" in done.headers["Set-Cookie"]
    assert "Add PLN Connect to your home screen" not in text_of(client.get("/me/badge", headers={"User-Agent": IPHONE}))
    client.post("/signout")  # signing out and in again keeps it dismissed: the cookie is the phone's
    sign_in_as(client, db.session.scalar(select(Attendee)))
    assert "Add PLN Connect to your home screen" not in text_of(client.get("/me/badge", headers={"User-Agent": IPHONE}))


def test_dismissing_the_hint_with_htmx_answers_an_empty_swap(client, app):
    sign_in_as(client, make_attendee(make_conference()))
    response = client.post("/me/badge/home-screen-hint", headers=HTMX)
    assert response.status_code == 200 and response.get_data() == b""
    assert "home_screen_hint=done" in response.headers["Set-Cookie"]


# ---- small defects ---------------------------------------------------------------------------------------

def csv_record(client) -> dict:
    rows = list(csv.reader(io.StringIO(client.get("/me/contacts.csv").get_data().decode("utf-8-sig"))))
    return dict(zip(rows[0], rows[1]))


def test_csv_phone_numbers_are_plain_text_and_formulas_are_still_neutralised(client, app):
    conference = make_conference()
    me = make_attendee(conference)
    us = make_attendee(conference, name="Sam Lee", channels={"phone": ("(202) 555-0188", True)})
    save_contact(me, us, note="+1 202-555-0188 is her cell")  # phone-like, but in the note: marked
    db.session.commit()
    sign_in_as(client, me)
    record = csv_record(client)
    assert record["Mobile phone"] == "(202) 555-0188"
    assert record["Note"] == "'+1 202-555-0188 is her cell"


def test_csv_marks_a_formula_even_in_the_phone_column(app):
    from conference.exports.tabular import PHONE_COLUMNS, to_csv
    text = to_csv([["Name", "Mobile phone"], ["A", "+1-1"], ["B", "=1+1"], ["C", "+81 3-1234-5678"]], PHONE_COLUMNS)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r[1] for r in rows[1:]] == ["'+1-1", "'=1+1", "+81 3-1234-5678"]


def test_the_all_contacts_vcard_with_no_contacts_says_so(client, app):
    sign_in_as(client, make_attendee(make_conference()))
    response = client.get("/me/contacts.vcf")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "No contacts yet" in text_of(response)
    assert "Content-Disposition" not in response.headers
    # the links open it as a page, so its message is seen (a vCard still downloads: it is an attachment)
    assert 'href="/me/contacts.vcf" data-hx-boost="false">' in client.get("/me/contacts").get_data(as_text=True)


def test_an_iphone_is_offered_calendar_events_first_and_gets_them_inline(client, app):
    from conference.followups.operations import add_follow_up
    conference = make_conference()
    me, other = make_attendee(conference), make_attendee(conference)
    connection = save_contact(me, other)
    add_follow_up(me, connection.id, "Send the schedule template", (date.today() + timedelta(days=9)).isoformat())
    db.session.commit()
    sign_in_as(client, me)
    page = client.get("/me/follow-ups", headers={"User-Agent": IPHONE}).get_data(as_text=True)
    assert "Add to my iPhone's calendar" in page
    assert page.index("as=events") < page.index('href="/me/follow-ups.ics"')
    assert 'href="/me/follow-ups.ics?as=events" data-hx-boost="false">' in page  # opened, not downloaded
    events = client.get("/me/follow-ups.ics?as=events", headers={"User-Agent": IPHONE})
    assert events.headers["Content-Disposition"].startswith("inline;")
    assert "BEGIN:VEVENT" in events.get_data(as_text=True)
    elsewhere = client.get("/me/follow-ups.ics?as=events", headers={"User-Agent": ANDROID})
    assert elsewhere.headers["Content-Disposition"].startswith("attachment;")
    laptop = client.get("/me/follow-ups", headers={"User-Agent": LAPTOP}).get_data(as_text=True)
    assert "Calendar reminders (.ics)" in laptop and "To-do list (.ics)" in laptop


def test_the_conference_address_is_its_front_door(client, app):
    conference = make_conference(name="Pre-K–8 Principals Conference", venue="National Harbor, MD")
    page = client.get(f"/{conference.slug}")
    assert page.status_code == 200
    body = text_of(page)
    for seen in ("Pre-K–8 Principals Conference", "July 9–11, 2026", "National Harbor, MD", "Join and get my badge",
                 "Sign in"):
        assert seen in body
    html = page.get_data(as_text=True)
    assert f'href="/{conference.slug}/join"' in html and 'href="/signin"' in html
    assert client.get("/no-such-conference").status_code == 404
    assert client.get("/code").status_code == 200  # the app's own pages still win
    me = make_attendee(conference)
    sign_in_as(client, me)
    assert "Show my badge" in text_of(client.get(f"/{conference.slug}"))


def test_a_closed_conferences_front_door_says_so(client, app):
    conference = make_conference(closes_on=datetime(2026, 1, 1).date())
    body = text_of(client.get(f"/{conference.slug}"))
    assert "Joining has closed" in body and "Join and get my badge" not in body


def test_the_dashboard_tells_time_on_the_venues_clock(client, app):
    from tests.organizer_factories import make_organizer, sign_in_organizer
    conference = make_conference(timezone="America/Los_Angeles")
    sign_in_organizer(client, make_organizer(conference))
    body = text_of(client.get(f"/organize/{conference.slug}/"))
    assert "UTC" not in body
    updated = body.split("Updated ", 1)[1].split(" ·", 1)[0]
    assert updated.endswith((" PST", " PDT")), updated
    expected = local_time(conference, utcnow())
    shown = datetime.strptime(updated[:8], "%H:%M:%S")
    assert abs((shown.hour * 60 + shown.minute) - (expected.hour * 60 + expected.minute)) <= 1
