"""`flask seed-demo`: a demo conference with about 60 attendees and some connections."""
from __future__ import annotations

import random
from datetime import date

import click
from flask import Flask, current_app
from sqlalchemy import select

from conference.attendees.models import GRADE_BANDS, Attendee
from conference.attendees.operations import ProfileInput, join_conference
from conference.auth.operations import issue_organizer_token, issue_sign_in_token
from conference.contacts.operations import connection_between, save_contact
from conference.events.models import Conference
from conference.extensions import db
from conference.interests.models import Interest
from conference.interests.operations import add_default_interests
from conference.organizer.operations import create_organizer, organizer_of
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
ROLE_WEIGHTS = {"principal": 30, "assistant_principal": 18, "aspiring_principal": 12, "teacher_leader": 8,
                "district_leader": 6, "other": 3}


def demo_conference() -> Conference:
    conference = db.session.scalar(select(Conference).where(Conference.slug == DEMO_SLUG))
    if conference is None:
        conference = Conference(slug=DEMO_SLUG, name="Pre-K–8 Principals Conference",
                                starts_on=date(2026, 7, 9), ends_on=date(2026, 7, 11),
                                timezone="America/New_York", venue="Gaylord National, National Harbor, MD")
        db.session.add(conference)
        db.session.flush()
    add_default_interests(conference)
    return conference


def demo_organizer(conference: Conference):
    """The demo conference's organizer (made once)."""
    return organizer_of(DEMO_ORGANIZER, conference) or create_organizer(conference, DEMO_ORGANIZER)


def seed_demo(count: int = 60, seed: int = 2026) -> tuple[Conference, list[Attendee]]:
    """Create (or complete) the demo conference; running it again adds nothing twice."""
    conference = demo_conference()
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
    return conference, people


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
        click.echo(f"Demo conference: {conference.name} — join at {public_url('attendees.join', slug=conference.slug)}")
        click.echo(f"{len(people)} demo attendees. Sign in as one of them (links work once, for 15 minutes):")
        for person, token in links:
            click.echo(f"  {person.name} ({person.role_label}): {public_url('auth.confirm', token=token)}")
        click.echo(f"Organizer console ({organizer.email}): {public_url('auth.confirm', token=organizer_token)}")
