"""The private calendar link on a 390x844 phone: made once, copied with one tap; without JavaScript the
link stays in a field to select, and the Copy button stays hidden."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.axe import axe_violations, describe
from tests.browser.conftest import PHONE
from tests.browser.test_first_visit import phone_context
from tests.factories import make_attendee, make_conference


def test_copy_the_calendar_link_in_one_tap(browser, live_app, live_server):
    with live_app.app_context():
        me_id = make_attendee(make_conference(), name="Dana Whitfield").id
    context = phone_context(browser, live_app, live_server.url, me_id, bypass_csp=True,
                            permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        assert page.viewport_size == PHONE
        page.goto(f"{live_server.url}/me/meetings/calendar")
        before = {v["id"] for v in axe_violations(page)}
        page.get_by_role("button", name="Make my calendar link").tap()
        link = page.get_by_role("textbox", name="Your calendar link")
        expect(link).to_be_visible()
        url = link.input_value()
        assert "/calendar/" in url and url.endswith(".ics")
        page.get_by_role("button", name="Copy link").tap()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == url
        new = [v for v in axe_violations(page) if v["id"] not in before]
        assert not new, describe(new)
    finally:
        context.close()


def test_without_javascript_the_link_is_there_to_select(browser, live_app, live_server):
    with live_app.app_context():
        me_id = make_attendee(make_conference(), name="Dana Whitfield").id
    context = phone_context(browser, live_app, live_server.url, me_id, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/me/meetings/calendar")
        page.get_by_role("button", name="Make my calendar link").tap()
        link = page.get_by_role("textbox", name="Your calendar link")
        expect(link).to_be_visible()
        assert link.input_value().endswith(".ics")
        expect(page.locator("[data-copy='#calendar-feed-url']")).to_be_hidden()
    finally:
        context.close()
