"""Every page of tests/pages.py in real Chromium with the Content-Security-Policy enforced: no violation.

Violations are caught twice: Chromium's console ("Refused to ... because it violates the following
Content Security Policy directive") and the page's `securitypolicyviolation` events. Beyond loading
each page, the htmx swaps (search, note editing, saving from a card), the service worker and the
camera scanner (its qr-scanner decoder runs in a blob: worker) are driven too.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_or_skip
from tests.browser.page_actions import ACTIONS
from tests.pages import ATTENDEE, PAGES, session_cookie

WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""



class Watched:
    """A browser context for `who` with the CSP on, collecting every violation it reports."""

    def __init__(self, browser, app, world, server, who):
        self.messages: list[str] = []
        self.context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                           permissions=["camera"])
        self.context.add_init_script(WATCH)
        cookie = session_cookie(app, world, who)
        if cookie:
            self.context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": server.url}])

    def page(self):
        page = self.context.new_page()
        page.on("console", lambda m: self.messages.append(m.text)
                if "Content Security Policy" in m.text or "Refused to" in m.text else None)
        page.on("pageerror", lambda e: self.messages.append(f"page error: {e}"))
        return page

    def violations(self, page) -> list[str]:
        page.wait_for_timeout(300)  # late reports (workers, swaps) arrive asynchronously
        events = page.evaluate("window.__cspViolations || []")
        return self.messages + events


@pytest.fixture(scope="module")
def watched(browser, site):
    app, world, server = site
    made: dict[str, Watched] = {}

    def get(who: str) -> Watched:
        if who not in made:
            made[who] = Watched(browser, app, world, server, who)
        made[who].messages.clear()
        return made[who]

    yield get
    for each in made.values():
        each.context.close()


def test_the_watch_sees_a_violation(watched, site):
    """So that an empty list above means something: an inline script and a foreign image are reported."""
    _, world, server = site
    context = watched("signed out")
    page = context.page()
    try:
        page.goto(server.url + "/", wait_until="load")
        page.evaluate("""() => {
            const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.append(s);
            const i = document.createElement('img'); i.src = 'https://evil.example/x.png'; document.body.append(i);
        }""")
        found = " ".join(context.violations(page))
        assert "script-src" in found and "img-src" in found, found
        assert page.evaluate("window.ran") is None
    finally:
        page.close()


@pytest.mark.parametrize("entry", PAGES, ids=[p.name for p in PAGES])
def test_no_csp_violation_on_any_page(watched, site, entry):
    _, world, server = site
    context = watched(entry.who)
    page = context.page()
    try:
        response = page.goto(server.url + entry.path(world), wait_until="load")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        if entry.act:
            ACTIONS[entry.act](page)
        page.wait_for_load_state("networkidle")
        assert context.violations(page) == [], f"{entry.name}: {context.violations(page)}"
    finally:
        page.close()


def test_no_csp_violation_in_htmx_swaps_and_the_service_worker(watched, site):
    _, world, server = site
    context = watched(ATTENDEE)
    page = context.page()
    try:
        page.goto(f"{server.url}/me/contacts", wait_until="load")
        page.fill("#q", "schedule")
        expect(page.locator("#contact-list")).to_contain_text("1 contact", timeout=5000)
        page.click("#contact-list a")
        page.wait_for_url("**/me/contacts/*")
        page.click("#edit-note")
        page.locator("#note-block textarea").fill("Edited under a strict policy")
        page.locator("#note-block button[type=submit]").click()
        expect(page.locator("#note-block")).to_contain_text("Edited under a strict policy")
        page.goto(f"{server.url}/c/{world.other_code}", wait_until="load")
        page.locator("#save-form textarea").fill("Saved with htmx")
        page.locator("#save-form button[type=submit]").click()
        expect(page.locator("#save-form")).to_contain_text("Saved Samira Okafor")
        registered = page.evaluate("""Promise.race([
            navigator.serviceWorker.ready.then(r => !!r.active),
            new Promise(resolve => setTimeout(() => resolve(false), 15000))])""")
        assert registered, "the service worker did not register"
        assert context.violations(page) == []
    finally:
        page.close()


def test_no_csp_violation_while_the_camera_scanner_decodes(playwright_instance, site, tmp_path):
    """qr-scanner starts its decoder as a blob: worker; the policy must allow it (worker-src blob:)."""
    from tests.browser.test_scanner import write_y4m
    app, world, server = site
    video = write_y4m(tmp_path / "badge.y4m", f"{server.url}/c/{world.other_code}")
    args = list(CHROMIUM_ARGS) + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                  f"--use-file-for-fake-video-capture={video}"]
    browser = playwright_instance.chromium.launch(executable_path=chromium_or_skip(), args=args)
    try:
        context = Watched(browser, app, world, server, ATTENDEE)
        page = context.page()
        workers = []
        page.on("worker", lambda worker: workers.append(worker.url))
        page.goto(f"{server.url}/scan", wait_until="load")
        expect(page.locator("#scan-sheet .person-name")).to_have_text("Samira Okafor", timeout=15000)
        assert any(url.startswith("blob:") for url in workers), f"no blob: decoder worker started: {workers}"
        assert context.violations(page) == []
        context.context.close()
    finally:
        browser.close()
