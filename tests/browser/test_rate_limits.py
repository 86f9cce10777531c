"""In real Chromium: scans that the badge-miss limit keeps the server from checking stay on the phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conference.extensions import db
from tests.browser.conftest import make_live_app
from tests.browser.test_scanner import (camera_browser, people, queue_typed, saved_for,  # noqa: F401 (fixture)
                                        signed_in_phone, wait_for_service_worker, write_y4m)
from tests.conftest import empty_database

GUESSES = ["7KQ2-XM4P-9BDA", "7KQ2-XM4P-9BDB", "7KQ2-XM4P-9BDC"]


@pytest.fixture
def live_app(tmp_path, _schema):
    """The live app with rate limits on and two badge misses a minute."""
    app = make_live_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_BADGE_MISSES="2 per minute")
    yield app
    with app.app_context():
        empty_database()
        db.engine.dispose()


def test_scans_the_miss_limit_holds_back_wait_on_the_phone_and_are_sent_later(
        playwright_instance, live_app, live_server, people, tmp_path):
    browser = camera_browser(playwright_instance, write_y4m(tmp_path / "blank.y4m", None))
    try:
        context = signed_in_phone(browser, live_app, live_server.url, people["ana"])
        page = context.new_page()
        page.goto(f"{live_server.url}/scan")
        wait_for_service_worker(page)
        context.set_offline(True)
        for n, code in enumerate(GUESSES):
            queue_typed(page, code, f"guess {n}")
        queue_typed(page, people["bea_code"], "Scheduling templates")
        expect(page.locator("#waiting-title")).to_have_text("Waiting to sync (4)")

        context.set_offline(False)
        results = page.locator("#results-list")
        expect(results.locator("li.problem")).to_have_count(2, timeout=15000)  # two misses allowed, then none
        expect(page.locator("#waiting-title")).to_have_text("Waiting to sync (2)")
        expect(page.locator("#waiting-list")).to_contain_text(people["bea_code"])
        expect(page.locator("#sync-state")).to_contain_text("stays on the phone")
        page.screenshot(path=str(tmp_path / "held-back.png"), full_page=True)
        assert saved_for(live_app, people["ana"]) == {}

        live_app.config["RATELIMIT_BADGE_MISSES"] = "10 per minute"  # as if the minute had passed
        expect(results).to_contain_text("Saved Bea Chen", timeout=30000)
        expect(results.locator("li.problem")).to_have_count(3)
        expect(page.locator("#waiting-block")).to_be_hidden()
        assert saved_for(live_app, people["ana"]) == {"Bea Chen": "Scheduling templates"}
    finally:
        browser.close()
