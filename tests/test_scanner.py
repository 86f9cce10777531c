"""The scanner's routes without a browser: the card after a scan, saving, and the offline sync endpoint."""
from __future__ import annotations

import re
import struct
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.contacts.operations import save_contact
from conference.extensions import db
from conference.privacy.operations import delete_account
from conference.scanner.models import ScanReceipt
from conference.scanner.operations import MAX_BATCH
from tests.conftest import ON_POSTGRES
from tests.factories import make_attendee, make_conference, sign_in_as

STATIC = Path(__file__).resolve().parent.parent / "static"


def badge_link(person) -> str:
    return f"https://pln.example.org/c/{display(person.badge_code)}"


def scan(person_or_text, note: str = "", **extra) -> dict:
    text = person_or_text if isinstance(person_or_text, str) else badge_link(person_or_text)
    return {"uuid": str(uuid.uuid4()), "text": text, "note": note, **extra}


def connections(owner) -> dict[int, Connection]:
    db.session.expire_all()
    return {c.contact_id: c for c in db.session.scalars(select(Connection).where(Connection.owner_id == owner.id))}


def receipts() -> int:
    return db.session.scalar(select(func.count()).select_from(ScanReceipt))


@pytest.fixture
def people(app):
    conference = make_conference()
    ana = make_attendee(conference, name="Ana Ruiz", offers=("Literacy",), seeks=("Scheduling",))
    bea = make_attendee(conference, name="Bea Chen", offers=("Scheduling",), school="Maple Grove K–8")
    cal = make_attendee(conference, name="Cal Okafor")
    return ana, bea, cal


# ---- the page and the card ---------------------------------------------------------------


def test_scan_page_needs_sign_in(client, people):
    response = client.get("/scan")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


def test_scanner_library_loads_on_the_scan_page_only(client, people):
    ana = people[0]
    sign_in_as(client, ana)
    page = client.get("/scan")
    assert page.status_code == 200
    assert "qr-scanner.umd.min.js" in page.text and "scanner.js" in page.text
    assert 'name="csrf-token"' in page.text
    assert f'data-attendee="{ana.id}"' in page.text
    assert "https://pln.example.org" in page.text  # badge links on the public address are accepted
    assert 'id="code-form"' in page.text and 'action="/scan/card"' in page.text  # works without JavaScript
    for other in ("/me/badge", "/me/contacts", "/me"):
        response = client.get(other)
        assert response.status_code == 200, other
        assert "qr-scanner" not in response.text and "scanner.js" not in response.text, other
        assert "pwa.js" in response.text and 'rel="manifest"' in response.text, other


def test_scan_tab_opens_the_scanner_with_a_full_page_load(client, people):
    sign_in_as(client, people[0])
    page = client.get("/me/badge")
    assert re.search(r'<a href="/scan" data-hx-boost="false"', page.text)


def test_card_fragment_for_a_scanned_badge_link(client, people):
    ana, bea, _ = people
    sign_in_as(client, ana)
    response = client.get("/scan/card", query_string={"code": badge_link(bea)}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="scan-card"')
    assert 'data-outcome="card"' in response.text
    assert "Bea Chen" in response.text and "Maple Grove K–8" in response.text
    assert "Can help with Scheduling</strong>, which you are looking for" in response.text
    assert "Save contact" in response.text
    assert re.search(r'name="uuid"[^>]*value="[0-9a-f-]{36}"', response.text)
    assert "<html" not in response.text


def test_card_for_a_typed_code_without_javascript_is_a_page(client, people):
    ana, bea, _ = people
    sign_in_as(client, ana)
    typed = display(bea.badge_code).lower().replace("-", " ")
    response = client.get("/scan/card", query_string={"code": typed})
    assert response.status_code == 200
    assert "<html" in response.text and "Bea Chen" in response.text
    assert 'action="/scan/save"' in response.text


@pytest.mark.parametrize("typed,status,message", [
    ("ABCD", 422, "has 12 characters"),
    ("https://example.com", 422, "contains"),
    ("7KQ2-XM4P-9BDA", 404, "No badge has the code 7KQ2-XM4P-9BDA"),
])
def test_card_says_why_a_code_is_not_a_badge(client, people, typed, status, message):
    sign_in_as(client, people[0])
    fragment = client.get("/scan/card", query_string={"code": typed}, headers={"HX-Request": "true"})
    assert fragment.status_code == status
    assert message in fragment.text and 'data-outcome="card"' not in fragment.text
    page = client.get("/scan/card", query_string={"code": typed})
    assert page.status_code == status
    assert message in page.text
    assert f'value="{typed}"' in page.text  # what was typed is kept


def test_card_refuses_own_badge_and_other_conferences(client, people):
    ana = people[0]
    other = make_attendee(make_conference(name="Middle Level Leaders"), name="Dee Other")
    sign_in_as(client, ana)
    own = client.get("/scan/card", query_string={"code": badge_link(ana)}, headers={"HX-Request": "true"})
    assert own.status_code == 409 and "your own badge" in own.text
    elsewhere = client.get("/scan/card", query_string={"code": badge_link(other)}, headers={"HX-Request": "true"})
    assert elsewhere.status_code == 409 and "another conference" in elsewhere.text
    assert "Middle Level Leaders" not in elsewhere.text and "Dee Other" not in elsewhere.text


# ---- saving without JavaScript ---------------------------------------------------------------


def test_save_without_javascript_saves_once_per_card(client, people):
    ana, bea, _ = people
    sign_in_as(client, ana)
    form = {"code": badge_link(bea), "uuid": str(uuid.uuid4()), "note": "Block schedules"}
    response = client.post("/scan/save", data=form)
    assert response.status_code == 303
    connection = connections(ana)[bea.id]
    assert response.headers["Location"] == f"/scan?saved={connection.id}"
    assert connection.note == "Block schedules"
    again = client.post("/scan/save", data=form)  # the same card sent twice
    assert again.status_code == 303
    assert connections(ana)[bea.id].note == "Block schedules"
    page = client.get(again.headers["Location"])
    assert "Saved Bea Chen to your contacts" in page.text


def test_save_keeps_a_too_long_note_and_says_why(client, people):
    ana, bea, _ = people
    sign_in_as(client, ana)
    note = "x" * 2001
    response = client.post("/scan/save", data={"code": display(bea.badge_code), "uuid": str(uuid.uuid4()),
                                               "note": note})
    assert response.status_code == 422
    assert "at most 2,000 characters" in response.text
    assert note in response.text
    assert connections(ana) == {}


def test_save_of_an_unknown_code_saves_nothing(client, people):
    sign_in_as(client, people[0])
    response = client.post("/scan/save", data={"code": "7KQ2-XM4P-9BDA", "uuid": str(uuid.uuid4()), "note": "x"})
    assert response.status_code == 404
    assert "No badge has the code" in response.text
    assert connections(people[0]) == {}


# ---- the sync endpoint ---------------------------------------------------------------------


def sync(client, scans, **extra):
    return client.post("/scan/sync", json={"scans": scans, **extra})


def test_sync_saves_each_person_once_and_keeps_every_note(client, people):
    ana, bea, cal = people
    sign_in_as(client, ana)
    batch = [scan(bea, "Scheduling templates"), scan(display(cal.badge_code).lower(), "Voxer group"),
             scan(bea, "She'll email the master schedule"), scan("7KQ2-XM4P-9BDA", "Who was this?")]
    response = sync(client, batch, attendee=ana.id)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["saved", "saved", "saved", "unknown"]
    assert [r["uuid"] for r in results] == [s["uuid"] for s in batch]
    assert results[0]["name"] == "Bea Chen" and results[1]["name"] == "Cal Okafor"
    assert "7KQ2-XM4P-9BDA" in results[3]["message"]
    assert response.get_json()["saved"] == 3
    saved = connections(ana)
    assert set(saved) == {bea.id, cal.id}
    assert saved[bea.id].note == "Scheduling templates\n\nShe'll email the master schedule"
    assert saved[cal.id].note == "Voxer group"
    assert results[0]["connection_id"] == saved[bea.id].id


def test_the_same_batch_twice_saves_nothing_new(client, people):
    ana, bea, cal = people
    sign_in_as(client, ana)
    batch = [scan(bea, "First chat"), scan(cal, ""), scan(bea, "Second chat")]
    assert sync(client, batch).status_code == 200
    before = {k: v.note for k, v in connections(ana).items()}
    count = receipts()
    again = sync(client, batch)
    assert again.status_code == 200
    assert [r["status"] for r in again.get_json()["results"]] == ["duplicate"] * 3
    assert again.get_json()["saved"] == 0
    assert {r["name"] for r in again.get_json()["results"]} == {"Bea Chen", "Cal Okafor"}
    assert {k: v.note for k, v in connections(ana).items()} == before
    assert receipts() == count == 3


@pytest.mark.skipif(not ON_POSTGRES, reason="two transactions at once need PostgreSQL")
def test_the_same_batch_sent_twice_at_the_same_moment_saves_once(app, people):
    ana, bea, cal = people
    others = [make_attendee(bea.conference) for _ in range(30)]
    batch = [scan(person, f"Note {n}") for n, person in enumerate(others)] + [scan(bea, "One"), scan(bea, "Two")]
    ana_id = ana.id
    start = threading.Barrier(2)

    def send(_):
        client = app.test_client()
        sign_in_as(client, type("Signed", (), {"id": ana_id})())
        start.wait()
        return client.post("/scan/sync", json={"scans": batch}).get_json()["results"]

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(send, range(2))
    for mine, theirs in zip(first, second):
        assert sorted([mine["status"], theirs["status"]]) == ["duplicate", "saved"], (mine, theirs)
    saved = connections(ana)
    assert len(saved) == 31
    assert saved[bea.id].note == "One\n\nTwo"
    assert receipts() == 32


def test_a_uuid_repeated_inside_one_batch_saves_once(client, people):
    ana, bea, _ = people
    sign_in_as(client, ana)
    one = scan(bea, "Only once")
    results = sync(client, [one, dict(one)]).get_json()["results"]
    assert [r["status"] for r in results] == ["saved", "duplicate"]
    assert connections(ana)[bea.id].note == "Only once"


def test_sync_adds_to_a_note_saved_before(client, people):
    ana, bea, _ = people
    save_contact(ana, bea, note="Met at the keynote", tags="mentor")
    db.session.commit()
    sign_in_as(client, ana)
    assert sync(client, [scan(bea, "Lunch: budget ideas")]).get_json()["results"][0]["status"] == "saved"
    connection = connections(ana)[bea.id]
    assert connection.note == "Met at the keynote\n\nLunch: budget ideas"
    assert connection.tags == "mentor"


def test_sync_uses_a_plausible_phone_time_for_a_new_contact(client, people):
    ana, bea, cal = people
    sign_in_as(client, ana)
    two_hours_ago = datetime.now(timezone.utc) - timedelta(hours=2)
    sync(client, [scan(bea, scanned_at=int(two_hours_ago.timestamp() * 1000)),
                  scan(cal, scanned_at=int((time.time() + 86400 * 365) * 1000))])
    saved = connections(ana)
    assert abs(saved[bea.id].created_at - two_hours_ago.replace(tzinfo=None)) < timedelta(seconds=2)
    assert abs(saved[cal.id].created_at - datetime.now(timezone.utc).replace(tzinfo=None)) < timedelta(minutes=1)


@pytest.mark.parametrize("item,reason", [
    ("not an object", "must be an object"),
    ({"text": "x", "note": ""}, "no valid uuid"),
    ({"uuid": "not-a-uuid", "text": "x"}, "no valid uuid"),
    ({"uuid": str(uuid.uuid4())}, "no badge code"),
    ({"uuid": str(uuid.uuid4()), "text": "   "}, "no badge code"),
    ({"uuid": str(uuid.uuid4()), "text": 12345}, "no badge code"),
    ({"uuid": str(uuid.uuid4()), "text": "x" * 501}, "far too long"),
    ({"uuid": str(uuid.uuid4()), "text": "https://example.com"}, "Not a badge code"),
    ({"uuid": str(uuid.uuid4()), "text": "hello", "note": ["a"]}, "must be text"),
])
def test_malformed_items_are_refused_one_by_one_and_the_good_ones_saved(client, people, item, reason):
    ana, bea, _ = people
    sign_in_as(client, ana)
    good = scan(bea, "Good one")
    response = sync(client, [item, good])
    assert response.status_code == 200
    bad, ok = response.get_json()["results"]
    assert bad["status"] == "malformed" and reason in bad["message"]
    assert ok["status"] == "saved"
    assert set(connections(ana)) == {bea.id}


def test_a_too_long_note_is_refused_with_its_reason(client, people):
    ana, bea, _ = people
    sign_in_as(client, ana)
    result = sync(client, [scan(bea, "n" * 2001)]).get_json()["results"][0]
    assert result["status"] == "malformed" and "at most 2,000 characters" in result["message"]
    assert connections(ana) == {} and receipts() == 0


def test_own_badge_and_other_conferences_are_refused(client, people):
    ana, bea, _ = people
    other = make_attendee(make_conference(), name="Dee Other")
    sign_in_as(client, ana)
    results = sync(client, [scan(ana, "me"), scan(other, "elsewhere"), scan(bea)]).get_json()["results"]
    assert [r["status"] for r in results] == ["refused", "refused", "saved"]
    assert "own badge" in results[0]["message"] and "another conference" in results[1]["message"]
    assert set(connections(ana)) == {bea.id}


def test_a_deleted_accounts_badge_says_so(client, people):
    ana, bea, cal = people
    code = display(cal.badge_code)
    delete_account(cal)
    db.session.commit()
    sign_in_as(client, ana)
    card = client.get("/scan/card", query_string={"code": code}, headers={"HX-Request": "true"})
    assert card.status_code == 410 and "was removed" in card.text
    result = sync(client, [scan(f"https://pln.example.org/c/{code}", "Lost?")]).get_json()["results"][0]
    assert result["status"] == "unknown" and "was removed" in result["message"]


def test_after_closing_notes_still_sync_but_nobody_new_is_saved(client, people):
    ana, bea, cal = people
    save_contact(ana, bea, note="Before closing")
    conference = ana.conference
    conference.closes_on = date.today() - timedelta(days=2)
    db.session.commit()
    sign_in_as(client, ana)
    results = sync(client, [scan(bea, "Follow-up idea"), scan(cal, "Too late")]).get_json()["results"]
    assert [r["status"] for r in results] == ["saved", "refused"]
    assert "closed on" in results[1]["message"]
    saved = connections(ana)
    assert set(saved) == {bea.id} and saved[bea.id].note == "Before closing\n\nFollow-up idea"
    refused = client.post("/scan/save", data={"code": display(cal.badge_code), "uuid": str(uuid.uuid4()), "note": "x"})
    assert refused.status_code == 422 and "closed on" in refused.text


@pytest.mark.parametrize("body,content_type", [
    ("{not json", "application/json"),
    ('["a", "list"]', "application/json"),
    ('{"scans": "nope"}', "application/json"),
    ('{"items": []}', "application/json"),
    ("scans=1", "application/x-www-form-urlencoded"),
])
def test_bad_json_is_refused_with_a_reason(client, people, body, content_type):
    sign_in_as(client, people[0])
    response = client.post("/scan/sync", data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
    assert receipts() == 0


def test_too_many_scans_in_one_batch_are_refused_whole(client, people):
    ana, bea, _ = people
    sign_in_as(client, ana)
    response = sync(client, [scan(bea) for _ in range(MAX_BATCH + 1)])
    assert response.status_code == 413
    assert response.get_json()["limit"] == MAX_BATCH == 500
    assert connections(ana) == {}
    assert sync(client, [scan(bea) for _ in range(3)]).status_code == 200


def test_sync_needs_a_signed_in_session(client, people):
    response = sync(client, [scan(people[1])])
    assert response.status_code == 401
    assert response.get_json()["error"] == "signed_out"
    assert receipts() == 0


def test_scans_made_by_another_attendee_are_not_saved_to_this_one(client, people):
    ana, bea, cal = people
    batch = [scan(cal, "Ana met Cal")]
    sign_in_as(client, bea)  # Bea is signed in now; the queue holds Ana's scans
    response = sync(client, batch, attendee=ana.id)
    assert response.status_code == 403
    assert response.get_json()["error"] == "other_attendee"
    assert connections(bea) == {} and connections(ana) == {}
    # Once Ana signs in again, her scans are saved, to her.
    sign_in_as(client, ana)
    assert sync(client, batch, attendee=ana.id).get_json()["results"][0]["status"] == "saved"
    assert set(connections(ana)) == {cal.id} and connections(bea) == {}


def test_client_uuids_are_per_attendee(client, people):
    ana, bea, cal = people
    shared = scan(cal, "Same uuid, other phone")
    sign_in_as(client, ana)
    assert sync(client, [shared]).get_json()["results"][0]["status"] == "saved"
    sign_in_as(client, bea)
    assert sync(client, [shared]).get_json()["results"][0]["status"] == "saved"
    assert set(connections(ana)) == {cal.id} and set(connections(bea)) == {cal.id}


def test_sync_without_csrf_token_is_refused(client, app, people):
    ana, bea, _ = people
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in_as(client, ana)
    refused = sync(client, [scan(bea)])
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf"
    assert receipts() == 0
    page = client.get("/scan")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
    accepted = client.post("/scan/sync", json={"scans": [scan(bea)]}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    fresh = client.get("/scan/token").get_json()["csrf_token"]
    assert client.post("/scan/sync", json={"scans": []}, headers={"X-CSRFToken": fresh}).status_code == 200


def test_the_fault_switch_works_only_in_tests(client, app, people):
    ana, bea, _ = people
    sign_in_as(client, ana)
    app.config["SCANNER_FAIL_NEXT_SYNCS"] = 1
    batch = [scan(bea, "Retry me")]
    assert sync(client, batch).status_code == 503
    assert connections(ana) == {}
    assert sync(client, batch).get_json()["results"][0]["status"] == "saved"
    app.config.update(TESTING=False, SCANNER_FAIL_NEXT_SYNCS=5)
    try:
        assert sync(client, [scan(bea)]).status_code == 200
    finally:
        app.config["TESTING"] = True


def test_the_database_refuses_a_second_receipt_for_one_uuid(app, people):
    ana, bea, _ = people
    same = uuid.uuid4()
    db.session.add(ScanReceipt(owner_id=ana.id, client_uuid=same, contact_id=bea.id))
    db.session.commit()
    db.session.add(ScanReceipt(owner_id=ana.id, client_uuid=same, contact_id=bea.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# ---- installable -------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_is_installable_and_starts_at_the_badge(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["start_url"] == "/me/badge"
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"] == "#0b4f8a"
    assert manifest["display"] == "standalone"
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= set(icons)
    for (sizes, _), src in icons.items():
        fetched = client.get(src)
        assert fetched.status_code == 200 and fetched.mimetype == "image/png"
        size = int(sizes.split("x")[0])
        assert png_size(STATIC / src.split("?")[0].removeprefix("/static/")) == (size, size)


def test_service_worker_is_served_from_the_root_and_never_cached_long(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "__" not in re.sub(r"/\*.*?\*/", "", response.text, flags=re.S)  # every placeholder filled
    assert 'var PAGES = ["/scan", "/me/badge", "/me/contacts"' in response.text
    assert ('"/me/meetings"' in response.text) == ("meetings.schedule" in client.application.view_functions)
    assert "qr-scanner-worker.min.js" in response.text
    assert client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
