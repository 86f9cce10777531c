"""`flask seed-demo`: a demo conference with about 60 attendees and some connections, held around the
day it is seeded (it started yesterday and ends tomorrow, on the venue's calendar), with meeting times
and spots for meeting in person."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import click
from flask import Flask, current_app
from sqlalchemy import select

from conference.attendees.models import GRADE_BANDS, Attendee
from conference.attendees.operations import ProfileInput, join_conference
from conference.auth.operations import issue_organizer_token, issue_sign_in_token
from conference.contacts.operations import connection_between, save_contact
from conference.events.models import Conference
from conference.events.operations import local_time, local_today
from conference.extensions import db
from conference.interests.models import Interest
from conference.interests.operations import add_default_interests
from conference.meetings import frame
from conference.meetings.booking import upcoming_times
from conference.meetings.huddles import join_huddle, start_huddle
from conference.meetings.models import Meeting, MeetingSpot, MeetingTime
from conference.meetings.operations import accept_meeting, ask_to_meet
from conference.organizer.access.operations import create_organizer, organizer_of
from conference.urls import public_url

DEMO_SLUG = "prek8-2026"
DEMO_ORGANIZER = "organizer@demo.example.org"
FIRST = ["Maya", "Jamal", "Lucía", "Wei", "Priya", "Sean", "Aisha", "Tomás", "Grace", "Darnell", "Hannah",
         "Kenji", "Rosa", "Omar", "Ava", "Marcus", "Elena", "Jordan", "Nia", "Ethan"]
LAST = ["Johnson", "Okafor", "García", "Chen", "Patel", "O'Connell", "Rahman", "Núñez", "Kim", "Washington",
        "Schmidt", "Tanaka", "Delgado", "Haddad", "Brooks", "Rivera", "Petrova", "Lee", "Adeyemi", "Murphy"]
SCHOOLS = ["Lincoln Elementary", "Maple Grove K–8", "Riverside Early Learning Center", "Jefferson Middle School",
           "Cesar Chavez Academy", "Oak Hill Primary", "Harbor View Elementary", "Sunset Ridge Pre-K–8",
           "Washington Irving School", "Pine Valley Elementary"]
DISTRICTS = ["Springfield Public Schools", "Metro Unified", "Lakeside ISD", "County School District 5",
             "Northshore School District"]
STATES = ["VA", "MD", "TX", "CA", "NY", "IL", "FL", "OH", "WA", "GA", "NC", "MN", "AZ", "PA"]
DEMO_NOTES = ["", "Talked scheduling over coffee.", "Promised to send the master schedule template.",
              "Voxer group for early-career principals?", "Great ideas on family engagement nights."]
DEMO_DAYS = 3
# (first start, the run ends by, minutes apart and long, label) on the venue's clock, every day
DEMO_BREAKS = [(time(10, 0), time(11, 30), 20, "Morning break"), (time(14, 30), time(15, 30), 20, "Afternoon break")]
DEMO_SPOTS = [("Networking lounge", 20), ("Hall B café", 8)]
ROLE_WEIGHTS = {"principal": 30, "assistant_principal": 18, "aspiring_principal": 12, "teacher_leader": 8,
                "district_leader": 6, "other": 3}


def demo_conference(today: date | None = None) -> Conference:
    """The demo conference, its dates moved so that it started the day before `today` (the venue's)."""
    conference = db.session.scalar(select(Conference).where(Conference.slug == DEMO_SLUG))
    if conference is None:
        conference = Conference(slug=DEMO_SLUG, name="Pre-K–8 Principals Conference",
                                timezone="America/New_York", venue="Gaylord National, National Harbor, MD")
        db.session.add(conference)
        db.session.flush()
    starts_on = (today or local_today(conference)) - timedelta(days=1)
    _move_times(conference, conference.starts_on, starts_on)
    conference.starts_on, conference.ends_on = starts_on, starts_on + timedelta(days=DEMO_DAYS - 1)
    conference.closes_on = conference.ends_on + timedelta(days=14)
    conference.retain_until = conference.ends_on + timedelta(days=180)
    db.session.flush()
    add_default_interests(conference)
    _meeting_frame(conference)
    return conference


def _move_times(conference: Conference, old_start: date | None, new_start: date) -> None:
    """Move the meeting times of a demo seeded on an earlier day by as many days, each kept at its
    time on the venue's clock (meetings booked at them move along)."""
    if old_start is None or old_start == new_start:
        return
    shift = new_start - old_start
    # Latest first when moving forward (earliest first back), so no time lands on one not yet moved.
    for item in sorted(frame.times_of(conference), key=lambda t: t.starts_at, reverse=shift.days > 0):
        wall = local_time(conference, item.starts_at)
        item.starts_at = frame.to_utc(conference, wall.date() + shift, wall.time())
        db.session.flush()


def _meeting_frame(conference: Conference) -> None:
    """The demo's breaks each day (every 20 minutes) and its spots, each made once."""
    have = {t.starts_at for t in frame.times_of(conference)}
    for day in range(DEMO_DAYS):
        on = conference.starts_on + timedelta(days=day)
        for first, until, minutes, label in DEMO_BREAKS:
            start = datetime.combine(on, first)
            while start + timedelta(minutes=minutes) <= datetime.combine(on, until):
                moment = frame.to_utc(conference, on, start.time())
                if moment not in have:
                    db.session.add(MeetingTime(conference_id=conference.id, starts_at=moment, minutes=minutes,
                                               label=label))
                start += timedelta(minutes=minutes)
    names = {spot.name.lower() for spot in frame.spots_of(conference)}
    for name, capacity in DEMO_SPOTS:
        if name.lower() not in names:
            frame.add_spot(conference, name, capacity)
    db.session.flush()


def demo_meeting_frame(conference: Conference) -> tuple[list[Attendee], list[MeetingTime], list[MeetingSpot]]:
    """The demo's people (joined, in seeding order), its meeting times (soonest first) and spots in use,
    for seeding meeting requests and huddles on top."""
    people = list(db.session.scalars(select(Attendee).where(Attendee.conference_id == conference.id,
                                                            Attendee.email.like("%@demo.example.org"))
                                     .order_by(Attendee.id)))
    return people, frame.times_of(conference), [s for s in frame.spots_of(conference) if not s.retired]


def demo_organizer(conference: Conference):
    """The demo conference's organizer (made once)."""
    return organizer_of(DEMO_ORGANIZER, conference) or create_organizer(conference, DEMO_ORGANIZER)


def seed_demo(count: int = 60, seed: int = 2026, today: date | None = None) -> tuple[Conference, list[Attendee]]:
    """Create (or complete) the demo conference around `today`; running it again adds nothing twice
    (on a later day it moves the dates and the meeting times forward)."""
    conference = demo_conference(today)
    interests = list(db.session.scalars(select(Interest).where(Interest.conference_id == conference.id)))
    people: list[Attendee] = []
    for n in range(count):
        first, last = FIRST[n % len(FIRST)], LAST[(n * 7 + n // len(FIRST)) % len(LAST)]
        email = f"{first}.{last}.{n}@demo.example.org".lower().replace("'", "").replace(" ", "")
        email = email.encode("ascii", "ignore").decode()
        existing = db.session.scalar(select(Attendee).where(Attendee.conference_id == conference.id,
                                                            Attendee.email == email))
        if existing:
            people.append(existing)
            continue
        rng = random.Random(f"{seed}-{n}")  # per person, so re-runs pick the same
        picked = rng.sample(interests, rng.randint(3, 7))
        offers = {i.id for i in picked if rng.random() < 0.55}
        seeks = {i.id for i in picked if i.id not in offers or rng.random() < 0.2}
        handle = f"{first}{last}".lower().replace("'", "").encode("ascii", "ignore").decode()[:15]
        channels = {"email": (email, rng.random() < 0.7), "x": (f"@{handle}", rng.random() < 0.6),
                    "voxer": (handle, rng.random() < 0.5)}
        if rng.random() < 0.6:
            channels["phone"] = (f"+1 202 555 {1000 + n:04d}", rng.random() < 0.5)
        if rng.random() < 0.4:
            channels["instagram"] = (f"{handle}.edu", True)
        if rng.random() < 0.4:
            channels["linkedin"] = (f"linkedin.com/in/{handle}-{n}", True)
        profile = ProfileInput(
            name=f"{first} {last}", email=email,
            role=rng.choices(list(ROLE_WEIGHTS), weights=list(ROLE_WEIGHTS.values()))[0],
            school=rng.choice(SCHOOLS), district=rng.choice(DISTRICTS), state=rng.choice(STATES),
            grade_band=rng.choice(list(GRADE_BANDS)), offers=offers, seeks=seeks, channels=channels)
        people.append(join_conference(conference, profile))
    rng = random.Random(seed)
    for owner in people:
        for contact in rng.sample(people, 3):
            note = rng.choice(DEMO_NOTES)  # drawn every time, so a re-run draws the same pairs
            if contact.id != owner.id and connection_between(owner, contact) is None:
                save_contact(owner, contact, note)
    db.session.flush()
    seed_demo_meetings(conference, people, interests)
    return conference, people


def seed_demo_meetings(conference: Conference, people: list[Attendee], interests: list[Interest]) -> None:
    """Once per conference: the first demo person (whose sign-in link is printed first) has a meeting
    accepted, a request to answer and one of their own waiting, and sits at a huddle the second hosts."""
    if len(people) < 6 or db.session.scalar(select(Meeting.id).where(Meeting.conference_id == conference.id)
                                            .limit(1)) is not None:
        return
    times = upcoming_times(conference)
    if len(times) < 4:  # seeded at the very end of the last day: nothing left to book
        return
    me, host, neighbour, met, asker, asked = people[:6]
    accepted = ask_to_meet(me, met, times[0].id, message="Let's compare master schedules.")
    accept_meeting(accepted, met)
    ask_to_meet(asker, me, times[1].id, message="Could we talk about coaching new teachers?")
    ask_to_meet(me, asked, times[2].id)
    topics = [i.id for i in interests if i.name in ("Family and community engagement", "Early childhood / Pre-K")]
    huddle = start_huddle(host, "Chronic absence in K–2: what actually worked?", topics or [interests[0].id],
                          times[3].id, size=6)
    for person in (me, neighbour):
        join_huddle(huddle, person)
    db.session.flush()


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--count", default=60, show_default=True, help="How many demo attendees.")
    def seed_demo_command(count: int) -> None:
        """Create the demo conference with attendees and connections (idempotent)."""
        conference, people = seed_demo(count)
        minutes = current_app.config["SIGN_IN_LINK_MINUTES"]
        links = [(p, issue_sign_in_token(p, minutes)) for p in people[:3]]
        organizer = demo_organizer(conference)
        organizer_token = issue_organizer_token(organizer, minutes)
        db.session.commit()
        click.echo(f"Demo conference: {conference.name}, {conference.dates_label} — "
                   f"join at {public_url('attendees.join', slug=conference.slug)}")
        _, times, spots = demo_meeting_frame(conference)
        click.echo(f"{len(times)} meeting times and {len(spots)} meeting spots: "
                   f"{public_url('organizer.meetings', slug=conference.slug)}")
        click.echo(f"{len(people)} demo attendees. Sign in as one of them (links work once, for 15 minutes):")
        for person, token in links:
            click.echo(f"  {person.name} ({person.role_label}): {public_url('auth.confirm', token=token)}")
        click.echo(f"Organizer console ({organizer.email}): {public_url('auth.confirm', token=organizer_token)}")
