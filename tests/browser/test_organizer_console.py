"""The organizer console in real Chromium on a laptop: sign in by emailed link, a dashboard that
refreshes itself while visible, and a badge PDF made in the background with progress."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from conference.extensions import db
from conference.mail import outbox_messages
from tests.factories import make_attendee, make_conference
from tests.organizer_factories import connect, make_organizer

LAPTOP = {"width": 1280, "height": 800}


def test_sign_in_dashboard_refreshes_and_badges_are_made(live_app, live_server, browser):
    base = live_server.url
    with live_app.app_context():
        conference = make_conference(name="Pre-K–8 Principals Conference")
        people = [make_attendee(conference, name=f"Person {n}") for n in range(12)]
        connect(people[0], people[1])
        make_organizer(conference, email="staff@association.example.org")
        slug, ids = conference.slug, [p.id for p in people]
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(f"{base}/organize/{slug}/")
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    page.get_by_label("Your email").fill("staff@association.example.org")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    body = outbox_messages(live_app.config["MAIL_OUTBOX"])[-1].get_body().get_content()
    link = re.search(r"https?://\S+/signin/(\S+)", body).group(1)
    page.goto(f"{base}/signin/{link}")
    page.get_by_role("button", name="Sign in on this device").click()
    expect(page).to_have_url(f"{base}/organize/{slug}/")
    expect(page.locator(".tabbar")).to_have_count(0)
    connections = page.locator(".tile").filter(has_text="Connections made").locator(".tile-value")
    expect(connections).to_have_text("1")

    with live_app.app_context():  # someone saves contacts while the dashboard is on screen
        from conference.attendees.models import Attendee
        owner = db.session.get(Attendee, ids[0])
        for other_id in ids[2:6]:
            connect(owner, db.session.get(Attendee, other_id))
        db.session.remove()
    expect(connections).to_have_text("5", timeout=9000)  # refreshed by htmx within a poll or two
    assert page.url == f"{base}/organize/{slug}/"

    page.get_by_role("link", name="Badges").click()
    page.get_by_role("button", name="Make the PDF").click()
    expect(page).to_have_url(re.compile(rf"/organize/{slug}/badges/\d+$"))
    download_link = page.get_by_role("link", name="Download the PDF")
    expect(download_link).to_be_visible(timeout=30000)
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    assert errors == []
    context.close()
