"""A huddle on four phones at 390x844: the host starts it, two fill it, a fourth waits and moves up when one
leaves, and after its time the host turns it into a circle."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from conference.circles.models import Circle
from conference.circles.operations import members_of
from conference.events.models import utcnow
from conference.extensions import db
from conference.meetings.models import Huddle, HuddleSeat, MeetingSpot, MeetingTime
from tests.browser.conftest import PHONE
from tests.factories import make_attendee, make_conference

QUESTION = "Chronic absence in K–2: what actually worked?"


def phone_for(browser, app, base, attendee_id):
    """A phone-sized context signed in as `attendee_id`."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    with app.test_request_context():
        cookie = app.session_interface.get_signing_serializer(app).dumps({"attendee_id": attendee_id,
                                                                          "_permanent": True})
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": base}])
    return context


def no_sideways_scroll(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} scrolls sideways: {width}px wide"


def test_a_huddle_filled_by_three_phones_a_fourth_moves_up_then_it_becomes_a_circle(browser, live_app, live_server,
                                                                                     tmp_path):
    base = live_server.url
    with live_app.app_context():
        conference = make_conference()
        start = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
        db.session.add_all([MeetingTime(conference_id=conference.id, starts_at=start, minutes=20, label="Morning break"),
                            MeetingSpot(conference_id=conference.id, name="Networking lounge", capacity=20)])
        db.session.commit()
        host = make_attendee(conference, name="Samira Okafor", school="Hillcrest Elementary")
        ana = make_attendee(conference, name="Ana Ruiz", school="Oak Park Middle", offers=("Equity",))
        ben = make_attendee(conference, name="Ben Cole", school="Riverside K–8", offers=("Equity",))
        dee = make_attendee(conference, name="Dee Shah", role="assistant_principal", school="Lakeside Pre-K Center")
        people = {p.name: p.id for p in (host, ana, ben, dee)}
    phones = {name: phone_for(browser, live_app, base, attendee_id) for name, attendee_id in people.items()}
    pages = {name: context.new_page() for name, context in phones.items()}
    try:
        # The host starts a huddle of three from More.
        page = pages["Samira Okafor"]
        page.goto(f"{base}/me")
        page.get_by_role("link", name=re.compile("^Huddles")).tap()
        page.get_by_role("link", name="Start a huddle").tap()
        expect(page.get_by_role("heading", name="Start a huddle")).to_be_visible()
        page.get_by_label("Your question").fill(QUESTION)
        page.get_by_label("Equity", exact=True).tap()
        expect(page.get_by_label("Equity", exact=True)).to_be_checked()
        page.get_by_label("Time").select_option(index=1)
        page.get_by_label("Seats, you included").select_option("3")
        no_sideways_scroll(page, "the huddle form")
        page.get_by_role("button", name="Start the huddle").tap()
        expect(page.get_by_text("Your huddle is on.")).to_be_visible()
        expect(page.get_by_role("heading", name=QUESTION)).to_be_visible()
        expect(page.get_by_text("2 of 3 left")).to_be_visible()
        expect(page.get_by_text("Networking lounge, table 1")).to_be_visible()
        huddle_url = page.url.split("?")[0]
        huddle_id = int(huddle_url.rsplit("/", 1)[1])
        page.screenshot(path=str(tmp_path / "host.png"), full_page=True)

        # Ana and Ben find it among the huddles they can help with, and join (htmx swaps the huddle's block).
        for name in ("Ana Ruiz", "Ben Cole"):
            page = pages[name]
            page.goto(f"{base}/huddles")
            expect(page.get_by_role("heading", name="You can help")).to_be_visible()
            page.locator(f"#huddle-{huddle_id} a").tap()
            page.get_by_role("button", name="Join the huddle").tap()
            expect(page.locator(f"#huddle-{huddle_id}").get_by_text("You're in.")).to_be_visible()
            expect(page.get_by_role("button", name="Leave the huddle")).to_be_visible()
        expect(pages["Ben Cole"].get_by_text("All 3 taken")).to_be_visible()

        # Dee, fourth, goes on the waiting list.
        page = pages["Dee Shah"]
        page.goto(huddle_url)
        page.get_by_role("button", name="Join the waiting list").tap()
        expect(page.get_by_text("You're number 1 on the waiting list.")).to_be_visible()
        no_sideways_scroll(page, "the huddle page")

        # Ana leaves; Dee moves up.
        pages["Ana Ruiz"].get_by_role("button", name="Leave the huddle").tap()
        expect(pages["Ana Ruiz"].get_by_text("You left the huddle.")).to_be_visible()
        expect(pages["Ana Ruiz"].get_by_role("button", name="Join the waiting list")).to_be_visible()
        page.reload()
        expect(page.get_by_text("You have a seat.")).to_be_visible()
        with live_app.app_context():
            seated = set(db.session.scalars(select(HuddleSeat.attendee_id).where(HuddleSeat.huddle_id == huddle_id)))
            assert seated == {people["Samira Okafor"], people["Ben Cole"], people["Dee Shah"]}

        # The host sees who is coming: name, role, school.
        page = pages["Samira Okafor"]
        page.reload()
        coming = page.get_by_role("region", name="Who's coming")
        expect(coming).to_contain_text("Ben Cole")
        expect(coming).to_contain_text("Assistant principal · Lakeside Pre-K Center")
        expect(coming).not_to_contain_text("Ana Ruiz")
        page.screenshot(path=str(tmp_path / "host-coming.png"), full_page=True)

        # The huddle's time passes.
        with live_app.app_context():
            time = db.session.get(Huddle, huddle_id).time
            time.starts_at = utcnow() - timedelta(minutes=30)
            db.session.commit()

        # Ben swaps contacts with Samira in one tap.
        page = pages["Ben Cole"]
        page.reload()
        page.get_by_role("button", name="Swap contacts with Samira Okafor").tap()
        expect(page.get_by_text("Saved to your contacts.")).to_be_visible()
        expect(page.get_by_text("In your contacts")).to_be_visible()

        # Samira makes it a circle.
        page = pages["Samira Okafor"]
        page.reload()
        expect(page.get_by_role("heading", name="Stay in touch")).to_be_visible()
        no_sideways_scroll(page, "the huddle page after its time")
        page.screenshot(path=str(tmp_path / "after.png"), full_page=True)
        page.get_by_role("button", name="Make a circle").tap()
        expect(page).to_have_url(re.compile(r"/me/circles/\d+\?created=1"))
        expect(page.get_by_role("heading", name=QUESTION)).to_be_visible()
        for name in ("Ben Cole", "Dee Shah"):
            expect(page.locator(".contact-name", has_text=name)).to_be_visible()
        with live_app.app_context():
            circle = db.session.scalar(select(Circle).where(Circle.owner_id == people["Samira Okafor"]))
            assert sorted(c.contact.name for c in members_of(circle)) == ["Ben Cole", "Dee Shah"]
    finally:
        for context in phones.values():
            context.close()
