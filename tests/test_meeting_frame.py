"""The organizer's frame for meeting in person: meeting times and spots, through the console's routes."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from conference.errors import DomainError
from conference.extensions import db
from conference.meetings import frame
from conference.meetings.models import Meeting, MeetingNotice, MeetingSpot, MeetingTime, TableBooking
from tests.factories import make_attendee, make_conference
from tests.organizer_factories import make_organizer, sign_in_organizer

SOON = date.today() + timedelta(days=30)


def console(client, **overrides):
    """A conference a month from now (so its times are still to come) and its organizer, signed in."""
    values = dict(starts_on=SOON, ends_on=SOON + timedelta(days=2), timezone="America/New_York")
    values.update(overrides)
    conference = make_conference(**values)
    sign_in_organizer(client, make_organizer(conference))
    return conference


def times(conference) -> list[MeetingTime]:
    db.session.expire_all()
    return frame.times_of(conference)


def post_time(client, conference, **fields):
    data = {"day": SOON.isoformat(), "start": "10:00", "minutes": "20", "label": "Morning break"}
    data.update(fields)
    return client.post(f"/organize/{conference.slug}/meetings/times", data=data)


def post_run(client, conference, **fields):
    data = {"day": SOON.isoformat(), "first": "10:00", "until": "11:30", "every": "20", "minutes": "20", "label": ""}
    data.update(fields)
    return client.post(f"/organize/{conference.slug}/meetings/runs", data=data)


def test_the_page_is_in_the_console_and_only_for_its_organizers(client):
    conference = console(client)
    page = client.get(f"/organize/{conference.slug}/meetings")
    assert page.status_code == 200
    assert 'href="/organize/%s/meetings" aria-current="page">Meetings' % conference.slug in page.text
    assert "No meeting times yet" in page.text
    assert "New requests and huddles end when the conference closes" in page.text
    other = make_conference()
    assert client.get(f"/organize/{other.slug}/meetings").status_code == 403
    assert client.post(f"/organize/{other.slug}/meetings/times", data={}).status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get(f"/organize/{conference.slug}/meetings").status_code == 302


def test_a_time_is_typed_on_the_venues_clock_and_stored_in_utc(client):
    conference = console(client, timezone="America/Chicago")
    response = post_time(client, conference, start="10:20")
    assert response.status_code == 303 and "changed=Added" in response.headers["Location"]
    [added] = times(conference)
    venue = datetime.combine(SOON, time(10, 20), tzinfo=ZoneInfo("America/Chicago"))
    assert added.starts_at == venue.astimezone(timezone.utc).replace(tzinfo=None)
    assert (added.minutes, added.label) == (20, "Morning break")
    page = client.get(response.headers["Location"]).text
    assert "10:20–10:40" in page and "Morning break" in page and SOON.strftime("%A, %B") in page


def test_a_run_adds_every_time_that_fits_before_its_end(client):
    conference = console(client)
    response = post_run(client, conference, label="Breaks")
    assert response.status_code == 303
    starts = [frame.local_time(conference, t.starts_at).strftime("%H:%M") for t in times(conference)]
    assert starts == ["10:00", "10:20", "10:40", "11:00"]  # 11:20 would end at 11:40, after 11:30
    assert "Added 4 times" in client.get(response.headers["Location"]).text


@pytest.mark.parametrize("fields, field_id, message", [
    ({"minutes": "4"}, "time-minutes", "from 5 to 240 minutes"),
    ({"minutes": "241"}, "time-minutes", "from 5 to 240 minutes"),
    ({"minutes": "twenty"}, "time-minutes", "Give the length as a number of minutes."),
    ({"minutes": ""}, "time-minutes", "Give the length in minutes."),
    ({"start": ""}, "time-start", "Give the start time."),
    ({"start": "25:99"}, "time-start", "Not a valid time"),
    ({"day": ""}, "time-day", "Choose the day."),
    ({"day": "not-a-day"}, "time-day", "Not a valid date"),
    ({"day": (SOON + timedelta(days=3)).isoformat()}, "time-day", "is outside the conference"),
    ({"day": (SOON - timedelta(days=1)).isoformat()}, "time-day", "is outside the conference"),
    ({"label": "x" * 81}, "time-label", "At most 80 characters"),
])
def test_a_bad_time_is_refused_at_its_field_and_what_was_typed_stays(client, fields, field_id, message):
    conference = console(client)
    response = post_time(client, conference, **fields)
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field_id}"' in response.text and 'aria-invalid="true"' in response.text
    assert 'value="Morning break"' in response.text or "label" in fields
    assert times(conference) == []


def test_times_never_overlap_and_the_message_names_the_clash(client):
    conference = console(client)
    assert post_time(client, conference).status_code == 303
    for start, minutes in (("10:10", "20"), ("09:50", "15"), ("10:00", "5"), ("09:00", "240")):
        response = post_time(client, conference, start=start, minutes=minutes, label="Clash")
        assert response.status_code == 422, (start, minutes)
        assert "overlaps" in response.text and "10:00–10:20 (Morning break)" in response.text
        assert f'value="{start}"' in response.text and 'value="Clash"' in response.text
    assert post_time(client, conference, start="10:20", label="Right after").status_code == 303
    assert post_time(client, conference, start="09:40", label="Right before").status_code == 303
    assert len(times(conference)) == 3


def test_a_run_that_clashes_adds_nothing(client):
    conference = console(client)
    post_time(client, conference, start="11:00", minutes="30", label="Keynote break")
    response = post_run(client, conference)
    assert response.status_code == 422 and "11:00–11:30 (Keynote break)" in response.text
    assert len(times(conference)) == 1


@pytest.mark.parametrize("fields, field_id, message", [
    ({"every": "10"}, "run-every", "would overlap"),
    ({"until": "09:00"}, "run-until", "ends before it starts"),
    ({"until": "10:10"}, "run-until", "no room for one time"),
    ({"until": ""}, "run-until", "Give the time the run ends."),
    ({"first": ""}, "run-first", "Give the first start time."),
    ({"every": "abc"}, "run-every", "minutes between starts as a number"),
    ({"every": "3", "minutes": "3"}, "run-minutes", "from 5 to 240 minutes"),
    ({"every": "5", "minutes": "5", "first": "06:00", "until": "23:00"}, "run-every", "at most 60"),
    ({"day": "2020-01-01"}, "run-day", "is outside the conference"),
])
def test_a_bad_run_is_refused_at_its_field(client, fields, field_id, message):
    conference = console(client)
    response = post_run(client, conference, **fields)
    assert response.status_code == 422
    assert message in response.text and f'id="{field_id}"' in response.text
    assert times(conference) == []


def test_a_time_the_clocks_skip_is_refused_and_a_repeated_one_is_its_first(app):
    conference = make_conference(starts_on=date(2027, 3, 13), ends_on=date(2027, 11, 8))
    with pytest.raises(DomainError, match="clocks go forward") as caught:
        frame.add_time(conference, date(2027, 3, 14), time(2, 30), 20)
    assert caught.value.field == "start"
    with pytest.raises(DomainError, match="clocks go forward"):
        frame.add_run(conference, frame.RunInput(date(2027, 3, 14), time(1, 0), time(4, 0), 30, 30))
    after = frame.add_time(conference, date(2027, 3, 14), time(3, 0), 20)
    assert after.starts_at == datetime(2027, 3, 14, 7, 0)  # EDT from 03:00
    repeated = frame.add_time(conference, date(2027, 11, 7), time(1, 30), 20)
    assert repeated.starts_at == datetime(2027, 11, 7, 5, 30)  # the first 01:30 (EDT)
    with pytest.raises(DomainError, match="overlaps"):
        frame.add_time(conference, date(2027, 11, 7), time(1, 40), 20)


def test_a_conference_without_dates_takes_any_day(app):
    conference = make_conference(starts_on=None, ends_on=None)
    assert frame.add_time(conference, date(2030, 1, 2), time(9, 0), 30).minutes == 30


def accepted_meeting(conference, slot, spot):
    ana, ben = make_attendee(conference, name="Ana Asker"), make_attendee(conference, name="Ben Invitee")
    meeting = Meeting(conference_id=conference.id, asker_id=ana.id, invitee_id=ben.id, time_id=slot.id,
                      spot_id=spot.id, state="accepted")
    db.session.add(meeting)
    db.session.flush()
    db.session.add(TableBooking(spot_id=spot.id, time_id=slot.id, table_no=7, meeting_id=meeting.id))
    db.session.commit()
    return meeting


def test_a_time_holding_an_accepted_meeting_stays_and_says_why(client):
    conference = console(client)
    post_run(client, conference)
    first, second = times(conference)[:2]
    spot = frame.add_spot(conference, "Networking lounge", 20)
    db.session.commit()
    accepted_meeting(conference, first, spot)
    response = client.post(f"/organize/{conference.slug}/meetings/times/{first.id}/remove")
    assert response.status_code == 422
    assert "holds 1 accepted meeting" in response.text and "people have planned their day around it" in response.text
    assert len(times(conference)) == 4
    # A time with a request still waiting goes, the request with it, and both people hear.
    ana, ben = make_attendee(conference), make_attendee(conference)
    db.session.add(Meeting(conference_id=conference.id, asker_id=ana.id, invitee_id=ben.id, time_id=second.id,
                           spot_id=spot.id, state="requested"))
    db.session.commit()
    response = client.post(f"/organize/{conference.slug}/meetings/times/{second.id}/remove")
    assert response.status_code == 303 and "changed=Removed" in response.headers["Location"]
    assert len(times(conference)) == 3
    assert db.session.scalar(select(func.count()).select_from(Meeting).where(Meeting.time_id == second.id)) == 0
    notices = db.session.scalars(select(MeetingNotice.attendee_id).where(MeetingNotice.kind == "time_removed"))
    assert set(notices) == {ana.id, ben.id}


def test_a_time_that_has_begun_stays_and_unknown_ones_are_not_found(client):
    conference = console(client)
    post_time(client, conference)
    [slot] = times(conference)
    with pytest.raises(DomainError, match="already begun"):
        frame.remove_time(conference, slot.id, now=slot.starts_at + timedelta(minutes=1))
    assert client.post(f"/organize/{conference.slug}/meetings/times/999999/remove").status_code == 404
    other = make_conference(starts_on=SOON, ends_on=SOON)
    theirs = frame.add_time(other, SOON, time(9, 0), 20)
    db.session.commit()
    assert client.post(f"/organize/{conference.slug}/meetings/times/{theirs.id}/remove").status_code == 404


def post_spot(client, conference, **fields):
    data = {"name": "Networking lounge", "capacity": "20"}
    data.update(fields)
    return client.post(f"/organize/{conference.slug}/meetings/spots", data=data)


def test_spots_are_added_edited_retired_and_restored(client):
    conference = console(client)
    assert post_spot(client, conference).status_code == 303
    assert post_spot(client, conference, name="Hall B café", capacity="1").status_code == 303
    lounge = db.session.scalar(select(MeetingSpot).where(MeetingSpot.name == "Networking lounge"))
    page = client.get(f"/organize/{conference.slug}/meetings").text
    assert 'value="Networking lounge"' in page and 'value="20"' in page and "Hall B café" in page
    response = client.post(f"/organize/{conference.slug}/meetings/spots/{lounge.id}",
                           data={"name": "Lounge, level 2", "capacity": "25"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (lounge.name, lounge.capacity) == ("Lounge, level 2", 25)
    assert client.post(f"/organize/{conference.slug}/meetings/spots/{lounge.id}/retire").status_code == 303
    db.session.expire_all()
    assert lounge.retired
    assert client.post(f"/organize/{conference.slug}/meetings/spots/{lounge.id}/restore").status_code == 303
    db.session.expire_all()
    assert not lounge.retired


@pytest.mark.parametrize("fields, field_id, message", [
    ({"name": ""}, "spot-name", "Name the spot"),
    ({"name": "x" * 121}, "spot-name", "At most 120 characters"),
    ({"name": "networking LOUNGE"}, "spot-name", "There is already a spot called “Networking lounge”"),
    ({"capacity": "0"}, "spot-capacity", "from 1 to 500"),
    ({"capacity": "501"}, "spot-capacity", "from 1 to 500"),
    ({"capacity": "many"}, "spot-capacity", "whole number"),
    ({"capacity": ""}, "spot-capacity", "how many meetings fit at once"),
])
def test_a_bad_spot_is_refused_at_its_field(client, fields, field_id, message):
    conference = console(client)
    post_spot(client, conference)
    response = post_spot(client, conference, **{"name": "Café", **fields})
    assert response.status_code == 422
    assert message in response.text and f'id="{field_id}"' in response.text and 'aria-invalid="true"' in response.text
    typed = fields.get("name", "Café")
    if typed and len(typed) < 100:
        assert f'value="{typed}"' in response.text
    assert db.session.scalar(select(func.count()).select_from(MeetingSpot)) == 1


def test_editing_a_spot_keeps_the_rules_and_what_was_typed(client):
    conference = console(client)
    post_spot(client, conference)
    post_spot(client, conference, name="Hall B café", capacity="8")
    post_time(client, conference)
    lounge = db.session.scalar(select(MeetingSpot).where(MeetingSpot.name == "Networking lounge"))
    accepted_meeting(conference, times(conference)[0], lounge)  # holds table 7
    url = f"/organize/{conference.slug}/meetings/spots/{lounge.id}"
    for data, message in (({"name": "HALL B CAFÉ", "capacity": "20"}, "already a spot called"),
                          ({"name": "Lounge", "capacity": "6"}, "Table 7 is booked"),
                          ({"name": "Lounge", "capacity": "lots"}, "whole number"),
                          ({"name": "", "capacity": "20"}, "Name the spot")):
        response = client.post(url, data=data)
        assert response.status_code == 422, data
        assert message in response.text
        assert f'value="{data["name"]}"' in response.text and f'value="{data["capacity"]}"' in response.text
    db.session.expire_all()
    assert (lounge.name, lounge.capacity) == ("Networking lounge", 20)
    assert client.post(url, data={"name": "Lounge", "capacity": "7"}).status_code == 303
    assert client.post(f"/organize/{conference.slug}/meetings/spots/999999",
                       data={"name": "X", "capacity": "2"}).status_code == 404
    assert client.post(f"/organize/{conference.slug}/meetings/spots/999999/retire").status_code == 404


def test_the_page_says_when_requests_end(client):
    conference = console(client, closes_on=SOON + timedelta(days=3))
    page = client.get(f"/organize/{conference.slug}/meetings").text
    assert "New requests and huddles end when the conference closes, after" in page
    closed = console(client, closes_on=date.today() - timedelta(days=1))
    assert "This conference has closed" in client.get(f"/organize/{closed.slug}/meetings").text


def test_the_demo_is_held_around_the_day_it_is_seeded_and_reseeding_moves_it(app):
    from conference.demo import DEMO_SLUG, demo_meeting_frame, seed_demo
    from conference.events.models import Conference
    first_day = date(2027, 2, 10)
    conference, people = seed_demo(8, today=first_day)
    db.session.commit()
    assert (conference.starts_on, conference.ends_on) == (date(2027, 2, 9), date(2027, 2, 11))
    assert conference.closes_on > conference.ends_on and conference.retain_until > conference.closes_on
    _, slots, spots = demo_meeting_frame(conference)
    assert len(slots) == 3 * 7 and [(s.name, s.capacity) for s in spots] == [("Hall B café", 8),
                                                                              ("Networking lounge", 20)]
    first = [frame.local_time(conference, t.starts_at).strftime("%a %H:%M") for t in slots[:8]]
    assert first == ["Tue 10:00", "Tue 10:20", "Tue 10:40", "Tue 11:00", "Tue 14:30", "Tue 14:50", "Tue 15:10",
                     "Wed 10:00"]
    ids = [t.id for t in slots]
    seed_demo(8, today=first_day)
    db.session.commit()
    assert [t.id for t in demo_meeting_frame(conference)[1]] == ids
    # Later (across the change to summer time): the same rows, moved, on the venue's clock.
    _, moved_people = seed_demo(8, today=date(2027, 3, 20))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Conference).where(Conference.slug == DEMO_SLUG)) == 1
    _, moved, spots = demo_meeting_frame(conference)
    assert [p.id for p in moved_people] == [p.id for p in people] and len(spots) == 2
    assert sorted(t.id for t in moved) == sorted(ids)
    assert conference.starts_on == date(2027, 3, 19)
    assert frame.local_time(conference, moved[0].starts_at).strftime("%Y-%m-%d %H:%M") == "2027-03-19 10:00"
    assert moved[0].starts_at == datetime(2027, 3, 19, 14, 0)  # EDT now


def test_the_error_states_are_valid_html(client, tmp_path):
    import json
    import subprocess
    from tests.test_markup import _vnu_or_skip
    command = _vnu_or_skip()
    conference = console(client)
    post_run(client, conference)
    post_spot(client, conference)
    spot = db.session.scalar(select(MeetingSpot))
    accepted_meeting(conference, times(conference)[0], spot)
    pages = {"time": post_time(client, conference, minutes="x", start=""),
             "run": post_run(client, conference, every="5"),
             "spot": post_spot(client, conference, capacity="0"),
             "remove": client.post(f"/organize/{conference.slug}/meetings/times/{times(conference)[0].id}/remove"),
             "edit": client.post(f"/organize/{conference.slug}/meetings/spots/{spot.id}",
                                 data={"name": "", "capacity": "3"})}
    files = []
    for name, response in pages.items():
        assert response.status_code == 422, name
        path = tmp_path / f"{name}.html"
        path.write_text(response.get_data(as_text=True), encoding="utf-8")
        files.append(str(path))
    run = subprocess.run([*command, "--errors-only", "--format", "json", *files], capture_output=True, text=True,
                         timeout=300)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    assert not messages, [(m.get("url", "").rpartition("/")[2], m["message"]) for m in messages]
