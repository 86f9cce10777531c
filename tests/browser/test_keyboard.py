"""The attendee loop with the keyboard alone: join → badge → type a code → save with a note → contacts → vCard.

Every Tab stop shows a visible focus ring that the tab bar does not cover; after each htmx swap
(save, note edit, active search) focus is inside the new content or where it was, never lost to <body>;
updates are announced through live regions. Also: prefers-reduced-motion stops animations, and the
scanner's buttons have names a screen reader reads.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.extensions import db
from tests.factories import make_attendee, make_conference, sign_in_as  # noqa: F401

KEYBOARD_PHONE = {"width": 390, "height": 844}

# Where focus is and whether a person can see it: the focused element (or, for a visually hidden chip
# checkbox, the chip drawn next to it) has an outline or focus shadow, lies inside the viewport,
# and nothing (the fixed tab bar, a sticky Save bar) sits on top of it.
FOCUS_STATE = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return {where: 'body'};
    let shown = el;
    if (getComputedStyle(el).opacity === '0' && el.nextElementSibling) shown = el.nextElementSibling;
    const style = getComputedStyle(shown);
    const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    const r = shown.getBoundingClientRect();
    // what sits on top of the element's middle: a fixed tab bar or a sticky Save bar must not
    const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1), y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
    const top = document.elementFromPoint(x, y);
    const covered = !!top && !(el.contains(top) || shown.contains(top) || top.contains(el));
    const inView = r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
    return {where: el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''), text: (el.innerText || el.value || '').trim().slice(0, 60),
            ring, covered, inView};
}"""


def assert_focus_visible(page, step: str) -> dict:
    state = page.evaluate(FOCUS_STATE)
    assert state["where"] != "body", f"{step}: focus is lost (on <body>)"
    assert state["ring"], f"{step}: focus on {state['where']} ({state['text']!r}) shows no focus ring"
    assert state["inView"] and not state["covered"], f"{step}: focused {state['where']} is hidden: {state}"
    return state


def tab_to(page, matches: str, step: str, limit: int = 160) -> None:
    """Press Tab until the focused element `el` makes the JS expression `matches` true; focus visible at every stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!(el && el !== document.body && ({matches})); }}"):
            assert_focus_visible(page, step)
            return
        if page.evaluate("document.activeElement !== document.body"):
            assert_focus_visible(page, f"{step} (on the way)")
    raise AssertionError(f"{step}: Tab never reached an element where {matches}")


def focus_is_inside(page, selector: str) -> bool:
    return page.evaluate(f"() => !!document.activeElement && !!document.activeElement.closest({selector!r})")


def by_text(text: str) -> str:
    return f"(el.innerText || '').replace(/\\s+/g, ' ').trim().startsWith({text!r})"


@pytest.fixture
def keyboard_page(browser):
    context = browser.new_context(viewport=KEYBOARD_PHONE, accept_downloads=True, reduced_motion="reduce")
    page = context.new_page()
    yield page
    context.close()


def test_the_whole_loop_with_the_keyboard_alone(live_app, live_server, keyboard_page):
    page, base = keyboard_page, live_server.url
    with live_app.app_context():
        conference = make_conference(name="Pre-K–8 Principals Conference")
        samira = make_attendee(conference, name="Samira Okafor", school="Hillcrest Elementary",
                               offers=("Scheduling",), seeks=("Literacy",),
                               channels={"phone": ("(202) 555-0188", True)})
        slug, samira_code = conference.slug, display(samira.badge_code)

    # Join: the skip link comes first, then every field by Tab; typing, a select, a chip with Space.
    page.goto(f"{base}/{slug}/join")
    page.keyboard.press("Tab")
    state = assert_focus_visible(page, "first Tab on the join page")
    assert state["text"] == "Skip to content"
    tab_to(page, "el.id === 'name'", "join: Name")
    page.keyboard.type("Dana Whitfield")
    tab_to(page, "el.id === 'email'", "join: Email")
    page.keyboard.type("dana@school.example.org")
    tab_to(page, "el.id === 'role'", "join: Role")
    page.keyboard.type("Assistant")
    expect(page.locator("#role")).to_have_value("assistant_principal")
    tab_to(page, "el.id === 'school'", "join: School")
    page.keyboard.type("Riverbend K-8")
    tab_to(page, "el.tagName === 'SUMMARY'", "join: Add more now")
    page.keyboard.press("Enter")
    expect(page.locator("#more")).to_have_attribute("open", "")
    tab_to(page, "el.id === 'state'", "join: State")
    page.keyboard.type("Virginia")
    tab_to(page, "el.type === 'checkbox' && el.closest('label').textContent.includes('Help others with Literacy')",
           "join: the Literacy 'Help' chip")
    page.keyboard.press("Space")
    expect(page.get_by_label("Help others with Literacy")).to_be_checked()
    tab_to(page, by_text("Join and show my badge"), "join: the Join button")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/me/badge"))
    expect(page.get_by_role("heading", name="Dana Whitfield", exact=True)).to_be_visible()

    # Badge → type a code → the card.
    tab_to(page, by_text("Type someone's code"), "badge: the link to type a code")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/code"))
    tab_to(page, "el.id === 'code'", "code: the code field")
    page.keyboard.type(samira_code.lower().replace("-", " "))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(f"/c/{samira_code}")))
    expect(page.get_by_role("heading", name="Samira Okafor", exact=True)).to_be_visible()

    # Save with a note: an htmx swap of the form; focus lands on the announcement inside it.
    tab_to(page, "el.id === 'note'", "card: Note")
    page.keyboard.type("Master schedule template; she'll send it.")
    tab_to(page, "el.id === 'tags'", "card: Tags")
    page.keyboard.type("scheduling")
    tab_to(page, by_text("Save contact"), "card: Save contact")
    with page.expect_response(lambda r: r.url.endswith("/save")) as saving:
        page.keyboard.press("Enter")
    assert saving.value.status == 200 and saving.value.request.headers.get("hx-request") == "true"
    status = page.locator("#save-form [role=status]")
    expect(status).to_contain_text("Saved Samira Okafor to your contacts.")
    page.wait_for_function("() => !!document.activeElement && !!document.activeElement.closest('#save-form')")
    assert focus_is_inside(page, "#save-form"), "focus was lost after the htmx save"
    with live_app.app_context():
        dana = db.session.scalar(select(Attendee).where(Attendee.email == "dana@school.example.org"))
        saved = db.session.scalars(select(Connection).where(Connection.owner_id == dana.id)).one()
        assert saved.note == "Master schedule template; she'll send it." and saved.tags == "scheduling"
        connection_id = saved.id

    # Contacts, from the tab bar; active search keeps focus in the search field and announces the count.
    tab_to(page, "el.closest('.tabbar') && " + by_text("Contacts"), "the Contacts tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/me/contacts$"))
    assert page.locator("#contact-list").get_attribute("aria-live") == "polite"
    tab_to(page, "el.id === 'q'", "contacts: Search")
    with page.expect_response(lambda r: "q=template" in r.url):
        page.keyboard.type("template", delay=20)
    expect(page.locator("#contact-list .count")).to_have_text("1 contact found")
    assert page.evaluate("document.activeElement.id") == "q", "active search moved focus out of the field"
    tab_to(page, "el.matches('#contact-list a') && el.innerText.includes('Samira Okafor')", "contacts: Samira")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/me/contacts/{connection_id}$"))

    # Edit the note in place: focus goes into the form, and back to the note after saving.
    tab_to(page, "el.id === 'edit-note'", "contact: Edit note")
    page.keyboard.press("Enter")
    expect(page.locator("#note-block textarea")).to_be_visible()
    page.wait_for_function("() => !!document.activeElement && !!document.activeElement.closest('#note-block')")
    assert page.evaluate("document.activeElement.id") == "note", "focus did not move into the note form"
    assert_focus_visible(page, "the note field after Edit note")
    page.keyboard.press("End")
    page.keyboard.type(" Call in August.")
    tab_to(page, by_text("Save note"), "contact: Save note")
    with page.expect_response(lambda r: r.url.endswith("/note") and r.request.method == "POST"):
        page.keyboard.press("Enter")
    expect(page.locator("#note-block .note-text")).to_contain_text("Call in August.")
    page.wait_for_function("() => !!document.activeElement && !!document.activeElement.closest('#note-block')")
    assert_focus_visible(page, "after saving the note")
    assert page.locator("#note-block").get_attribute("aria-live") == "polite"

    # The vCard, with Enter on the link.
    tab_to(page, by_text("Add to my phone (vCard)"), "contact: vCard")
    with page.expect_download() as downloading:
        page.keyboard.press("Enter")
    assert downloading.value.suggested_filename == "samira-okafor.vcf"
    assert "FN:Samira Okafor" in open(downloading.value.path(), encoding="utf-8").read()


def test_a_form_error_after_an_htmx_save_takes_focus_to_the_error_summary(live_app, live_server, keyboard_page):
    page, base = keyboard_page, live_server.url
    with live_app.app_context():
        conference = make_conference()
        me = make_attendee(conference, name="Dana Whitfield")
        other = make_attendee(conference, name="Samira Okafor")
        code = display(other.badge_code)
        from tests.pages import session_cookie
        cookie = session_cookie(live_app, type("W", (), {"me_id": me.id})(), "attendee")
    page.context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": base}])
    page.goto(f"{base}/c/{code}")
    page.locator("#note").evaluate("el => el.removeAttribute('maxlength')")  # as an old browser would
    tab_to(page, "el.id === 'note'", "card: Note")
    page.keyboard.insert_text("x" * 2100)  # over the 2,000 characters a note may have
    tab_to(page, by_text("Save contact"), "card: Save contact")
    with page.expect_response(lambda r: r.url.endswith("/save")) as saving:
        page.keyboard.press("Enter")
    assert saving.value.status == 422
    expect(page.locator("#save-form .error-summary")).to_be_visible()
    page.wait_for_function("() => !!document.activeElement && !!document.activeElement.closest('#save-form')")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.locator("#note").input_value() == "x" * 2100  # nothing typed is lost


def test_reduced_motion_turns_off_animations_and_transitions(live_app, live_server, browser):
    with live_app.app_context():
        conference = make_conference()
        me = make_attendee(conference)
        from tests.pages import session_cookie
        cookie = session_cookie(live_app, type("W", (), {"me_id": me.id})(), "attendee")
    context = browser.new_context(viewport=KEYBOARD_PHONE, reduced_motion="reduce", service_workers="block")
    context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": live_server.url}])
    page = context.new_page()
    try:
        for path in ("/me/badge", "/scan", "/me/contacts", "/code", "/me"):
            page.goto(live_server.url + path)
            moving = page.evaluate("""() => [...document.querySelectorAll('*')].map(el => {
                const s = getComputedStyle(el);
                const secs = v => Math.max(...v.split(',').map(parseFloat));
                return (s.animationName !== 'none' && secs(s.animationDuration) > 0.01) ||
                       secs(s.transitionDuration) > 0.01 ? el.tagName + '.' + el.className : null;
            }).filter(Boolean)""")
            assert not moving, f"{path} still animates with prefers-reduced-motion: {moving[:5]}"
    finally:
        context.close()


def test_the_scanners_buttons_have_names_a_screen_reader_reads(live_app, live_server, browser):
    with live_app.app_context():
        me = make_attendee(make_conference())
        from tests.pages import session_cookie
        cookie = session_cookie(live_app, type("W", (), {"me_id": me.id})(), "attendee")
    context = browser.new_context(viewport=KEYBOARD_PHONE, service_workers="block")
    context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/scan")
        for name in ("Switch camera", "Torch"):
            button = page.get_by_role("button", name=name, include_hidden=True)
            expect(button).to_have_count(1)
        expect(page.get_by_role("link", name="Type a code", include_hidden=True)).to_have_count(1)
        expect(page.locator("#scanner-status")).to_have_attribute("aria-live", "polite")
    finally:
        context.close()
