"""Joining a conference through the real form, and what bad input does."""
from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.extensions import db
from tests.factories import interest, make_attendee, make_conference


def join_form(conference, **overrides):
    data = {"name": "Ana Ruiz", "email": "ana@school.example.org", "role": "aspiring_principal",
            "school": "Lincoln Elementary", "district": "Metro Unified", "state": "TX", "grade_band": "elementary",
            "offers": [str(interest(conference, "Literacy").id)],
            "seeks": [str(interest(conference, "Scheduling").id), str(interest(conference, "Being mentored").id)],
            "ch_phone": "(202) 555-0143", "ch_phone_share": "y", "ch_x": "https://x.com/ana_leads", "ch_x_share": "y",
            "ch_instagram": "@ana.leads", "ch_voxer": "", "ch_linkedin": "", "ch_bluesky": "", "ch_website": "", "ch_email": "", "ch_email_share": ""}
    data.update(overrides)
    return data


def test_join_creates_profile_and_signs_in(client, app):
    conference = make_conference()
    response = client.post(f"/{conference.slug}/join", data=join_form(conference))
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/me/badge")
    ana = db.session.scalar(select(Attendee).where(Attendee.email == "ana@school.example.org"))
    assert ana.role == "aspiring_principal" and ana.state == "TX"
    assert set(ana.seeks.values()) == {"Scheduling", "Being mentored"}
    assert set(ana.offers.values()) == {"Literacy"}
    assert ana.channel("phone").value == "+12025550143"
    assert ana.channel("x").value == "ana_leads"
    assert ana.channel("instagram").value == "ana.leads"
    assert ana.channel("email") is None  # not shared, nothing typed
    badge = client.get("/me/badge")
    assert badge.status_code == 200
    assert "Ana Ruiz" in badge.text and "<svg" in badge.text
    assert ana.badge_code[:4] in badge.text
    with client.session_transaction() as session:
        assert session["attendee_id"] == ana.id and session.permanent


def test_join_page_lists_interest_chips(client):
    conference = make_conference()
    page = client.get(f"/{conference.slug}/join")
    assert page.status_code == 200
    assert "School climate and culture" in page.text
    assert page.text.count('name="offers"') == 22 and page.text.count('name="seeks"') == 22


def test_bad_input_gets_messages_and_keeps_what_was_typed(client):
    conference = make_conference()
    data = join_form(conference, name="", email="not-an-email", ch_phone="12", ch_x="https://x.com/this handle is bad",
                     school="Riverside Académie")
    response = client.post(f"/{conference.slug}/join", data=data)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert "Enter your name" in response.text
    assert "Riverside Académie" in response.text  # kept
    assert 'value="12"' in response.text
    assert db.session.scalar(select(Attendee)) is None


def test_each_bad_field_has_its_own_message(client):
    conference = make_conference()
    cases = {
        "email": ("ana@", "Enter an email address"),
        "ch_phone": ("555-CALL-NOW-PLEASE", "phone"),
        "ch_website": ("not a site", "web address"),
        "role": ("superintendent-in-chief", "Choose your role"),
        "name": ("x" * 121, "120 characters"),
        "state": ("ZZ", "Choose your state"),
        "ch_instagram": ("@" + "a" * 40, "handle"),
    }
    for key, (value, message) in cases.items():
        response = client.post(f"/{conference.slug}/join", data=join_form(conference, **{key: value}))
        assert response.status_code == 422, key
        assert message in response.text, key
        assert db.session.scalar(select(Attendee)) is None


def test_unknown_interest_ids_are_refused(client):
    conference = make_conference()
    other = make_conference()
    foreign = interest(other, "Literacy").id
    for offers in ([str(foreign)], ["99999"], ["abc"]):
        response = client.post(f"/{conference.slug}/join", data=join_form(conference, offers=offers))
        assert response.status_code == 422
        assert "not on this conference" in response.text
    assert db.session.scalar(select(Attendee)) is None


def test_handles_given_as_urls_are_normalised(client):
    conference = make_conference()
    client.post(f"/{conference.slug}/join", data=join_form(
        conference, ch_x="@Ana_Leads", ch_instagram="https://www.instagram.com/ana.leads/?hl=en", ch_instagram_share="y",
        ch_linkedin="https://www.linkedin.com/in/ana-ruiz-123/", ch_linkedin_share="y", ch_bluesky="@ana",
        ch_bluesky_share="y", ch_website="anaruiz.org", ch_website_share="y", ch_voxer="AnaR", ch_voxer_share="y"))
    ana = db.session.scalar(select(Attendee))
    assert {c.kind: c.value for c in ana.channels} == {
        "phone": "+12025550143", "x": "Ana_Leads", "instagram": "ana.leads", "linkedin": "ana-ruiz-123",
        "bluesky": "ana.bsky.social", "website": "https://anaruiz.org", "voxer": "AnaR"}


def test_share_switch_off_hides_channel(client):
    conference = make_conference()
    client.post(f"/{conference.slug}/join", data=join_form(conference, ch_phone_share=""))
    ana = db.session.scalar(select(Attendee))
    assert ana.channel("phone").visibility == "nobody"
    assert ana.channel("x").visibility == "anyone"


def test_an_address_in_use_joins_provisionally_and_keeps_its_one_row(client, outbox):
    conference = make_conference()
    ana = make_attendee(conference, email="ana@school.example.org")
    response = client.post(f"/{conference.slug}/join", data=join_form(conference, email="ANA@school.example.org"))
    assert response.status_code == 303 and response.headers["Location"] == "/me/badge?welcome=1"
    rows = db.session.scalars(select(Attendee).where(Attendee.email == "ana@school.example.org")).all()
    assert [a.id for a in rows] == [ana.id]  # one profile holds the address
    assert outbox()[-1]["To"] == "ana@school.example.org"


def test_unknown_conference_is_404(client):
    assert client.get("/no-such-conference/join").status_code == 404


def test_closed_conference_says_so(client):
    conference = make_conference(joining_open=False)
    response = client.post(f"/{conference.slug}/join", data=join_form(conference))
    assert response.status_code == 422
    assert "closed" in response.text


def test_edit_profile_keeps_badge_code(client):
    from tests.factories import sign_in_as
    conference = make_conference()
    ana = make_attendee(conference, name="Ana Ruiz")
    code = ana.badge_code
    sign_in_as(client, ana)
    page = client.get("/me/profile")
    assert 'value="Ana Ruiz"' in page.text
    response = client.post("/me/profile", data=join_form(conference, name="Ana María Ruiz", email=ana.email))
    assert response.status_code == 303
    db.session.expire_all()
    assert ana.name == "Ana María Ruiz" and ana.badge_code == code


def test_htmx_join_error_returns_the_form_fragment(client):
    conference = make_conference()
    response = client.post(f"/{conference.slug}/join", data=join_form(conference, name=""),
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form id="profile-form"')
    assert "<html" not in response.text
