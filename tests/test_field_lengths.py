"""Each text a person types is as long as its model column holds: the page says so (maxlength), one
character more is refused at the field with its message and comes back to be shortened, and the
registrant import refuses a cell one character longer than its column."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from conference.attendees.models import Attendee, Channel
from conference.circles.models import Circle
from conference.contacts.models import Connection
from conference.contacts.operations import TAG_LENGTH, TAG_LIMIT
from conference.events.models import Conference
from conference.extensions import db
from conference.followups.models import FollowUp
from conference.interests.models import Interest
from conference.lengths import max_length
from conference.meetings.huddles import start_huddle
from conference.meetings.models import Huddle, Meeting, MeetingSpot, MeetingTime
from conference.organizer.access.models import Organizer
from tests.factories import interest, make_attendee, make_conference, sign_in_as
from tests.meeting_factories import accepted_meeting, make_spot, make_time
from tests.organizer_factories import connect, make_organizer, sign_in_organizer
from tests.test_join import join_form
from tests.test_organizer_import import upload

SOON = date.today() + timedelta(days=30)
AT_MOST = "At most {max} characters, please."
WTFORMS = "Field cannot be longer than {max} characters."
TOO_LONG_EMAIL = "That email is too long."


@dataclass
class World:
    conference: Conference
    me: Attendee
    huddle: Huddle
    meeting: Meeting
    connection_id: int
    spot_id: int
    free_time_id: int
    interest_id: int
    cleo_id: int


@pytest.fixture
def world(client) -> World:
    """A conference a month away with its organizer and an attendee both signed in on `client`: the
    attendee hosts a huddle, has a meeting with Ben, has saved him, and has one time free to ask Cleo."""
    conference = make_conference(starts_on=SOON, ends_on=SOON + timedelta(days=2))
    me = make_attendee(conference, name="Ana Ruiz", seeks=("Scheduling",))
    ben = make_attendee(conference, name="Ben Okafor")
    cleo = make_attendee(conference, name="Cleo Park")
    tomorrow = make_time(conference)
    later = make_time(conference, starts_at=tomorrow.starts_at + timedelta(hours=1))
    free = make_time(conference, starts_at=tomorrow.starts_at + timedelta(hours=2))
    spot = make_spot(conference)
    huddle = start_huddle(me, "Chronic absence in K–2: what actually worked?", [interest(conference, "Scheduling").id],
                          tomorrow.id)
    db.session.commit()
    meeting = accepted_meeting(me, ben, later, spot)
    connection = connect(me, ben)
    sign_in_organizer(client, make_organizer(conference))
    sign_in_as(client, me)
    return World(conference, me, huddle, meeting, connection.id, spot.id, free.id,
                 interest(conference, "Literacy").id, cleo.id)


def long_text(length: int, field: str) -> str:
    """A value of exactly `length` characters, shaped like an email for an email field."""
    if "email" in field:
        return "a" * (length - len("@school.example.org")) + "@school.example.org"
    return "a" * length


def maxlength_of(page: str, element_id: str) -> int | None:
    """The maxlength of the input or textarea with this id on the page (None if it has none)."""
    tag = re.search(rf'<(?:input|textarea)\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert tag, f"no input with id {element_id}"
    found = re.search(r'\bmaxlength="(\d+)"', tag.group(0))
    return int(found.group(1)) if found else None


def settings_of(conference: Conference) -> dict:
    return {"name": conference.name, "slug": conference.slug, "starts_on": conference.starts_on.isoformat(),
            "ends_on": conference.ends_on.isoformat(), "timezone": conference.timezone, "venue": conference.venue,
            "joining_open": "y"}


# (what is typed, its column, the page, where it is sent, the element's id, the posted field, the rest of
# the form, the message for one character too many)
FIELDS = [
    ("profile name", Attendee.name, "/me/profile", "/me/profile", "name", "name",
     lambda w: join_form(w.conference, email=w.me.email), AT_MOST),
    ("profile school", Attendee.school, "/me/profile", "/me/profile", "school", "school",
     lambda w: join_form(w.conference, email=w.me.email), AT_MOST),
    ("profile district", Attendee.district, "/me/profile", "/me/profile", "district", "district",
     lambda w: join_form(w.conference, email=w.me.email), AT_MOST),
    ("profile email", Attendee.email, "/me/profile", "/me/profile", "email", "email",
     lambda w: join_form(w.conference), TOO_LONG_EMAIL),
    ("profile website", Channel.value, "/me/profile", "/me/profile", "ch_website", "ch_website",
     lambda w: join_form(w.conference, email=w.me.email, ch_website_share="anyone"), WTFORMS),
    ("circle name", Circle.name, "/me/circles", "/me/circles", "name", "name", lambda w: {},
     "A circle's name can be at most {max} characters; this one has {over}."),
    ("follow-up", FollowUp.text, "/me/contacts/{w.connection_id}/follow-ups", "/me/contacts/{w.connection_id}/follow-ups",
     "text", "text", lambda w: {"due_on": ""}, "Keep it to {max} characters; this one has {over}."),
    ("huddle question", Huddle.question, "/huddles/new", "/huddles/new", "question", "question",
     lambda w: {"interests": [str(w.interest_id)], "time": str(w.free_time_id), "spot": "", "size": "6"},
     "A question can be at most {max} characters; this one has {over}."),
    ("huddle cancel", Huddle.cancel_reason, "/huddles/{w.huddle.id}", "/huddles/{w.huddle.id}/cancel", "reason",
     "reason", lambda w: {}, "A reason can be at most {max} characters; this one has {over}."),
    ("meeting line", Meeting.message, "/me/meet/{w.cleo_id}", "/me/meet/{w.cleo_id}", "message", "message",
     lambda w: {"time": str(w.free_time_id), "spot": ""},
     "The line can be at most {max} characters; this one has {over}."),
    ("meeting cancel", Meeting.cancel_reason, "/me/meetings", "/me/meetings/{w.meeting.id}/cancel",
     "reason-{w.meeting.id}", "reason", lambda w: {},
     "The reason can be at most {max} characters; this one has {over}."),
    ("conference name", Conference.name, "/organize/{w.conference.slug}/settings",
     "/organize/{w.conference.slug}/settings", "name", "name", lambda w: settings_of(w.conference), AT_MOST),
    ("conference address", Conference.slug, "/organize/{w.conference.slug}/settings",
     "/organize/{w.conference.slug}/settings", "slug", "slug", lambda w: settings_of(w.conference), WTFORMS),
    ("conference venue", Conference.venue, "/organize/{w.conference.slug}/settings",
     "/organize/{w.conference.slug}/settings", "venue", "venue", lambda w: settings_of(w.conference), AT_MOST),
    ("new interest", Interest.name, "/organize/{w.conference.slug}/interests",
     "/organize/{w.conference.slug}/interests", "name", "name", lambda w: {}, AT_MOST),
    ("renamed interest", Interest.name, "/organize/{w.conference.slug}/interests",
     "/organize/{w.conference.slug}/interests/{w.interest_id}", "interest-{w.interest_id}", "name",
     lambda w: {}, AT_MOST),
    ("organizer invited", Organizer.email, "/organize/{w.conference.slug}/organizers",
     "/organize/{w.conference.slug}/organizers", "email", "email", lambda w: {}, TOO_LONG_EMAIL),
    ("meeting time label", MeetingTime.label, "/organize/{w.conference.slug}/meetings",
     "/organize/{w.conference.slug}/meetings/times", "time-label", "label",
     lambda w: {"day": SOON.isoformat(), "start": "10:00", "minutes": "20"}, AT_MOST),
    ("meeting run label", MeetingTime.label, "/organize/{w.conference.slug}/meetings",
     "/organize/{w.conference.slug}/meetings/runs", "run-label", "label",
     lambda w: {"day": SOON.isoformat(), "first": "10:00", "until": "11:30", "every": "20", "minutes": "20"},
     AT_MOST),
    ("new spot", MeetingSpot.name, "/organize/{w.conference.slug}/meetings",
     "/organize/{w.conference.slug}/meetings/spots", "spot-name", "name", lambda w: {"capacity": "10"}, AT_MOST),
    ("renamed spot", MeetingSpot.name, "/organize/{w.conference.slug}/meetings",
     "/organize/{w.conference.slug}/meetings/spots/{w.spot_id}", "spot-{w.spot_id}-name", "name",
     lambda w: {"capacity": "20"}, AT_MOST),
]


@pytest.mark.parametrize("what, column, page, action, element_id, field, rest, message", FIELDS,
                         ids=[case[0] for case in FIELDS])
def test_a_field_takes_what_its_column_holds(client, world, what, column, page, action, element_id, field, rest,
                                              message):
    w = world
    page, action, element_id = page.format(w=w), action.format(w=w), element_id.format(w=w)
    limit = max_length(column)
    message = message.format(max=limit, over=limit + 1)
    shown = client.get(page)
    assert shown.status_code == 200
    assert maxlength_of(shown.text, element_id) == limit

    too_long = long_text(limit + 1, field)
    refused = client.post(action, data={**rest(w), field: too_long})
    assert refused.status_code == 422
    assert message in html.unescape(refused.text)
    assert too_long in refused.text  # kept, to be shortened
    assert maxlength_of(refused.text, element_id) == limit

    fitting = client.post(action, data={**rest(w), field: long_text(limit, field)})
    assert message not in html.unescape(fitting.text)


@pytest.mark.parametrize("field, column", [("name", Attendee.name), ("email", Attendee.email),
                                           ("school", Attendee.school), ("district", Attendee.district)])
def test_joining_takes_what_the_columns_hold(client, field, column):
    conference = make_conference()
    limit = max_length(column)
    message = TOO_LONG_EMAIL if field == "email" else AT_MOST.format(max=limit)
    page = client.get(f"/{conference.slug}/join")
    assert maxlength_of(page.text, field) == limit
    too_long = long_text(limit + 1, field)
    refused = client.post(f"/{conference.slug}/join", data=join_form(conference, **{field: too_long}))
    assert refused.status_code == 422 and message in refused.text and too_long in refused.text
    assert db.session.scalar(select(Attendee)) is None


def test_signing_in_takes_an_email_as_long_as_the_column(client):
    limit = max_length(Attendee.email)
    assert maxlength_of(client.get("/signin").text, "email") == limit
    too_long = long_text(limit + 1, "email")
    refused = client.post("/signin", data={"email": too_long})
    assert refused.status_code == 422 and TOO_LONG_EMAIL in refused.text and too_long in refused.text


def test_a_web_address_as_long_as_the_column_is_taken(client, world):
    slug = "a" * max_length(Conference.slug)
    response = client.post(f"/organize/{world.conference.slug}/settings", data={**settings_of(world.conference),
                                                                                "slug": slug})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Conference, world.conference.id).slug == slug


def registrant_email(length: int) -> str:
    """A well-formed address of exactly `length` characters (near 254): a 64-character local part and
    domain labels of 63 characters at most."""
    last = length - len("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + ".org")
    return f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * last}.org"


@pytest.mark.parametrize("field, column", [("name", Attendee.name), ("school", Attendee.school),
                                           ("district", Attendee.district), ("email", Attendee.email)])
def test_the_import_refuses_a_cell_one_longer_than_its_column(client, field, column):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    limit = max_length(column)
    rows = {"fits": {"name": "Ana Ruiz", "email": "ana@school.example.org", "school": "Lincoln", "district": "Metro"},
            "over": {"name": "Ben Okafor", "email": "ben@school.example.org", "school": "Lincoln", "district": "Metro"}}
    if field == "email":
        rows["fits"]["email"], rows["over"]["email"] = registrant_email(limit), registrant_email(limit + 1)
    else:
        rows["fits"][field], rows["over"][field] = "a" * limit, "b" * (limit + 1)
    assert len(rows["fits"][field]) == limit and len(rows["over"][field]) == limit + 1
    data = "Name,Email,Role,School,District\r\n" + "".join(
        f"{r['name']},{r['email']},Principal,{r['school']},{r['district']}\r\n" for r in rows.values())
    response = upload(client, conference, data.encode())
    assert response.status_code == 200
    reason = "is not an email address" if field == "email" else f"{field} has {limit + 1} characters (at most {limit})"
    assert re.search(rf'<td class="num">3</td>[^\n]*{re.escape(reason)}', response.text), response.text[-3000:]
    imported = db.session.scalars(select(Attendee).where(Attendee.conference_id == conference.id)).all()
    assert [getattr(a, field) for a in imported] == [rows["fits"][field]]


def test_the_tags_box_holds_every_tag_a_contact_may_have(app, client):
    """Ten tags of the longest length, typed as "#tag, ", fit the tags box on the card and on the
    contact's page, and save as ten tags."""
    conference = make_conference(closes_on=SOON)
    me, other = make_attendee(conference), make_attendee(conference)
    db.session.commit()
    sign_in_as(client, me)
    typed = ", ".join(f"#{chr(97 + i)}{'x' * (TAG_LENGTH - 1)}" for i in range(TAG_LIMIT))
    assert maxlength_of(client.get(f"/c/{other.badge_code}").get_data(as_text=True), "tags") >= len(typed)
    response = client.post(f"/c/{other.badge_code}/save", data={"note": "", "tags": typed})
    assert response.status_code == 303
    saved = db.session.scalar(select(Connection).where(Connection.owner_id == me.id))
    assert len(saved.tag_list) == TAG_LIMIT and all(len(tag) == TAG_LENGTH for tag in saved.tag_list)
    assert maxlength_of(client.get(f"/me/contacts/{saved.id}/note").get_data(as_text=True), "tags") >= len(typed)
