"""The attendee loop in real Chromium on a 390 px phone: join, badge, scan link, save, find, take home."""
from __future__ import annotations

import re

import vobject
from playwright.sync_api import expect
from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.contacts.operations import save_contact
from conference.extensions import db
from tests.factories import make_attendee, make_conference

NOTE = "Talked master schedules, block periods, and coverage; she'll send her template.\nCall her before August."


def assert_no_sideways_scroll(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{what} scrolls sideways: {width}px wide in a 390px viewport"


def test_join_badge_scan_save_find_and_download(live_app, live_server, phone, tmp_path):
    base = live_server.url
    with live_app.app_context():
        conference = make_conference(name="Pre-K–8 Principals Conference")
        samira = make_attendee(conference, name="Samira Okafor", school="Hillcrest Elementary", state="VA",
                               offers=("Scheduling",), seeks=("Literacy", "Math"),
                               channels={"phone": ("(202) 555-0188", True), "x": ("@samira_leads", True)})
        slug, samira_code, samira_id = conference.slug, display(samira.badge_code), samira.id

    page = phone.new_page()

    # Join, as a person on a phone would.
    page.goto(f"{base}/{slug}/join")
    expect(page.get_by_role("heading", name="Join and get your badge")).to_be_visible()
    assert_no_sideways_scroll(page, "join page")
    about = page.locator("section").filter(has=page.get_by_role("heading", name="About you"))
    about.get_by_label("Name", exact=True).fill("Dana Whitfield")
    about.get_by_label("Email", exact=True).fill("dana.whitfield@school.example.org")
    page.get_by_label("Role", exact=True).select_option(label="Assistant principal")
    page.get_by_label("School", exact=True).fill("Riverbend K-8")
    page.get_by_text("Add more now").tap()  # the rest of the profile, on the same page
    page.get_by_label("District").fill("Tidewater Public Schools")
    page.locator("#state").select_option(label="Virginia")
    page.get_by_label("Grade band").select_option(label="Pre-K–8 / K–8")
    for chip in ("Seek help with Scheduling", "Help others with Literacy", "Help others with Equity"):
        page.get_by_label(chip).tap()
        expect(page.get_by_label(chip)).to_be_checked()
    page.get_by_label("Mobile phone").fill("(757) 555-0142")
    page.screenshot(path=str(tmp_path / "join.png"), full_page=True)
    page.get_by_role("button", name="Join and show my badge").tap()

    # The badge: a big QR and the code to type.
    expect(page).to_have_url(re.compile(r"/me/badge"))
    expect(page.get_by_role("heading", name="Dana Whitfield", exact=True)).to_be_visible()
    qr = page.locator("figure.qr svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 300
    with live_app.app_context():
        dana = db.session.scalar(select(Attendee).where(Attendee.email == "dana.whitfield@school.example.org"))
        dana_code, dana_id = display(dana.badge_code), dana.id
        assert dana.role == "assistant_principal" and dana.state == "VA" and dana.grade_band == "prek8"
        assert set(dana.seeks.values()) == {"Scheduling"}
        assert set(dana.offers.values()) == {"Literacy", "Equity"}
        assert dana.channel("phone").value == "+17575550142"
    expect(page.locator(".badge-code")).to_have_text(dana_code)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", dana_code)
    assert_no_sideways_scroll(page, "badge page")
    page.screenshot(path=str(tmp_path / "badge.png"), full_page=True)

    # Someone else Dana already saved, so the search below has something to leave out.
    with live_app.app_context():
        other = make_attendee(db.session.get(Attendee, dana_id).conference, name="Marcus Bell", school="Oak Park Middle")
        save_contact(db.session.get(Attendee, dana_id), other, note="Budget and operations, staffing formulas")
        db.session.commit()

    # Samira's badge, opened cold as the phone's camera app would.
    page.goto(f"{base}/c/{samira_code}")
    expect(page.get_by_role("heading", name="Samira Okafor", exact=True)).to_be_visible()
    shared = page.locator(".chips li.shared")
    expect(shared).to_have_count(2)
    expect(shared.filter(has_text="Scheduling")).to_have_count(1)
    expect(shared.filter(has_text="Literacy")).to_have_count(1)
    expect(page.locator(".chips li").filter(has_text="Math")).not_to_have_class(re.compile(r"\bshared\b"))
    expect(page.get_by_text("Can help with Scheduling")).to_be_visible()
    expect(page.get_by_text("Is looking for Literacy")).to_be_visible()
    expect(page.get_by_role("link", name="(202) 555-0188")).to_be_visible()
    expect(page.get_by_role("link", name="@samira_leads")).to_be_visible()
    assert_no_sideways_scroll(page, "card page")
    page.screenshot(path=str(tmp_path / "card.png"), full_page=True)

    page.get_by_label("Note").fill(NOTE)
    page.get_by_label("Tags").fill("Scheduling, mentor")
    with page.expect_response(lambda r: r.url.endswith("/save") and r.request.method == "POST") as saving:
        page.get_by_role("button", name="Save contact").tap()
    response = saving.value
    assert response.request.headers.get("hx-request") == "true"
    assert response.status == 200  # an htmx fragment, not a redirect to a whole page
    expect(page.get_by_role("status")).to_contain_text("Saved Samira Okafor to your contacts.")
    expect(page.get_by_role("button", name="Update contact")).to_be_visible()
    assert page.url == f"{base}/c/{samira_code}"
    assert_no_sideways_scroll(page, "card page after saving")
    page.screenshot(path=str(tmp_path / "saved.png"), full_page=True)
    with live_app.app_context():
        rows = db.session.scalars(select(Connection).where(Connection.owner_id == dana_id)).all()
        saved = {c.contact_id: c for c in rows}
        assert len(rows) == 2
        assert saved[samira_id].note == NOTE and saved[samira_id].tags == "scheduling,mentor"

    # Contacts: newest first, then active search finds Samira by a word from the note.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").tap()
    expect(page).to_have_url(re.compile(r"/me/contacts$"))
    names = page.locator(".contact-list .contact-name")
    expect(names).to_have_text(["Samira Okafor", "Marcus Bell"])
    assert_no_sideways_scroll(page, "contacts page")
    with page.expect_request(lambda r: "/me/contacts?" in r.url and "q=template" in r.url) as searching:
        page.get_by_label("Search").press_sequentially("template", delay=30)
    assert searching.value.headers.get("hx-request") == "true"
    expect(names).to_have_text(["Samira Okafor"])
    expect(page.get_by_text("1 contact found")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=template"))
    page.screenshot(path=str(tmp_path / "contacts.png"), full_page=True)

    # One contact: the note as typed, then the vCard.
    page.get_by_role("link", name=re.compile("Samira Okafor")).tap()
    expect(page.get_by_role("heading", name="Samira Okafor", exact=True)).to_be_visible()
    note_text = page.locator(".note-text")
    expect(note_text).to_contain_text("she'll send her template.")
    assert note_text.inner_text().strip() == NOTE  # the line break shows as typed
    assert_no_sideways_scroll(page, "contact page")
    page.screenshot(path=str(tmp_path / "contact.png"), full_page=True)
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Add to my phone (vCard)").tap()
    download = downloading.value
    assert download.suggested_filename == "samira-okafor.vcf"
    card = vobject.readOne(open(download.path(), encoding="utf-8").read())
    assert card.fn.value == "Samira Okafor"
    assert card.n.value.given == "Samira" and card.n.value.family == "Okafor"
    assert card.org.value == ["Hillcrest Elementary"]
    assert card.tel.value == "+12025550188"
    note = card.note.value
    assert note.startswith(NOTE + "\n\n")
    assert "Shared interests: Scheduling, Literacy" in note
    assert "Met at Pre-K–8 Principals Conference, " in note
    assert card.categories.value == ["Pre-K–8 Principals Conference", "scheduling", "mentor"]
    assert "email" not in card.contents  # Samira did not share it
    assert dana_code not in open(download.path(), encoding="utf-8").read()
