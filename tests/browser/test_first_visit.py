"""A person's first minutes in real Chromium on a 390x844 phone: errors seen where they look (with
JavaScript and without), Save and Note under the thumb on a card, a badge in under a minute, sharing
the badge, the home-screen hint, and long names at 200% zoom."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect
from sqlalchemy import delete, func, select

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.contacts.operations import save_contact
from conference.extensions import db
from conference.followups.models import FollowUp
from conference.followups.operations import add_follow_up
from conference.privacy.operations import delete_account
from tests.browser.conftest import PHONE
from tests.browser.test_scanner import queue_typed, wait_for_service_worker
from tests.factories import make_attendee, make_conference
from tests.pages import LONG_NAME

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/18.1 Mobile/15E148 Safari/604.1")
UNKNOWN = "7KQ2-XM4P-9BDA"
ALL_INTERESTS = ("Sharing resources", "Professional growth", "Mentoring (offering)", "Being mentored", "Scheduling",
                 "Problem solving", "School climate and culture", "Instructional leadership", "Equity",
                 "Social-emotional learning", "Literacy", "Math", "Technology and innovation",
                 "Family and community engagement", "Staff hiring and retention", "Budget and operations")


def phone_context(browser, app=None, base=None, attendee_id=None, **options):
    """A 390x844 phone; signed in as `attendee_id` when given (the session cookie joining sets)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, **options)
    if attendee_id is not None:
        with app.test_request_context():
            cookie = app.session_interface.get_signing_serializer(app).dumps(
                {"attendee_id": attendee_id, "_permanent": True})
        context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": base}])
    return context


def in_viewport_and_on_top(page, locator) -> bool:
    """Inside the 390x844 screen, and the element a tap on its centre reaches (nothing covers it)."""
    box = locator.bounding_box()
    if not box or box["y"] < 0 or box["y"] + box["height"] > PHONE["height"]:
        return False
    handle = locator.element_handle()
    return page.evaluate("""([el, x, y]) => { const hit = document.elementFromPoint(x, y);
                             return hit === el || el.contains(hit) || (el.control && el.control === hit); }""",
                         [handle, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])


# ---- errors where the person is looking ------------------------------------------------------------------

def test_a_mistyped_code_says_so_at_the_field_with_and_without_javascript(browser, live_app, live_server):
    for javascript in (True, False):
        context = phone_context(browser, java_script_enabled=javascript)
        try:
            page = context.new_page()
            page.goto(f"{live_server.url}/code")
            page.get_by_role("textbox", name="Badge code").fill(UNKNOWN)
            page.get_by_role("button", name="Open card").tap()
            expect(page.get_by_role("alert")).to_contain_text("No badge has this code. Check it against the badge")
            expect(page.get_by_role("heading", name="We couldn't find that badge")).to_be_visible()
            expect(page.get_by_role("textbox", name="Badge code")).to_have_value(UNKNOWN)
            # corrected in place, it opens the card
            with live_app.app_context():
                code = display(make_attendee(make_conference(), name=f"Real Badge {javascript}").badge_code)
            page.get_by_role("textbox", name="Badge code").fill(code)
            page.get_by_role("button", name="Open card").tap()
            expect(page.get_by_role("heading", name=f"Real Badge {javascript}")).to_be_visible()
        finally:
            context.close()


def newcomer_phone(browser, app, server):
    """A phone signed in as someone who has just joined a conference of their own."""
    with app.app_context():
        me_id = make_attendee(make_conference()).id
    return phone_context(browser, app, server.url, me_id)


def test_the_scanners_typed_field_says_why_a_code_opened_nobody(browser, live_app, live_server):
    context = newcomer_phone(browser, live_app, live_server)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/scan")
        page.get_by_role("textbox", name="Badge code").fill(UNKNOWN)
        page.get_by_role("button", name="Open card").tap()
        error = page.locator("#code-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text(f"No badge has the code {UNKNOWN}")
        expect(page.get_by_role("textbox", name="Badge code")).to_have_value(UNKNOWN)
    finally:
        context.close()


def test_note_edits_show_a_failure_beside_the_form_and_keep_what_was_typed(browser, live_app, live_server):
    with live_app.app_context():
        conference = make_conference()
        me, other = make_attendee(conference), make_attendee(conference, name="Marcus Bell")
        connection_id = save_contact(me, other, note="Block schedules").id
        db.session.commit()
        me_id = me.id
    context = phone_context(browser, live_app, live_server.url, me_id)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/me/contacts/{connection_id}")
        page.get_by_role("link", name="Edit note").tap()
        note = page.get_by_label("Note", exact=True)
        note.fill("Send him the template before August")
        context.set_offline(True)  # the venue's Wi-Fi drops
        page.get_by_role("button", name="Save note").tap()
        alert = page.locator("#note-block .request-error")
        expect(alert).to_contain_text("No network: nothing was sent")
        expect(note).to_have_value("Send him the template before August")
        context.set_offline(False)
        with live_app.app_context():  # removed in another tab meanwhile
            db.session.execute(delete(Connection).where(Connection.id == connection_id))
            db.session.commit()
        page.get_by_role("button", name="Save note").tap()
        expect(alert).to_contain_text("Page not found")
        expect(note).to_have_value("Send him the template before August")
    finally:
        context.close()


def test_dismiss_and_follow_up_buttons_show_their_failure_beside_the_button(browser, live_app, live_server):
    with live_app.app_context():
        conference = make_conference()
        me = make_attendee(conference, seeks=("Scheduling",))
        helper = make_attendee(conference, name="Bea Chen", offers=("Scheduling",))
        saved = make_attendee(conference, name="Cal Okafor")
        connection = save_contact(me, saved)
        follow_up = add_follow_up(me, connection.id, "Send the template", None)
        db.session.commit()
        me_id, helper_id, follow_up_id = me.id, helper.id, follow_up.id
    context = phone_context(browser, live_app, live_server.url, me_id)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/me/people")
        expect(page.get_by_text("Bea Chen", exact=True)).to_be_visible()
        with live_app.app_context():
            delete_account(db.session.get(Attendee, helper_id))
            db.session.commit()
        page.get_by_role("button", name=re.compile("Not for me.*Bea Chen")).tap()
        expect(page.locator("#people-list .request-error")).to_be_visible()
        expect(page.locator("#people-list .request-error")).to_have_attribute("role", "alert")

        page.goto(f"{live_server.url}/me/follow-ups")
        with live_app.app_context():
            db.session.execute(delete(FollowUp).where(FollowUp.id == follow_up_id))
            db.session.commit()
        page.get_by_role("button", name="Mark done: Send the template").tap()
        expect(page.locator("#followup-list .request-error")).to_contain_text("Page not found")
    finally:
        context.close()


def test_a_scan_the_server_refused_is_told_on_the_next_page_and_kept_on_the_scan_page(browser, live_app, live_server):
    context = newcomer_phone(browser, live_app, live_server)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/scan")
        wait_for_service_worker(page)
        context.set_offline(True)
        queue_typed(page, UNKNOWN, "Met at the literacy session")  # a misread badge, saved with no network
        page.close()
        context.set_offline(False)
        later = context.new_page()
        later.goto(f"{live_server.url}/me/contacts")
        banner = later.locator("#sync-problems")
        expect(banner).to_contain_text(f"A scan was not saved: No badge has the code {UNKNOWN}")
        expect(banner).to_have_attribute("role", "alert")
        banner.get_by_role("link", name=re.compile("See them on the Scan page")).tap()
        problem = later.locator("#results-list li.problem")
        expect(problem).to_contain_text(f"Not saved: {UNKNOWN}")
        expect(problem).to_contain_text("Your note: Met at the literacy session")  # nothing typed is lost
        later.goto(f"{live_server.url}/me/contacts")  # told once
        later.wait_for_timeout(1500)
        expect(later.locator("#sync-problems")).to_have_count(0)
    finally:
        context.close()


# ---- Save and Note under the thumb on the card a phone's camera opens ------------------------------------

def test_save_and_note_are_within_thumb_reach_on_the_card(browser, live_app, live_server):
    with live_app.app_context():
        conference = make_conference()
        me = make_attendee(conference, offers=("Scheduling", "Literacy"), seeks=("Math", "Equity"))
        typical = make_attendee(conference, name="Samira Okafor", school="Hillcrest Elementary",
                                offers=("Math",), seeks=("Scheduling", "Literacy"),
                                channels={"phone": ("(202) 555-0188", True), "x": ("@samira_leads", True),
                                          "linkedin": ("samira-okafor", True)})
        many = make_attendee(conference, name=LONG_NAME, school="Dr. Martin Luther King Jr. Early Childhood Academy",
                             offers=ALL_INTERESTS[:8], seeks=ALL_INTERESTS[8:],
                             channels={k: (v, True) for k, v in {"phone": "(202) 555-0199", "x": "@mgfc",
                                       "instagram": "mgfc.lead", "voxer": "mgfc", "linkedin": "mgfc-principal",
                                       "bluesky": "mgfc.bsky.social", "website": "kingacademy.example.org",
                                       "email": "mgfc@king.example.org"}.items()})
        cards = {"typical": display(typical.badge_code), "many interests": display(many.badge_code)}
        me_id = me.id
    context = phone_context(browser, live_app, live_server.url, me_id)
    try:
        page = context.new_page()
        for label, code in cards.items():
            page.goto(f"{live_server.url}/c/{code}")
            height = page.evaluate("document.documentElement.scrollHeight")
            assert height > PHONE["height"], f"the {label} card fits on one screen: nothing to prove"
            save = page.get_by_role("button", name="Save contact")
            note_button = page.locator(".action-bar label[for=note]")
            for what, locator in (("Save", save), ("Note", note_button)):
                assert in_viewport_and_on_top(page, locator), f"{what} is not under the thumb on the {label} card"
                assert locator.bounding_box()["y"] > PHONE["height"] / 2, f"{what} is out of thumb reach ({label})"
            note_button.tap()
            note = page.get_by_role("textbox", name="Note")
            expect(note).to_be_focused()
            box, bar = note.bounding_box(), page.locator(".action-bar").bounding_box()
            assert box["y"] >= 0 and box["y"] + 40 <= bar["y"], "the note field is hidden behind the action bar"
            note.fill(f"Met her after the {label} keynote")
            save.tap()
            expect(page.get_by_role("status")).to_contain_text("Saved")
            expect(page.get_by_role("button", name="Update contact")).to_be_visible()
        # Reached by a boosted page load (htmx swaps the body's content): the bar still leaves the page's
        # end readable above it.
        page.goto(f"{live_server.url}/code")
        page.get_by_role("textbox", name="Badge code").fill(cards["typical"])
        page.get_by_role("button", name="Open card").tap()
        expect(page.get_by_role("heading", name="Samira Okafor")).to_be_visible()
        # htmx scrolls the swapped page to its top once it settles, which can land after the heading shows
        # on a loaded machine: scroll to the end until the page stays there.
        scan_another = page.get_by_role("link", name="Scan another badge")
        deadline = time.monotonic() + 5
        while True:
            page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
            page.wait_for_timeout(100)
            if in_viewport_and_on_top(page, scan_another) or time.monotonic() > deadline:
                break
        assert in_viewport_and_on_top(page, scan_another)
        with live_app.app_context():
            notes = set(db.session.scalars(select(Connection.note).where(Connection.owner_id == me_id)))
        assert notes == {"Met her after the typical keynote", "Met her after the many interests keynote"}
    finally:
        context.close()


# ---- a badge in under a minute --------------------------------------------------------------------------

def test_a_badge_in_under_a_minute_in_few_taps(browser, live_app, live_server):
    with live_app.app_context():
        slug = make_conference(name="Pre-K–8 Principals Conference").slug
    context = phone_context(browser)
    taps = 0
    try:
        page = context.new_page()
        started = time.monotonic()
        page.goto(f"{live_server.url}/{slug}")  # the poster's address
        page.get_by_role("link", name="Join and get my badge").tap(); taps += 1
        for label, text in (("Name", "Dana Whitfield"), ("Email", "dana.whitfield@school.example.org")):
            field = page.get_by_role("textbox", name=label, exact=True)
            field.tap(); taps += 1
            field.press_sequentially(text, delay=20)
        page.get_by_label("Role", exact=True).tap(); taps += 1
        page.get_by_label("Role", exact=True).select_option(label="Assistant principal"); taps += 1
        school = page.get_by_label("School", exact=True)
        school.tap(); taps += 1
        school.press_sequentially("Riverbend K-8", delay=20)
        join = page.get_by_role("button", name="Join and show my badge")
        assert in_viewport_and_on_top(page, join), "the Join button needs a scroll"
        join.tap(); taps += 1
        expect(page.get_by_role("heading", name="Dana Whitfield", exact=True)).to_be_visible()
        expect(page.locator("figure.qr svg")).to_be_visible()
        seconds = time.monotonic() - started
        assert taps <= 7, f"{taps} taps to a badge"
        assert seconds < 60, f"{seconds:.1f} s to a badge"
        print(f"badge in {taps} taps and {seconds:.1f} s (typing at 20 ms a key)")
        expect(page.get_by_role("link", name="Add your interests and how to reach you")).to_be_visible()
    finally:
        context.close()


def test_what_was_typed_in_add_more_survives_a_mistake(browser, live_app, live_server):
    with live_app.app_context():
        slug = make_conference().slug
    context = phone_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/{slug}/join")
        expect(page.get_by_label("District")).to_be_hidden()  # the first step is short
        page.get_by_label("Name", exact=True).fill("Dana Whitfield")
        page.locator("#email").fill("not-an-email")
        page.get_by_label("Role", exact=True).select_option(label="Principal")
        page.get_by_text("Add more now").tap()
        page.get_by_label("District").fill("Tidewater Public Schools")
        page.get_by_label("Seek help with Scheduling").tap()
        page.get_by_label("Mobile phone").fill("(757) 555-0142")
        expect(page.locator("#ch_phone_share-1")).to_be_checked()  # people I save: not anyone
        page.get_by_role("button", name="Join and show my badge").tap()
        expect(page.locator(".error-summary")).to_contain_text("Enter an email address")
        expect(page.get_by_label("District")).to_have_value("Tidewater Public Schools")
        expect(page.get_by_label("Seek help with Scheduling")).to_be_checked()
        expect(page.get_by_label("Mobile phone")).to_have_value("(757) 555-0142")
        page.locator("#email").fill("dana@school.example.org")
        page.get_by_role("button", name="Join and show my badge").tap()
        expect(page).to_have_url(re.compile(r"/me/badge"))
        with live_app.app_context():
            dana = db.session.scalar(select(Attendee).where(Attendee.email == "dana@school.example.org"))
            assert dana.district == "Tidewater Public Schools"
            assert [(c.kind, c.visibility) for c in dana.channels] == [("phone", "mutual")]
    finally:
        context.close()


# ---- my badge: share it, put it on the home screen --------------------------------------------------------

def test_share_my_card_uses_the_share_sheet_where_there_is_one_and_copies_elsewhere(browser, live_app, live_server):
    with live_app.app_context():
        me = make_attendee(make_conference(), name="Dana Whitfield")
        me_id, url = me.id, f"https://pln.example.org/c/{display(me.badge_code)}"
    plain = phone_context(browser, live_app, live_server.url, me_id, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = plain.new_page()
        page.goto(f"{live_server.url}/me/badge")
        expect(page.get_by_role("textbox", name="Share my card")).to_have_value(url)
        expect(page.get_by_role("button", name="Share my card")).to_be_hidden()  # no share sheet here
        page.get_by_role("button", name="Copy link").tap()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == url
    finally:
        plain.close()
    sharing = phone_context(browser, live_app, live_server.url, me_id)
    # The phone's share sheet is outside the page: stand in for it, recording what it was given.
    sharing.add_init_script("navigator.share = (data) => { window.shared = data; return Promise.resolve(); };")
    try:
        page = sharing.new_page()
        page.goto(f"{live_server.url}/me/badge")
        expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
        page.get_by_role("button", name="Share my card").tap()
        assert page.evaluate("window.shared") == {"title": "Dana Whitfield · PLN Connect", "url": url}
    finally:
        sharing.close()


def test_the_home_screen_hint_shows_once_until_dismissed(browser, live_app, live_server):
    with live_app.app_context():
        me_id = make_attendee(make_conference()).id
    for javascript in (True, False):
        context = phone_context(browser, live_app, live_server.url, me_id, user_agent=IPHONE,
                                java_script_enabled=javascript)
        try:
            page = context.new_page()
            page.goto(f"{live_server.url}/me/badge?welcome=1")
            hint = page.get_by_role("region", name="Add PLN Connect to your home screen")
            expect(hint).to_contain_text("In Safari, tap Share")
            hint.get_by_role("button", name=re.compile("Got it")).tap()
            expect(hint).to_have_count(0)
            page.reload()
            expect(page.get_by_role("heading", name=re.compile("badge|Person", re.I)).first).to_be_visible()
            expect(page.get_by_role("region", name="Add PLN Connect to your home screen")).to_have_count(0)
        finally:
            context.close()


# ---- long names at 200% zoom ----------------------------------------------------------------------------

BROKEN_WORDS = """(selector) => {
  const broken = [];
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const word = /[^\\s-]+-?/g; let m;
      while ((m = word.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def test_a_long_family_name_breaks_between_words_at_200_percent_zoom(browser, live_app, live_server):
    with live_app.app_context():
        conference = make_conference()
        me = make_attendee(conference, name=LONG_NAME, school="Dr. Martin Luther King Jr. Early Childhood Academy")
        other = make_attendee(conference, name="Nguyễn Thị Phương-Thảo Castellanos-Villanueva")
        connection_id = save_contact(me, other).id
        db.session.commit()
        me_id, other_code = me.id, display(other.badge_code)
    context = browser.new_context(viewport={"width": 195, "height": 422}, device_scale_factor=4, is_mobile=True,
                                  has_touch=True)
    with live_app.test_request_context():
        cookie = live_app.session_interface.get_signing_serializer(live_app).dumps({"attendee_id": me_id})
    context.add_cookies([{"name": live_app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server.url}])
    try:
        page = context.new_page()
        for path, selector in (("/me/badge", ".badge-name"), (f"/c/{other_code}", ".person-name"),
                               ("/me/contacts", ".contact-name"), (f"/me/contacts/{connection_id}", ".person-name")):
            page.goto(live_server.url + path)
            expect(page.locator(selector).first).to_be_visible()
            assert page.evaluate(BROKEN_WORDS, selector) == [], f"{path}: a name breaks inside a word"
    finally:
        context.close()


def test_the_signed_out_cold_card_keeps_its_join_button_on_screen(browser, live_app, live_server):
    with live_app.app_context():
        code = display(make_attendee(make_conference(), name="Samira Okafor").badge_code)
        assert db.session.scalar(select(func.count()).select_from(Attendee)) == 1
    context = phone_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/c/{code}")
        assert in_viewport_and_on_top(page, page.get_by_role("link", name="Join and get my badge"))
    finally:
        context.close()
