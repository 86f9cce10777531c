"""Every page of the app, who sees it, and the data it needs: one catalogue for the checks that look at pages.

`PAGES` lists what a person can open (one entry per page and state worth checking); `EXEMPT` lists the
endpoints that are not pages, each with the reason. tests/test_markup.py fails when an endpoint of
`app.url_map` is in neither, so a new route cannot slip past the accessibility checks
(tests/browser/test_accessibility.py, tests/test_markup.py) or the screenshots (bench/screenshots.py).

To add a page: add a `Page` below; if it needs rows, add them in `build_world` and keep their ids/codes
on the world.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable

from conference.extensions import db

ANON, ATTENDEE, ORGANIZER = "signed out", "attendee", "organizer"
NEWCOMER = "newcomer"  # an attendee who has just joined: nobody saved yet

LONG_NAME = "Maria-Guadalupe Fernández-Castellanos de la Vega"
LONG_SCHOOL = "Dr. Martin Luther King Jr. Early Childhood and Family Engagement Learning Academy"


@dataclass(frozen=True)
class Page:
    name: str                          # short id: test ids and screenshot file names
    endpoint: str | None               # the url_map endpoint it covers (None: an error page)
    who: str                           # ANON, ATTENDEE or ORGANIZER
    path: Callable[[SimpleNamespace], str]
    status: int = 200
    desk: bool = False                 # an organizer console page: also shown at 1280x800 in screenshots
    act: str | None = None             # a browser step before checking, see tests/browser/page_actions.py
    screenshot: bool = True


def _p(template: str) -> Callable[[SimpleNamespace], str]:
    return lambda w: template.format(w=w)


PAGES: list[Page] = [
    # Signed out: the front door, joining, signing in, a badge opened cold.
    Page("home", "pages.home", ANON, _p("/")),
    Page("conference", "pages.conference", ANON, _p("/{w.slug}")),
    Page("join", "attendees.join", ANON, _p("/{w.slug}/join")),
    Page("join-errors", "attendees.join", ANON, _p("/{w.slug}/join"), act="submit-empty", screenshot=True),
    Page("signin", "auth.request_link", ANON, _p("/signin")),
    Page("signin-errors", "auth.request_link", ANON, _p("/signin"), act="submit-empty"),
    Page("signin-confirm", "auth.confirm", ANON, _p("/signin/{w.sign_in_token}")),
    Page("code", "badges.enter", ANON, _p("/code")),
    Page("code-error", "badges.enter", ANON, _p("/code?code=not-a-code"), status=422),
    Page("card-signed-out", "contacts.card", ANON, _p("/c/{w.other_code}")),
    Page("card-not-found", "contacts.card", ANON, _p("/c/ZZZZ-ZZZZ-ZZZZ"), status=404),
    Page("card-unclaimed", "contacts.card", ANON, _p("/c/{w.unclaimed_code}")),
    Page("not-found", None, ANON, _p("/no-such-page"), status=404),
    # Signed in as an attendee: the core loop.
    Page("badge", "badges.mine", ATTENDEE, _p("/me/badge?welcome=1")),
    Page("code-signed-in", "badges.enter", ATTENDEE, _p("/code")),
    Page("card", "contacts.card", ATTENDEE, _p("/c/{w.other_code}")),
    Page("card-saved", "contacts.card", ATTENDEE, _p("/c/{w.saved_code}?saved=1")),
    Page("card-own", "contacts.card", ATTENDEE, _p("/c/{w.my_code}")),
    Page("contacts", "contacts.index", ATTENDEE, _p("/me/contacts")),
    Page("contacts-search", "contacts.index", ATTENDEE, _p("/me/contacts?q=schedule")),
    Page("contact", "contacts.show", ATTENDEE, _p("/me/contacts/{w.connection_id}")),
    Page("contact-note", "contacts.note", ATTENDEE, _p("/me/contacts/{w.connection_id}/note")),
    Page("more", "pages.me", ATTENDEE, _p("/me")),
    Page("profile", "attendees.edit", ATTENDEE, _p("/me/profile")),
    Page("contact-not-found", None, ATTENDEE, _p("/me/contacts/999999"), status=404),
    Page("badge-newcomer", "badges.mine", NEWCOMER, _p("/me/badge?welcome=1")),
    Page("contacts-vcf-empty", "exports.all_vcards", NEWCOMER, _p("/me/contacts.vcf"), status=404),
    # The scanner (camera, typed code, offline queue).
    Page("scan", "scanner.index", ATTENDEE, _p("/scan")),
    Page("scan-card", "scanner.card", ATTENDEE, _p("/scan/card?code={w.other_code}")),
    Page("scan-card-unknown", "scanner.card", ATTENDEE, _p("/scan/card?code=ZZZZ-ZZZZ-ZZZZ"), status=404),
    # Privacy: what we keep, my data, deleting my account.
    Page("privacy", "privacy.policy", ANON, _p("/privacy")),
    Page("my-data", "privacy.data", ATTENDEE, _p("/me/data")),
    Page("delete-account", "privacy.delete", ATTENDEE, _p("/me/delete")),
    Page("account-deleted", "privacy.deleted", ANON, _p("/account-deleted")),
    # After the hallway: people to meet, follow-ups, circles, the digest.
    Page("people", "network.people", ATTENDEE, _p("/me/people")),
    Page("follow-ups", "followups.index", ATTENDEE, _p("/me/follow-ups")),
    Page("contact-follow-ups", "followups.for_contact", ATTENDEE, _p("/me/contacts/{w.connection_id}/follow-ups")),
    Page("circles", "circles.index", ATTENDEE, _p("/me/circles")),
    Page("circle", "circles.show", ATTENDEE, _p("/me/circles/{w.circle_id}")),
    Page("digest", "digest.preview", ATTENDEE, _p("/me/digest")),
    # Meeting in person: problem-of-practice huddles.
    Page("huddles", "meetings.huddles", ATTENDEE, _p("/huddles")),
    Page("huddles-more", "meetings.more_huddles", ATTENDEE, _p("/huddles/more")),
    Page("huddle-new", "meetings.new_huddle", ATTENDEE, _p("/huddles/new")),
    Page("huddle-new-errors", "meetings.new_huddle", ATTENDEE, _p("/huddles/new"), act="submit-empty"),
    Page("huddle-host", "meetings.huddle", ATTENDEE, _p("/huddles/{w.huddle_id}")),
    Page("huddle-member", "meetings.huddle", ATTENDEE, _p("/huddles/{w.joined_huddle_id}")),
    Page("huddle-after", "meetings.huddle", ATTENDEE, _p("/huddles/{w.past_huddle_id}")),
    # Meeting in person: my schedule in a calendar app, meeting mail (a feed made: "on"; a newcomer's: none yet).
    Page("meeting-calendar", "meetings.calendar_settings", ATTENDEE, _p("/me/meetings/calendar")),
    Page("meeting-calendar-new", "meetings.calendar_settings", NEWCOMER, _p("/me/meetings/calendar")),
    # Meeting in person: asking to meet, answering with another time, my schedule.
    Page("meet", "meetings.ask", ATTENDEE, _p("/me/meet/{w.other_id}")),
    Page("meet-propose", "meetings.propose", ATTENDEE, _p("/me/meetings/{w.meeting_to_answer_id}/propose")),
    Page("meetings", "meetings.schedule", ATTENDEE, _p("/me/meetings")),
    # The organizer console (a laptop).
    Page("organize", "organizer.index", ORGANIZER, _p("/organize/"), desk=True),
    Page("organize-dashboard", "organizer.dashboard", ORGANIZER, _p("/organize/{w.slug}/"), desk=True),
    Page("organize-settings", "organizer.settings", ORGANIZER, _p("/organize/{w.slug}/settings"), desk=True),
    Page("organize-interests", "organizer.interests", ORGANIZER, _p("/organize/{w.slug}/interests"), desk=True),
    Page("organize-organizers", "organizer.organizers", ORGANIZER, _p("/organize/{w.slug}/organizers"), desk=True),
    Page("organize-registrants", "organizer.registrants", ORGANIZER, _p("/organize/{w.slug}/registrants"), desk=True),
    Page("organize-import", "organizer.import_view", ORGANIZER, _p("/organize/{w.slug}/import"), desk=True),
    Page("organize-import-preview", "organizer.import_preview", ORGANIZER,
         _p("/organize/{w.slug}/import/{w.import_token}"), desk=True),
    Page("organize-badges", "organizer.badges", ORGANIZER, _p("/organize/{w.slug}/badges"), desk=True),
    Page("organize-badge-job", "organizer.badge_job", ORGANIZER, _p("/organize/{w.slug}/badges/{w.badge_job_id}"),
         desk=True),
    Page("organize-exports", "organizer.exports", ORGANIZER, _p("/organize/{w.slug}/exports"), desk=True),
    Page("organize-meetings", "organizer.meetings", ORGANIZER, _p("/organize/{w.slug}/meetings"), desk=True),
]

EXEMPT: dict[str, str] = {
    "static": "static files (CSS, JS, icons), not pages",
    "pages.health": "JSON for load balancers",
    "contacts.save": "POST only; its result is checked as the 'card-saved' page and in tests/browser/test_keyboard.py",
    "contacts.delete": "POST only; redirects to the contacts page",
    "auth.signout": "POST only; redirects to the home page",
    "auth.signout_everywhere": "POST only; redirects to the 'signin' page (its 'ended' notice: tests/test_sessions.py)",
    "contacts.claim": "POST only; answers a 'check your email' page (tests/test_identity.py), as 'signin' does",
    "organizer.claim_emails": "POST only; redirects to the 'organize-registrants' page",
    "exports.csv_file": "a file download (.csv)",
    "badges.dismiss_home_screen_hint": "POST only; redirects to the badge page (or an empty htmx swap)",
    "exports.one_vcard": "a file download (.vcf)",
    "scanner.save": "POST only; the scanner's save, checked through the 'scan-card' page it comes from",
    "scanner.sync": "POST only, JSON: the offline queue's sync",
    "scanner.token": "JSON: a fresh CSRF token for the offline queue",
    "scanner.manifest": "the web app manifest (JSON)",
    "scanner.service_worker": "the service worker (JavaScript)",
    "privacy.data_json": "a file download (.json)",
    "network.dismiss_person": "POST only; answers with the people list, checked as the 'people' page",
    "network.undo": "POST only; answers with the people list, checked as the 'people' page",
    "followups.add": "POST only; answers with the follow-up list, checked as 'contact-follow-ups'",
    "followups.done": "POST only; redirects or swaps one follow-up, checked as 'follow-ups'",
    "followups.undo_done": "POST only; redirects or swaps one follow-up, checked as 'follow-ups'",
    "followups.delete": "POST only; redirects to the follow-ups",
    "followups.calendar": "a file download (.ics)",
    "circles.add": "POST only; redirects to the circle",
    "circles.remove": "POST only; redirects to the circle",
    "circles.delete": "POST only; redirects to the circles",
    "circles.vcard_file": "a file download (.vcf)",
    "organizer.add_interest_view": "POST only; answers with the interests page",
    "organizer.rename_interest_view": "POST only; answers with the interests page",
    "organizer.retire_interest_view": "POST only; answers with the interests page",
    "organizer.badge_pdf": "a file download (.pdf)",
    "organizer.figures_csv": "a file download (.csv)",
    "organizer.hours_csv": "a file download (.csv)",
    "organizer.figures_json": "a file download (.json)",
    "organizer.network": "a file download (.graphml)",
    "organizer.add_meeting_time": "POST only; redirects to (or answers with) the 'organize-meetings' page",
    "organizer.add_meeting_run": "POST only; redirects to (or answers with) the 'organize-meetings' page",
    "organizer.remove_meeting_time": "POST only; redirects to (or answers with) the 'organize-meetings' page",
    "organizer.add_meeting_spot": "POST only; redirects to (or answers with) the 'organize-meetings' page",
    "organizer.edit_meeting_spot": "POST only; redirects to (or answers with) the 'organize-meetings' page",
    "organizer.retire_meeting_spot": "POST only; redirects to (or answers with) the 'organize-meetings' page",
    "meetings.join": "POST only; redirects to the huddle (or swaps its block), checked as 'huddle-member'",
    "meetings.leave": "POST only; redirects to the huddle (or swaps its block), checked as 'huddle-member'",
    "meetings.cancel": "POST only; redirects to the huddle (or swaps its block), checked as 'huddle-host'",
    "meetings.swap": "POST only; redirects to the huddle (or swaps its block), checked as 'huddle-after'",
    "meetings.make_circle": "POST only; redirects to the new circle, checked as 'circle'",
    "meetings.meeting_ics": "a file download (.ics); tests/test_meeting_calendar.py parses it",
    "meetings.huddle_ics": "a file download (.ics); tests/test_meeting_calendar.py parses it",
    "meetings.feed": "a calendar feed (.ics) for calendar apps, no session; tests/test_meeting_calendar.py",
    "meetings.make_calendar_feed": "POST only; answers the 'meeting-calendar' page with the new link shown once",
    "meetings.revoke_calendar_feed": "POST only; redirects to the 'meeting-calendar' page (or My schedule)",
    "meetings.meeting_mail": "POST only; redirects to the 'meeting-calendar' page (or My schedule)",
    "meetings.accept": "POST only; redirects to the 'meetings' page (refusals: tests/test_meetings.py)",
    "meetings.decline": "POST only; redirects to the 'meetings' page",
    "meetings.cancel_meeting": "POST only; redirects to the 'meetings' page (refusals: tests/test_meetings.py)",
}


def covered_endpoints() -> set[str]:
    return {page.endpoint for page in PAGES if page.endpoint} | set(EXEMPT)


def build_world() -> SimpleNamespace:
    """Rows for every page in PAGES (inside an app context): a conference, me, people I met, an organizer.

    Names and schools are long on purpose, so the pages show how they wrap.
    """
    from conference.auth.operations import issue_sign_in_token
    from conference.badges.codes import display
    from conference.contacts.operations import save_contact
    from tests.factories import make_attendee, make_conference

    conference = make_conference(name="Pre-K–8 Principals Conference: Leading Learning Communities 2026")
    me = make_attendee(conference, name=LONG_NAME, school=LONG_SCHOOL, email="me@school.example.org",
                       offers=("Scheduling", "Mentoring (offering)"), seeks=("Literacy", "Math"),
                       channels={"phone": ("(757) 555-0142", True)})
    other = make_attendee(conference, name="Samira Okafor", school="Hillcrest Elementary", state="VA",
                          offers=("Literacy",), seeks=("Scheduling", "Math"),
                          channels={"phone": ("(202) 555-0188", True), "x": ("@samira_leads", True),
                                    "linkedin": ("samira-okafor-principal", True)})
    saved = make_attendee(conference, name="Marcus Bell", school="Oak Park Middle School",
                          offers=("Math",), seeks=("Scheduling",))
    fan = make_attendee(conference, name="Jordan Lee", school="Lakeside Pre-K Center")
    connection = save_contact(me, saved, note="Talked master schedules and block periods; "
                                               "he'll send his template.\nCall before August.",
                              tags="scheduling, mentor")
    save_contact(fan, me, note="")
    token = issue_sign_in_token(me, 15)
    db.session.commit()
    world = SimpleNamespace(conference_id=conference.id, slug=conference.slug, me_id=me.id,
                            my_code=display(me.badge_code), other_code=display(other.badge_code),
                            saved_code=display(saved.badge_code), connection_id=connection.id,
                            sign_in_token=token, organizer_id=None, newcomer_id=other.id)
    _organizer(world, conference)
    _after_the_event(world, me)
    _huddles(world, conference, me, other, saved)
    _calendar_feed(me)
    _meetings(world, conference, me, other, saved, fan)
    return world


def _calendar_feed(me) -> None:
    """My private calendar feed is on (the calendar page then offers a new link and turning it off)."""
    from conference.meetings.calendar import make_feed
    make_feed(me)
    db.session.commit()


def _organizer(world: SimpleNamespace, conference) -> None:
    """An organizer of two conferences (so /organize/ lists them), a badge job under way."""
    from conference.organizer.access.models import Organizer
    from conference.organizer.printing.models import BadgeJob
    from tests.factories import make_conference
    email = "staff@association.example.org"
    organizer = Organizer(conference_id=conference.id, email=email)
    second = make_conference(name="Aspiring Principals Summer Institute")
    db.session.add_all([organizer, Organizer(conference_id=second.id, email=email)])
    db.session.flush()
    job = BadgeJob(conference_id=conference.id, organizer_id=organizer.id, layout="sheet",
                   description="All 4 attendees", attendee_ids=[world.me_id], state="running", total=4, done=1)
    db.session.add(job)
    from pathlib import Path
    from conference.organizer.registrants.importer import keep_upload
    export = Path(__file__).parent / "data" / "registrations" / "eventbrite-attendees.csv"
    upload = keep_upload(conference, organizer, export.name, export.read_bytes())
    from conference.badges.codes import display
    from conference.organizer.registrants.models import ImportBatch
    from tests.factories import make_attendee
    batch = ImportBatch(conference_id=conference.id, organizer_id=organizer.id, filename="registrants.csv")
    db.session.add(batch)
    db.session.flush()
    unclaimed = make_attendee(conference, name="Thanh Nguyễn", school="Riverside K–8 Academy")
    unclaimed.import_batch_id = batch.id  # imported by the organizer, not claimed: "Is this you?"
    world.unclaimed_code = display(unclaimed.badge_code)
    _meeting_frame(conference)
    db.session.commit()
    world.organizer_id, world.badge_job_id, world.import_token = organizer.id, job.id, upload.id


def _meeting_frame(conference) -> None:
    """Two runs of meeting times on the first day, one single time, and a retired spot (the spots in use
    come with the huddles below)."""
    from datetime import time, timedelta
    from conference.meetings import frame
    day = conference.starts_on
    frame.add_run(conference, frame.RunInput(day, time(10, 0), time(11, 30), 20, 20, "Morning break"))
    frame.add_run(conference, frame.RunInput(day, time(14, 30), time(15, 30), 20, 20, "Afternoon break"))
    frame.add_time(conference, day + timedelta(days=1), time(17, 30), 60, "Reception")
    frame.set_spot_retired(conference, frame.add_spot(conference, "Terrace (closed for rain)", 6).id, True)


def _after_the_event(world: SimpleNamespace, me) -> None:
    """A follow-up and a circle on my saved contact."""
    from datetime import date, timedelta
    from conference.circles.operations import add_members, create_circle
    from conference.followups.operations import add_follow_up
    add_follow_up(me, world.connection_id, "Send him our master schedule template",
                  (date.today() + timedelta(days=10)).isoformat())
    circle = create_circle(me, "Early-career principals, Region 5")
    add_members(me, circle.id, {world.connection_id})
    db.session.commit()
    world.circle_id = circle.id


def _huddles(world: SimpleNamespace, conference, me, other, saved) -> None:
    """Meeting times and spots; a huddle I host (Samira has a seat), one of Marcus's I sit in, and one that
    has ended (to swap contacts and make a circle)."""
    from datetime import timedelta
    from conference.events.models import utcnow
    from conference.meetings.huddles import join_huddle, start_huddle
    from conference.meetings.models import MeetingSpot, MeetingTime
    from tests.factories import interest
    start = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    past = MeetingTime(conference_id=conference.id, starts_at=start - timedelta(days=2), minutes=20,
                       label="Morning break")
    times = [MeetingTime(conference_id=conference.id, starts_at=start + timedelta(minutes=30 * n), minutes=20,
                         label="Networking break") for n in range(3)]
    db.session.add_all([past, *times, MeetingSpot(conference_id=conference.id, name="Networking lounge", capacity=20),
                        MeetingSpot(conference_id=conference.id, name="Hall B café", capacity=1)])
    db.session.commit()
    equity, climate = interest(conference, "Equity").id, interest(conference, "School climate and culture").id
    hosted = start_huddle(me, "Chronic absence in K–2: what actually worked for your attendance team?",
                          [climate, equity], times[0].id, size=6)
    join_huddle(hosted, other)
    joined = start_huddle(saved, "Master schedules with one counselor and no assistant principal: who made it work?",
                          [interest(conference, "Scheduling").id], times[1].id, size=4)
    join_huddle(joined, me)
    before = past.starts_at - timedelta(hours=1)
    ended = start_huddle(other, "Family engagement nights that families actually come to",
                         [interest(conference, "Family and community engagement").id], past.id, size=5, now=before)
    join_huddle(ended, me, now=before)
    join_huddle(ended, saved, now=before)
    db.session.commit()
    world.huddle_id, world.joined_huddle_id, world.past_huddle_id = hosted.id, joined.id, ended.id
def _meetings(world: SimpleNamespace, conference, me, other, saved, fan) -> None:
    """After the huddles' times, a lunch of meeting times (the huddles' spots): a meeting I accepted, a
    request waiting for my answer, one I sent, and one the other person could not take."""
    from datetime import timedelta
    from sqlalchemy import func, select
    from conference.meetings.models import MeetingTime
    from conference.meetings.operations import accept_meeting, ask_to_meet, decline_meeting
    last = db.session.scalar(select(func.max(MeetingTime.starts_at)).where(MeetingTime.conference_id == conference.id))
    times = [MeetingTime(conference_id=conference.id, starts_at=last + timedelta(minutes=30 * n), minutes=20,
                         label="Lunch") for n in range(1, 5)]
    db.session.add_all(times)
    db.session.flush()
    accepted = ask_to_meet(saved, me, times[0].id, message="Let's compare master schedules")
    accept_meeting(accepted, me)
    waiting = ask_to_meet(fan, me, times[1].id, message="Could we talk about chronic absence in K–2?")
    ask_to_meet(me, other, times[2].id, message="I'd love to hear how you run literacy blocks")
    declined = ask_to_meet(me, saved, times[3].id)
    decline_meeting(declined, saved)
    db.session.commit()
    world.other_id, world.meeting_to_answer_id = other.id, waiting.id


def session_for(world: SimpleNamespace, who: str) -> dict:
    """The session a signed-in person of kind `who` has."""
    if who == ATTENDEE:
        return {"attendee_id": world.me_id, "_permanent": True}
    if who == NEWCOMER:
        return {"attendee_id": world.newcomer_id, "_permanent": True}
    if who == ORGANIZER:
        return {"organizer_id": world.organizer_id, "_permanent": True}
    return {}


def session_cookie(app, world: SimpleNamespace, who: str) -> tuple[str, str] | None:
    """(name, value) of a signed session cookie for `who`, for a browser; None when signed out."""
    data = session_for(world, who)
    if not data:
        return None
    value = app.session_interface.get_signing_serializer(app).dumps(data)
    return app.config["SESSION_COOKIE_NAME"], value
