"""Two phones at 390x844: Ana asks Ben to meet from his card, Ben accepts, both see it in My schedule,
Ana cancels with a reason, and it is gone from Ben's schedule."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from conference.badges.codes import display
from conference.events.models import utcnow
from conference.extensions import db
from conference.meetings.models import Booking, Meeting, MeetingSpot, MeetingTime
from tests.browser.conftest import PHONE
from tests.browser.test_attendee_loop import assert_no_sideways_scroll
from tests.factories import make_attendee, make_conference


def signed_in_phone(browser, app, base: str, attendee_id: int):
    """A phone-sized browser context signed in as the attendee (the session cookie a sign-in sets)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    value = app.session_interface.get_signing_serializer(app).dumps({"attendee_id": attendee_id, "_permanent": True})
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": base}])
    return context


def test_ask_accept_see_and_cancel_on_two_phones(browser, live_app, live_server, tmp_path):
    base = live_server.url
    with live_app.app_context():
        conference = make_conference(name="Pre-K–8 Principals Conference")
        start = (utcnow() + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
        db.session.add_all([MeetingTime(conference_id=conference.id, starts_at=start + timedelta(minutes=20 * n),
                                        minutes=20, label="Morning break") for n in range(3)]
                           + [MeetingSpot(conference_id=conference.id, name="Networking lounge", capacity=20),
                              MeetingSpot(conference_id=conference.id, name="Hall B café", capacity=4)])
        db.session.commit()
        ana = make_attendee(conference, name="Ana Ruiz", school="Lincoln Elementary")
        ben = make_attendee(conference, name="Ben Okafor", school="Hillcrest Elementary")
        ana_id, ben_id, ben_code = ana.id, ben.id, display(ben.badge_code)

    phone_a = signed_in_phone(browser, live_app, base, ana_id)
    phone_b = signed_in_phone(browser, live_app, base, ben_id)
    try:
        a, b = phone_a.new_page(), phone_b.new_page()

        # Ana opens Ben's card and asks him to meet: the sheet opens in place.
        a.goto(f"{base}/c/{ben_code}")
        ask = a.get_by_role("link", name="Ask to meet")
        expect(ask).to_be_visible()
        assert_no_sideways_scroll(a, "card")
        a.screenshot(path=str(tmp_path / "card.png"), full_page=True)
        ask.tap()
        expect(a.get_by_role("heading", name="Ask Ben Okafor to meet")).to_be_visible()
        expect(a).to_have_url(re.compile(rf"/c/{ben_code}$"))  # a sheet on the card, not another page
        times = a.locator('input[name="time"]')
        expect(times).to_have_count(3)
        expect(times.first).to_be_checked()
        a.locator(".time-option").nth(1).tap()
        expect(times.nth(1)).to_be_checked()
        a.get_by_label("A line for them").fill("Let's compare master schedules")
        assert_no_sideways_scroll(a, "sheet")
        a.screenshot(path=str(tmp_path / "sheet.png"), full_page=True)
        a.locator("#ask-sheet").get_by_role("button", name="Ask to meet").tap()
        expect(a.get_by_text("Asked Ben Okafor to meet")).to_be_visible()

        # Ben sees the count on More, and the request in his schedule; he accepts.
        b.goto(f"{base}/me/badge")
        expect(b.locator(".tabbar .tab-count")).to_contain_text("1")
        b.locator(".tabbar").get_by_role("link", name=re.compile("More")).tap()
        b.get_by_role("link", name=re.compile("Meetings")).tap()
        expect(b.get_by_role("heading", name="Waiting for your answer (1)")).to_be_visible()
        expect(b.get_by_text("“Let's compare master schedules”")).to_be_visible()
        b.get_by_role("button", name="Accept Ana Ruiz's request").tap()
        expect(b).to_have_url(re.compile(r"/me/meetings\?done=accepted"))
        with live_app.app_context():
            meeting = db.session.scalar(select(Meeting).where(Meeting.asker_id == ana_id))
            meeting_id = meeting.id
            assert meeting.state == "accepted"
        item_b = b.locator(f"#meeting-{meeting_id}")
        expect(item_b).to_contain_text("Ana Ruiz")
        expect(item_b).to_contain_text("Hall B café, table 1")  # the first spot by name
        expect(b.locator(".tabbar .tab-count")).to_have_count(0)
        assert_no_sideways_scroll(b, "my schedule")
        b.screenshot(path=str(tmp_path / "schedule.png"), full_page=True)

        # Ana sees it too, and cancels with a reason.
        a.goto(f"{base}/me/meetings")
        item_a = a.locator(f"#meeting-{meeting_id}")
        expect(item_a).to_contain_text("Ben Okafor")
        item_a.locator("summary").tap()
        item_a.get_by_label("Why you cancel").fill("My flight moved up, sorry")
        a.screenshot(path=str(tmp_path / "cancel.png"), full_page=True)
        item_a.get_by_role("button", name="Cancel and tell Ben Okafor").tap()
        expect(a.get_by_text("Cancelled. The other person is told")).to_be_visible()
        expect(a.locator(f"#meeting-{meeting_id}")).to_have_count(0)

        # Ben's schedule: gone from it, with Ana's line under Cancelled.
        b.reload()
        expect(b.get_by_role("heading", name="Coming up")).to_have_count(0)
        expect(b.get_by_role("heading", name="Today")).to_have_count(0)
        expect(b.get_by_text("“My flight moved up, sorry”")).to_be_visible()
        with live_app.app_context():
            assert db.session.scalar(select(Booking.id).where(Booking.meeting_id == meeting_id)) is None
    finally:
        phone_a.close()
        phone_b.close()
