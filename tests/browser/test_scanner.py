"""The scanner in real Chromium on a 390 px phone, with a fake camera that films a real badge QR.

Chromium reads its camera from a Y4M file chosen at launch, so each test launches its own browser
with the file it needs. The QR holds the badge's real link, `badge_url(code)`, which is on
PUBLIC_BASE_URL (https://pln.example.org in tests) while the live server runs on 127.0.0.1: the
scan page accepts badge links on PUBLIC_BASE_URL and on its own origin (data-badge-origins), as it
must in production, where the printed badges carry the public address.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from conference.badges.codes import display
from conference.badges.qr import qr_matrix
from conference.badges.qr import badge_url
from conference.contacts.models import Connection
from conference.extensions import db
from conference.scanner.models import ScanReceipt
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, chromium_or_skip
from tests.factories import make_attendee, make_conference

WIDTH, HEIGHT = 640, 480
UNKNOWN = "7KQ2-XM4P-9BDA"


def write_y4m(path: Path, text: str | None, size: int = 400) -> Path:
    """One 640x480 grey frame (Chromium loops it) with the QR of `text` painted black on white, centred."""
    y = bytearray([235]) * (WIDTH * HEIGHT)
    if text is not None:
        matrix = qr_matrix(text, border=4)
        cell = size // len(matrix)
        left, top = (WIDTH - cell * len(matrix)) // 2, (HEIGHT - cell * len(matrix)) // 2
        for row, cells in enumerate(matrix):
            for col, dark in enumerate(cells):
                shade = 16 if dark else 235
                for dy in range(cell):
                    start = (top + row * cell + dy) * WIDTH + left + col * cell
                    y[start:start + cell] = bytes([shade]) * cell
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    path.write_bytes(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F15:1 Ip A1:1 C420jpeg\n".encode()
                     + b"FRAME\n" + bytes(y) + chroma + chroma)
    return path


def camera_browser(playwright, video: Path | None, allow: bool = True):
    """Chromium whose camera films `video`; with allow=False every camera request is refused."""
    args = list(CHROMIUM_ARGS) + ["--use-fake-device-for-media-stream"]
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    args.append("--use-fake-ui-for-media-stream" if allow else "--deny-permission-prompts")
    return playwright.chromium.launch(executable_path=chromium_or_skip(), args=args)


def signed_in_phone(browser, app, base: str, attendee_id: int, camera: bool = True):
    """A phone-sized context carrying `attendee_id`'s session cookie, as after joining."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  permissions=["camera"] if camera else [])
    with app.test_request_context():
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"attendee_id": attendee_id, "_permanent": True})
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": base}])
    return context


@pytest.fixture
def people(live_app):
    with live_app.test_request_context():
        conference = make_conference()
        ana = make_attendee(conference, name="Ana Ruiz", seeks=("Scheduling",))
        bea = make_attendee(conference, name="Bea Chen", school="Maple Grove K–8", offers=("Scheduling",))
        cal = make_attendee(conference, name="Cal Okafor", school="Harbor View Elementary")
        return {"ana": ana.id, "bea": bea.id, "cal": cal.id, "bea_code": display(bea.badge_code),
                "cal_code": display(cal.badge_code), "bea_url": badge_url(bea.badge_code)}


def saved_for(app, owner_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(select(Connection.contact_id, Connection.note)
                                  .where(Connection.owner_id == owner_id)).all()
        from conference.attendees.models import Attendee
        return {db.session.get(Attendee, contact_id).name: note for contact_id, note in rows}


def receipts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ScanReceipt))


def test_camera_scan_of_a_badge_saves_exactly_one_contact(playwright_instance, live_app, live_server, people, tmp_path):
    url = people["bea_url"]
    assert url.startswith("https://pln.example.org/c/")
    browser = camera_browser(playwright_instance, write_y4m(tmp_path / "badge.y4m", url))
    try:
        context = signed_in_phone(browser, live_app, live_server.url, people["ana"])
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server.url}/scan")
        sheet = page.locator("#scan-sheet")
        expect(sheet.locator(".person-name")).to_have_text("Bea Chen", timeout=15000)
        expect(sheet).to_contain_text("Maple Grove K–8")
        expect(sheet).to_contain_text("Can help with Scheduling")
        assert int(page.locator("#scanner").get_attribute("data-first-card-ms")) < 10000
        page.screenshot(path=str(tmp_path / "scan-card.png"))
        sheet.get_by_label("Note").fill("Master schedule template, send by Friday")
        sheet.get_by_role("button", name="Save contact").click()
        expect(page.locator("#scanner-status")).to_contain_text("Saved Bea Chen to your contacts")
        expect(sheet).to_be_hidden()
        # The camera keeps filming the same badge: it is not handled again.
        page.wait_for_timeout(3000)
        expect(sheet).to_be_hidden()
        assert saved_for(live_app, people["ana"]) == {"Bea Chen": "Master schedule template, send by Friday"}
        assert receipts(live_app) == 1
        assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

        # Other pages never load the scanner library.
        loaded: list[str] = []
        page.on("request", lambda r: loaded.append(r.url))
        page.goto(f"{live_server.url}/me/badge")
        page.goto(f"{live_server.url}/me/contacts")
        expect(page.get_by_text("Bea Chen")).to_be_visible()
        assert not [u for u in loaded if "qr-scanner" in u or "scanner.js" in u]
    finally:
        browser.close()


@pytest.mark.parametrize("content", ["https://example.com", "Hello from the exhibit hall"])
def test_a_qr_that_is_not_our_badge_says_so_and_saves_nothing(playwright_instance, live_app, live_server, people,
                                                              tmp_path, content):
    browser = camera_browser(playwright_instance, write_y4m(tmp_path / "other.y4m", content))
    try:
        page = signed_in_phone(browser, live_app, live_server.url, people["ana"]).new_page()
        page.goto(f"{live_server.url}/scan")
        expect(page.locator("#scanner-status")).to_contain_text("not a PLN Connect badge", timeout=15000)
        page.wait_for_timeout(1000)
        expect(page.locator("#scan-sheet")).to_be_hidden()
        assert saved_for(live_app, people["ana"]) == {}
    finally:
        browser.close()


def test_camera_refused_offers_the_typed_code_which_works_like_a_scan(playwright_instance, live_app, live_server,
                                                                     people, tmp_path):
    browser = camera_browser(playwright_instance, write_y4m(tmp_path / "badge.y4m", None), allow=False)
    try:
        page = signed_in_phone(browser, live_app, live_server.url, people["ana"], camera=False).new_page()
        page.goto(f"{live_server.url}/scan")
        problem = page.locator("#camera-problem")
        expect(problem).to_contain_text("not allowed", timeout=15000)
        expect(page.locator("#viewfinder")).to_be_hidden()
        expect(page.get_by_role("textbox", name="Badge code")).to_be_focused()
        page.screenshot(path=str(tmp_path / "camera-refused.png"))
        page.get_by_role("textbox", name="Badge code").fill("abc")
        page.get_by_role("button", name="Open card").click()
        expect(page.locator("#code-error")).to_contain_text("has 12 characters; this one has 3")
        page.get_by_role("textbox", name="Badge code").fill(people["cal_code"].lower().replace("-", " "))
        page.get_by_role("button", name="Open card").click()
        sheet = page.locator("#scan-sheet")
        expect(sheet.locator(".person-name")).to_have_text("Cal Okafor")
        sheet.get_by_label("Note").fill("Typed, not scanned")
        sheet.get_by_role("button", name="Save contact").click()
        expect(page.locator("#scan-notice")).to_be_visible()
        expect(page.locator("#scan-notice")).to_contain_text("Saved Cal Okafor to your contacts")
        assert saved_for(live_app, people["ana"]) == {"Cal Okafor": "Typed, not scanned"}
        # An unknown code is said beside the field, and what was typed stays.
        page.get_by_role("textbox", name="Badge code").fill(UNKNOWN)
        page.get_by_role("button", name="Open card").click()
        expect(page.locator("#code-error")).to_contain_text(f"No badge has the code {UNKNOWN}")
        expect(page.get_by_role("textbox", name="Badge code")).to_have_value(UNKNOWN)
        expect(page.locator("#scan-sheet")).to_be_hidden()
    finally:
        browser.close()


def queue_typed(page, code: str, note: str) -> None:
    page.get_by_role("textbox", name="Badge code").fill(code)
    page.get_by_role("button", name="Open card").click()
    sheet = page.locator("#scan-sheet")
    expect(sheet).to_contain_text("No network right now")
    expect(sheet.locator(".offline-code")).to_have_text(code)
    sheet.get_by_label("Note").fill(note)
    sheet.get_by_role("button", name="Save on this phone").click()
    expect(sheet).to_be_hidden()


def wait_for_service_worker(page) -> None:
    """Until the service worker controls the page (so it has stored the pages). Polled from here:
    wait_for_function would evaluate a string, which the page's CSP forbids."""
    for _ in range(150):
        if page.evaluate("() => navigator.serviceWorker.controller !== null"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker never took control of the page")


def test_offline_scans_wait_on_the_phone_and_sync_exactly_once(playwright_instance, live_app, live_server, people,
                                                               tmp_path):
    browser = camera_browser(playwright_instance, write_y4m(tmp_path / "blank.y4m", None))
    try:
        context = signed_in_phone(browser, live_app, live_server.url, people["ana"])
        page = context.new_page()
        page.goto(f"{live_server.url}/scan")
        wait_for_service_worker(page)

        context.set_offline(True)
        page.reload()
        expect(page.get_by_role("heading", name="Type a badge code")).to_be_visible()
        page.goto(f"{live_server.url}/me/badge")
        expect(page.get_by_role("heading", name="Ana Ruiz", exact=True)).to_be_visible()
        expect(page.locator("figure.qr svg")).to_be_visible()
        page.goto(f"{live_server.url}/me/contacts")
        expect(page.get_by_role("heading", name="My contacts")).to_be_visible()
        page.goto(f"{live_server.url}/scan")

        queue_typed(page, people["bea_code"], "Scheduling templates")
        queue_typed(page, people["cal_code"], "Voxer group for new principals")
        queue_typed(page, people["bea_code"], "She'll email the master schedule")
        queue_typed(page, UNKNOWN, "Who was this? Red scarf")
        expect(page.locator("#waiting-title")).to_have_text("Waiting to sync (4)")
        expect(page.locator("#waiting-list")).to_contain_text(UNKNOWN)
        expect(page.locator("#waiting-list")).to_contain_text("Note: Who was this? Red scarf")
        page.screenshot(path=str(tmp_path / "waiting.png"), full_page=True)
        assert saved_for(live_app, people["ana"]) == {}

        context.set_offline(False)
        results = page.locator("#results-list")
        expect(results).to_contain_text("Saved Bea Chen", timeout=15000)
        expect(results).to_contain_text("Saved Cal Okafor")
        expect(results.locator("li.problem")).to_contain_text(f"Not saved: {UNKNOWN}")
        expect(results.locator("li.problem")).to_contain_text("No badge has the code")
        expect(results.locator("li.problem")).to_contain_text("Red scarf")  # the note is not lost
        expect(page.locator("#waiting-block")).to_be_hidden()
        assert page.evaluate("PLNQueue.waiting().then(w => w.length)") == 0
        page.screenshot(path=str(tmp_path / "synced.png"), full_page=True)

        assert saved_for(live_app, people["ana"]) == {
            "Bea Chen": "Scheduling templates\n\nShe'll email the master schedule",
            "Cal Okafor": "Voxer group for new principals",
        }
        assert receipts(live_app) == 3
        page.reload()  # the next load sends nothing again
        page.wait_for_timeout(500)
        assert receipts(live_app) == 3
    finally:
        browser.close()


def test_a_failed_sync_is_retried_and_still_saves_once(playwright_instance, live_app, live_server, people, tmp_path):
    browser = camera_browser(playwright_instance, write_y4m(tmp_path / "blank.y4m", None))
    try:
        context = signed_in_phone(browser, live_app, live_server.url, people["ana"])
        page = context.new_page()
        answers: list[int] = []
        page.on("response", lambda r: answers.append(r.status) if r.url.endswith("/scan/sync") else None)
        page.goto(f"{live_server.url}/scan")
        wait_for_service_worker(page)
        context.set_offline(True)
        queue_typed(page, people["bea_code"], "Retry me")
        live_app.config["SCANNER_FAIL_NEXT_SYNCS"] = 1
        context.set_offline(False)
        expect(page.locator("#results-list")).to_contain_text("Saved Bea Chen", timeout=15000)
        assert answers[0] == 503 and 200 in answers
        assert saved_for(live_app, people["ana"]) == {"Bea Chen": "Retry me"}
        assert receipts(live_app) == 1
        # The same batch sent again, straight to the endpoint, saves nothing new.
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        statuses = page.evaluate("""([token, code]) => {
            const scan = {uuid: crypto.randomUUID(), text: code, note: "again"};
            const send = () => fetch('/scan/sync', {method: 'POST', headers: {'Content-Type': 'application/json',
                'X-CSRFToken': token}, body: JSON.stringify({scans: [scan]})}).then(r => r.json());
            return send().then(a => send().then(b => [a.results[0].status, b.results[0].status]));
        }""", [token, people["cal_code"]])
        assert statuses == ["saved", "duplicate"]
        assert saved_for(live_app, people["ana"]) == {"Bea Chen": "Retry me", "Cal Okafor": "again"}
    finally:
        browser.close()



def test_scans_queued_offline_are_sent_by_the_next_page_that_loads(playwright_instance, live_app, live_server,
                                                                   people, tmp_path):
    browser = camera_browser(playwright_instance, write_y4m(tmp_path / "blank.y4m", None))
    try:
        context = signed_in_phone(browser, live_app, live_server.url, people["ana"])
        page = context.new_page()
        page.goto(f"{live_server.url}/scan")
        wait_for_service_worker(page)
        context.set_offline(True)
        queue_typed(page, people["cal_code"], "Sent from the contacts page")
        page.close()  # the page that queued it never sees the network come back
        context.set_offline(False)
        later = context.new_page()
        later.goto(f"{live_server.url}/me/contacts")
        for _ in range(100):
            if saved_for(live_app, people["ana"]):
                break
            time.sleep(0.1)
        assert saved_for(live_app, people["ana"]) == {"Cal Okafor": "Sent from the contacts page"}
        # The server saved it; the page takes it off its queue once the answer has arrived.
        for _ in range(100):
            if later.evaluate("() => PLNQueue.waiting().then(w => w.length)") == 0:
                break
            time.sleep(0.1)
        assert later.evaluate("() => PLNQueue.waiting().then(w => w.length)") == 0
        later.goto(f"{live_server.url}/scan")
        expect(later.locator("#results-list")).to_contain_text("Saved Cal Okafor")
        assert receipts(live_app) == 1
    finally:
        browser.close()


def test_without_javascript_the_typed_code_posts_and_saves(browser, live_app, live_server, people):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    with live_app.test_request_context():
        cookie = live_app.session_interface.get_signing_serializer(live_app).dumps(
            {"attendee_id": people["ana"], "_permanent": True})
    context.add_cookies([{"name": live_app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/scan")
        expect(page.locator("#viewfinder")).to_be_hidden()
        page.get_by_role("textbox", name="Badge code").fill(people["bea_code"])
        page.get_by_role("button", name="Open card").click()
        expect(page.get_by_role("heading", name="Bea Chen", exact=True)).to_be_visible()
        page.get_by_label("Note").fill("No JavaScript on this phone")
        page.get_by_role("button", name="Save contact").click()
        expect(page.get_by_role("status")).to_contain_text("Saved Bea Chen to your contacts")
        assert saved_for(live_app, people["ana"]) == {"Bea Chen": "No JavaScript on this phone"}
        assert receipts(live_app) == 1
    finally:
        context.close()
