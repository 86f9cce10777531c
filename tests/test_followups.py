"""Follow-ups on a contact: add, list by due date, done, bad input, and the iCalendar files."""
from datetime import date, timedelta

import icalendar
from sqlalchemy import select

from conference.contacts.operations import save_contact
from conference.errors import DomainError
from conference.events.operations import local_today
from conference.extensions import db
from conference.followups.models import FollowUp
from conference.followups.operations import add_follow_up, open_follow_ups, parse_due
from tests.factories import make_attendee, make_conference, sign_in_as

HTMX = {"HX-Request": "true"}


def pair(client=None):
    conference = make_conference()
    me = make_attendee(conference, name="Ana Ruiz")
    maya = make_attendee(conference, name="Maya Johnson", school="Lincoln Elementary")
    connection = save_contact(me, maya, "Talked scheduling over coffee.")
    db.session.commit()
    if client is not None:
        sign_in_as(client, me)
    return conference, me, maya, connection


def test_add_from_a_contact_and_list_by_due_date(client):
    conference, me, maya, connection = pair(client)
    today = local_today(conference)
    later, sooner = today + timedelta(days=9), today + timedelta(days=2)
    for text, due in (("Send our master schedule template", later.isoformat()), ("Call about Voxer group", ""),
                      ("Share the climate survey", sooner.isoformat())):
        response = client.post(f"/me/contacts/{connection.id}/follow-ups", data={"text": text, "due_on": due})
        assert response.status_code == 303
        assert response.headers["Location"].startswith(f"/me/contacts/{connection.id}/follow-ups")
    rows = open_follow_ups(me)
    assert [f.text for f in rows] == ["Share the climate survey", "Send our master schedule template",
                                      "Call about Voxer group"]
    assert rows[0].due_on == sooner and rows[2].due_on is None and rows[0].owner_id == me.id
    page = client.get("/me/follow-ups")
    assert page.status_code == 200
    text = page.text
    assert text.index("Share the climate survey") < text.index("Send our master schedule") < text.index("Call about Voxer")
    assert "Maya Johnson" in text and "No date" in text


def test_htmx_add_returns_the_contact_block(client):
    conference, me, maya, connection = pair(client)
    response = client.post(f"/me/contacts/{connection.id}/follow-ups", headers=HTMX,
                           data={"text": "Send the template", "due_on": ""})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="contact-followups"')
    assert "Send the template" in response.text
    lazy = client.get(f"/me/contacts/{connection.id}/follow-ups", headers=HTMX)
    assert "<html" not in lazy.text and "Send the template" in lazy.text
    page = client.get(f"/me/contacts/{connection.id}")
    assert f'data-hx-get="/me/contacts/{connection.id}/follow-ups"' in page.text


def test_done_reopen_and_delete(client):
    conference, me, maya, connection = pair(client)
    follow_up = add_follow_up(me, connection.id, "Send the template", "")
    db.session.commit()
    response = client.post(f"/me/follow-ups/{follow_up.id}/done")
    assert response.status_code == 303 and response.headers["Location"] == "/me/follow-ups"
    db.session.refresh(follow_up)
    assert follow_up.done_at is not None and open_follow_ups(me) == []
    assert "Done (1)" in client.get("/me/follow-ups").text
    back = client.post(f"/me/follow-ups/{follow_up.id}/reopen", data={"back": "contact"}, headers=HTMX)
    assert back.status_code == 200 and back.text.lstrip().startswith('<section id="contact-followups"')
    db.session.refresh(follow_up)
    assert follow_up.done_at is None
    assert client.post(f"/me/follow-ups/{follow_up.id}/delete").status_code == 303
    assert db.session.scalar(select(FollowUp)) is None


def test_bad_input_gets_a_message_and_keeps_what_was_typed(client):
    conference, me, maya, connection = pair(client)
    today = local_today(conference)
    cases = [
        ({"text": "", "due_on": ""}, "Write what you want to do"),
        ({"text": "x" * 301, "due_on": ""}, "Keep it to 300 characters"),
        ({"text": "Send the template", "due_on": "next friday"}, "Enter the due date like"),
        ({"text": "Send the template", "due_on": "2026-02-30"}, "Enter the due date like"),
        ({"text": "Send the template", "due_on": (today - timedelta(days=1)).isoformat()}, "That date has passed"),
        ({"text": "Send the template", "due_on": (today + timedelta(days=900)).isoformat()}, "within the next two years"),
    ]
    for data, message in cases:
        response = client.post(f"/me/contacts/{connection.id}/follow-ups", data=data)
        assert response.status_code == 422, data
        assert message in response.text, data
        assert "There is a problem" in response.text
        if data["due_on"]:
            assert f'value="{data["due_on"]}"' in response.text
        if data["text"] and len(data["text"]) < 50:
            assert f'value="{data["text"]}"' in response.text
    assert db.session.scalar(select(FollowUp)) is None


def test_due_dates_use_the_clock_given(app):
    today = date(2026, 7, 10)
    assert parse_due("2026-07-17", today) == date(2026, 7, 17)
    assert parse_due("7/17/2026", today) == date(2026, 7, 17)
    assert parse_due("", today) is None
    try:
        parse_due("2026-07-09", today)
        raise AssertionError("a past date was accepted")
    except DomainError as error:
        assert error.field == "due_on" and "July 10" in error.message


def test_other_peoples_contacts_and_follow_ups_are_not_found(client):
    conference, me, maya, connection = pair()
    theirs = add_follow_up(me, connection.id, "Private to-do", "")
    db.session.commit()
    stranger = make_attendee(conference, name="Someone Else")
    sign_in_as(client, stranger)
    assert client.get(f"/me/contacts/{connection.id}/follow-ups").status_code == 404
    assert client.post(f"/me/contacts/{connection.id}/follow-ups", data={"text": "x"}).status_code == 404
    assert client.post(f"/me/follow-ups/{theirs.id}/done").status_code == 404
    assert client.post(f"/me/follow-ups/{theirs.id}/delete").status_code == 404
    assert "Private to-do" not in client.get("/me/follow-ups").text
    assert "Private to-do" not in client.get("/me/follow-ups.ics").text


def test_icalendar_todos_parse_back(client):
    conference, me, maya, connection = pair(client)
    today = local_today(conference)
    due = today + timedelta(days=3)
    dated = add_follow_up(me, connection.id, "Send our master schedule template", due.isoformat())
    add_follow_up(me, connection.id, "Invite to the Voxer group", "")
    done = add_follow_up(me, connection.id, "Already done", "")
    done.done_at = done.created_at
    db.session.commit()
    response = client.get("/me/follow-ups.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"] and ".ics" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.data)
    todos = calendar.walk("VTODO")
    assert len(todos) == 2
    first = todos[0]
    assert str(first["SUMMARY"]) == "Send our master schedule template — Maya Johnson"
    assert first.decoded("DUE") == due
    assert str(first["STATUS"]) == "NEEDS-ACTION"
    assert str(first["UID"]) == f"follow-up-{dated.id}@pln.example.org"
    assert "Talked scheduling over coffee." in str(first["DESCRIPTION"])
    assert "DUE" not in todos[1]
    again = icalendar.Calendar.from_ical(client.get("/me/follow-ups.ics").data)
    assert [str(t["UID"]) for t in again.walk("VTODO")] == [str(t["UID"]) for t in todos]


def test_icalendar_reminders_are_all_day_events_with_an_alarm(client):
    conference, me, maya, connection = pair(client)
    due = local_today(conference) + timedelta(days=5)
    add_follow_up(me, connection.id, "Send the template", due.isoformat())
    add_follow_up(me, connection.id, "No date, so no event", "")
    db.session.commit()
    calendar = icalendar.Calendar.from_ical(client.get("/me/follow-ups.ics?as=events").data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert event.decoded("DTSTART") == due and event.decoded("DTEND") == due + timedelta(days=1)
    assert str(event["SUMMARY"]) == "Send the template — Maya Johnson"
    alarms = event.walk("VALARM")
    assert len(alarms) == 1 and alarms[0].decoded("TRIGGER") == timedelta(hours=9)


def test_my_data_download_includes_follow_ups_circles_and_dismissals(client):
    from conference.circles.operations import add_members, create_circle
    from conference.network.operations import dismiss
    conference, me, maya, connection = pair(client)
    add_follow_up(me, connection.id, "Send the template", "")
    circle = create_circle(me, "Region 5")
    add_members(me, circle.id, {connection.id})
    dismiss(me, make_attendee(conference, name="Not Now").id)
    db.session.commit()
    data = client.get("/me/data.json").get_json()
    assert data["follow_ups"][0]["text"] == "Send the template" and data["follow_ups"][0]["contact"] == "Maya Johnson"
    assert data["circles"] == [{"name": "Region 5", "members": ["Maya Johnson"]}]
    assert data["people_i_chose_not_to_see"] == ["Not Now"]
