"""A badge opened by the phone's own camera before joining, on a 390x844 phone in real Chromium: the
person is saved once the phone joins, or signs in by an emailed link, and the page says so."""
from __future__ import annotations

import re
import statistics
import time

from playwright.sync_api import expect
from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.extensions import db
from conference.mail import outbox_messages
from tests.browser.test_first_visit import phone_context
from tests.factories import make_attendee, make_conference


def join_from_the_card(page, name: str, email: str) -> int:
    """From a signed-out card: Join, the four questions, Join. Returns the taps it took."""
    taps = 0
    page.get_by_role("link", name="Join and get my badge").first.tap(); taps += 1
    for label, text in (("Name", name), ("Email", email)):
        field = page.get_by_role("textbox", name=label, exact=True)
        field.tap(); taps += 1
        field.press_sequentially(text, delay=20)
    page.get_by_label("Role", exact=True).tap(); taps += 1
    page.get_by_label("Role", exact=True).select_option(label="Principal"); taps += 1
    school = page.get_by_label("School", exact=True)
    school.tap(); taps += 1
    school.press_sequentially("Riverbend K-8", delay=20)
    page.get_by_role("button", name="Join and show my badge").tap(); taps += 1
    return taps


def contacts_of(app, email: str) -> list[str]:
    with app.app_context():
        owner = db.session.scalar(select(Attendee).where(Attendee.email == email))
        return sorted(db.session.scalars(select(Attendee.name).join(Connection, Connection.contact_id == Attendee.id)
                                         .where(Connection.owner_id == owner.id)))


def test_a_cold_badge_is_saved_on_joining_median_of_five(browser, live_app, live_server):
    with live_app.app_context():
        conference = make_conference()
        slug = conference.slug
        codes = [display(make_attendee(conference, name=f"Bea Chen {n}").badge_code) for n in range(5)]
    taps_each, seconds_each = [], []
    for n, code in enumerate(codes):
        context = phone_context(browser)
        try:
            page = context.new_page()
            started = time.monotonic()
            page.goto(f"{live_server.url}/c/{code}")  # what the phone's camera opens
            expect(page.get_by_role("heading", name=f"Bea Chen {n}")).to_be_visible()
            taps = join_from_the_card(page, f"Dana Whitfield {n}", f"dana{n}@school.example.org")
            expect(page.get_by_role("status")).to_contain_text(f"Saved Bea Chen {n}. Add a note?")
            seconds_each.append(time.monotonic() - started)
            taps_each.append(taps)
            expect(page.get_by_role("heading", name=f"Bea Chen {n}")).to_be_visible()
            assert contacts_of(live_app, f"dana{n}@school.example.org") == [f"Bea Chen {n}"]
            if n == 0:
                assert re.search(r"/c/[0-9A-Z-]+\?saved=badge$", page.url)
        finally:
            context.close()
    print(f"cold badge to saved: median {statistics.median(taps_each)} taps, "
          f"{statistics.median(seconds_each):.1f} s (runs: {', '.join(f'{s:.1f}' for s in seconds_each)}; "
          f"typing at 20 ms a key)")
    assert statistics.median(taps_each) <= 7 and statistics.median(seconds_each) < 60


def test_the_join_page_names_who_will_be_saved_and_two_cold_badges_are_both_saved(browser, live_app, live_server):
    with live_app.app_context():
        conference = make_conference()
        bea, cal = (display(make_attendee(conference, name=name).badge_code) for name in ("Bea Chen", "Cal Okafor"))
    context = phone_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/c/{bea}")
        page.goto(f"{live_server.url}/c/{cal}")
        page.get_by_role("link", name="Join and get my badge").first.tap()
        expect(page.locator("#waiting")).to_have_text("You'll save Bea Chen and Cal Okafor when you join.")
        page.go_back()
        join_from_the_card(page, "Dana Whitfield", "dana@school.example.org")
        expect(page.get_by_role("heading", name="Saved from badges you opened")).to_be_visible()
        expect(page.get_by_text("Saved Bea Chen")).to_be_visible()
        expect(page.get_by_text("Saved Cal Okafor")).to_be_visible()
        assert contacts_of(live_app, "dana@school.example.org") == ["Bea Chen", "Cal Okafor"]
    finally:
        context.close()


def test_a_cold_badge_is_saved_after_signing_in_by_an_emailed_link(browser, live_app, live_server):
    with live_app.app_context():
        conference = make_conference()
        make_attendee(conference, name="Ana Ruiz", email="ana@school.example.org")
        bea = display(make_attendee(conference, name="Bea Chen").badge_code)
    context = phone_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/c/{bea}")
        page.get_by_role("link", name="Sign in with an email link").tap()
        page.get_by_role("textbox", name="Your email").fill("ana@school.example.org")
        page.get_by_role("button", name="Email me a sign-in link").tap()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        mail = outbox_messages(live_app.config["MAIL_OUTBOX"])[-1]
        link = re.search(r"https://pln\.example\.org(/signin/\S+)", mail.get_body().get_content()).group(1)
        page.goto(live_server.url + link)  # the link opened on the same phone
        page.get_by_role("button", name="Sign in on this device").tap()
        expect(page.get_by_role("status")).to_contain_text("Saved Bea Chen. Add a note?")
        assert contacts_of(live_app, "ana@school.example.org") == ["Bea Chen"]
    finally:
        context.close()
