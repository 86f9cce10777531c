"""My schedule opens with no network (the venue's Wi-Fi fails as people walk to their table): the
service worker keeps /me/meetings with the badge and the contacts, on a 390 px phone."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_scanner import signed_in_phone, wait_for_service_worker
from tests.factories import make_attendee, make_conference
from tests.meeting_factories import accepted_meeting, make_huddle, make_spot, make_time

QUESTION = "Chronic absence in K–2: what actually worked?"


@pytest.fixture
def schedule(live_app):
    with live_app.test_request_context():
        conference = make_conference(venue="Hilton Anatole, Dallas")
        ana = make_attendee(conference, name="Ana Ruiz")
        bea = make_attendee(conference, name="Bea Chen", school="Harbor View Elementary")
        cal = make_attendee(conference, name="Cal Okafor")
        lounge = make_spot(conference, "Networking lounge", capacity=20)
        soon = make_time(conference)
        later = make_time(conference, soon.starts_at + timedelta(hours=1))
        accepted_meeting(ana, bea, soon, lounge, table=3)
        make_huddle(cal, later, lounge, QUESTION, members=[ana])
        return {"ana": ana.id}


def test_my_schedule_opens_offline(browser, live_app, live_server, schedule):
    context = signed_in_phone(browser, live_app, live_server.url, schedule["ana"], camera=False)
    try:
        page = context.new_page()
        assert page.viewport_size == PHONE
        page.goto(f"{live_server.url}/me/meetings")
        expect(page.get_by_text("Bea Chen").first).to_be_visible()
        wait_for_service_worker(page)
        page.reload()  # now through the service worker, which keeps the copy fresh

        context.set_offline(True)
        page.reload()
        expect(page.get_by_text("Bea Chen").first).to_be_visible()
        expect(page.get_by_text("Networking lounge, table 3").first).to_be_visible()
        expect(page.get_by_text(QUESTION).first).to_be_visible()
        page.goto(f"{live_server.url}/me/badge")  # the others are still kept
        expect(page.get_by_role("heading", name="Ana Ruiz", exact=True)).to_be_visible()
        page.goto(f"{live_server.url}/me/people")  # never opened: the offline page names My schedule
        expect(page.get_by_role("heading", name="No network right now")).to_be_visible()
        page.get_by_role("link", name="My schedule").click()
        expect(page.get_by_text("Bea Chen").first).to_be_visible()
        context.set_offline(False)
    finally:
        context.close()
