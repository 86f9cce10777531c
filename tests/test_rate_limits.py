"""Rate limits (Flask-Limiter): guessing badge codes is stopped early, real use never is."""
import secrets

import pytest
from sqlalchemy import func, select

from conference import create_app
from conference.attendees.models import Attendee
from conference.badges.codes import ALPHABET, display
from conference.extensions import db, limiter
from tests.conftest import ON_POSTGRES, empty_database, test_config
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.test_join import join_form


@pytest.fixture
def app(tmp_path, _schema):
    """The app with rate limiting on (tests/conftest.py turns it off everywhere else)."""
    app = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True))
    with app.app_context():
        if not ON_POSTGRES:
            db.create_all()
        yield app
        empty_database()
        db.session.remove()
        db.engine.dispose()


def random_code() -> str:
    return display("".join(secrets.choice(ALPHABET) for _ in range(12)))


def tries_until_refused(get, limit=1000) -> int:
    """How many requests `get(i)` makes before the first 429 (or `limit` + 1 if none)."""
    for attempt in range(1, limit + 1):
        if get(attempt).status_code == 429:
            return attempt
    return limit + 1


def test_a_loop_of_random_codes_from_one_session_is_stopped_early(client, app):
    me = make_attendee(make_conference())
    sign_in_as(client, me)
    attempt = tries_until_refused(lambda _: client.get(f"/c/{random_code()}"))
    assert attempt <= 11  # 10 misses a minute, then 429


def test_a_signed_out_loop_from_one_address_is_stopped_well_before_1000(client, app):
    attempt = tries_until_refused(lambda _: client.get(f"/c/{random_code()}"))
    assert attempt <= 101
    other_address = app.test_client()
    response = other_address.get(f"/c/{random_code()}", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 404  # another address is not blocked


def test_typed_and_scanned_lookups_share_one_count(client, app):
    me = make_attendee(make_conference())
    sign_in_as(client, me)
    for n in range(5):
        assert client.get(f"/c/{random_code()}").status_code == 404
        assert client.get("/code", query_string={"code": f"bad code {n}"}).status_code == 422
    assert client.get("/code", query_string={"code": random_code()}).status_code == 429
    assert client.get(f"/c/{random_code()}").status_code == 429


def test_a_person_scanning_a_hundred_badges_is_never_limited(client, app):
    conference = make_conference()
    me = make_attendee(conference)
    people = [make_attendee(conference) for _ in range(100)]
    sign_in_as(client, me)
    for n, person in enumerate(people):
        assert client.get(f"/c/{display(person.badge_code)}").status_code == 200, n
        if n % 25 == 0:  # and a few typos along the way
            assert client.get("/code", query_string={"code": display(person.badge_code)[:-1]}).status_code == 422
        if n % 10 == 0:  # typing a code goes to the card too
            assert client.get("/code", query_string={"code": person.badge_code.lower()}).status_code == 303


def test_the_429_page_is_readable_and_says_when_to_retry(client, app):
    me = make_attendee(make_conference())
    sign_in_as(client, me)
    tries_until_refused(lambda _: client.get(f"/c/{random_code()}"))
    refused = client.get(f"/c/{display(me.badge_code)}")  # even a real code, while refused
    assert refused.status_code == 429
    assert "Too many tries in a short time" in refused.text and "wait a minute" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert "Content-Security-Policy" in refused.headers


def test_one_person_guessing_does_not_block_others_on_the_same_wifi(client, app):
    conference = make_conference()
    guesser, neighbour, them = (make_attendee(conference) for _ in range(3))
    sign_in_as(client, guesser)
    tries_until_refused(lambda _: client.get(f"/c/{random_code()}"))
    other = app.test_client()
    sign_in_as(other, neighbour)
    assert other.get(f"/c/{display(them.badge_code)}").status_code == 200
    assert other.get(f"/c/{random_code()}").status_code == 404


def test_sign_in_emails_are_limited_per_address_without_revealing_anything(client, app, outbox):
    make_attendee(make_conference(), email="known@school.example.org")
    for email in ("known@school.example.org", "unknown@school.example.org"):
        statuses = [client.post("/signin", data={"email": email}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429], email  # the same for a registered and an unknown address
    assert len(outbox()) == 3
    assert client.post("/signin", data={"email": "KNOWN@school.example.org "}).status_code == 429
    assert client.get("/signin").status_code == 200  # the page itself is never limited
    assert client.post("/signin", data={"email": "third@school.example.org"}).status_code == 200


def test_sign_in_emails_are_limited_per_address_of_the_sender(client, app):
    statuses = [client.post("/signin", data={"email": f"p{n}@school.example.org"}).status_code for n in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429


def test_joins_are_limited_per_address(client, app):
    conference = make_conference()
    statuses = []
    for n in range(61):
        phone = app.test_client()  # a new phone each time, all on the venue's one address
        statuses.append(phone.post(f"/{conference.slug}/join",
                                   data=join_form(conference, email=f"p{n}@school.example.org")).status_code)
    assert statuses[:60] == [303] * 60 and statuses[60] == 429
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 60
    assert client.get(f"/{conference.slug}/join").status_code == 200  # reading the form is not limited


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(tmp_path):
    """Without TRUSTED_PROXIES a client cannot dodge the limit by inventing X-Forwarded-For."""
    app = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True,
                                 SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'proxy.sqlite3'}"))
    with app.app_context():
        db.create_all()
        client = app.test_client()
        spoofed = tries_until_refused(lambda n: client.get(f"/c/{random_code()}",
                                                           headers={"X-Forwarded-For": f"203.0.113.{n % 250}"}))
        assert spoofed <= 101
    behind = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1,
                                    SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'proxy.sqlite3'}"))
    with behind.app_context():
        client = behind.test_client()
        for n in range(150):  # 150 different real clients behind the load balancer
            response = client.get(f"/c/{random_code()}", headers={"X-Forwarded-For": f"203.0.113.{n}"})
            assert response.status_code == 404


def test_limits_can_be_configured_and_switched_off(tmp_path, monkeypatch):
    monkeypatch.delenv("RATELIMIT_ENABLED", raising=False)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    from conference.config import from_environment
    config = from_environment(str(tmp_path))
    assert config["RATELIMIT_ENABLED"] is True and config["RATELIMIT_STORAGE_URI"] == "local://"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://cache:6379/0")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    config = from_environment(str(tmp_path))
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0" and config["RATELIMIT_ENABLED"] is False
    off = create_app(test_config(tmp_path, RATELIMIT_ENABLED=False))
    assert not limiter.enabled
    assert off.config["RATELIMIT_ENABLED"] is False


def test_a_limit_string_can_be_tightened_in_config(tmp_path, _schema):
    app = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_BADGE_MISSES_PER_IP="3 per minute"))
    with app.app_context():
        if not ON_POSTGRES:
            db.create_all()
        client = app.test_client()
        assert tries_until_refused(lambda _: client.get(f"/c/{random_code()}")) == 4
        empty_database()
        db.engine.dispose()


# --- the scanner (conference/scanner): its card and its offline sync -------------------------

def scan(text):
    import uuid
    return {"uuid": str(uuid.uuid4()), "text": text, "note": ""}


def test_the_scanner_card_counts_against_the_same_misses(client, app):
    me = make_attendee(make_conference())
    sign_in_as(client, me)
    for _ in range(5):
        assert client.get("/scan/card", query_string={"code": random_code()}).status_code == 404
        assert client.get(f"/c/{random_code()}").status_code == 404
    assert client.get("/scan/card", query_string={"code": random_code()}).status_code == 429


def test_guessed_codes_in_a_sync_batch_use_up_the_misses(client, app):
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    sign_in_as(client, me)
    first = client.post("/scan/sync", json={"scans": [scan(random_code()) for _ in range(30)]})
    assert first.status_code == 200
    assert {r["status"] for r in first.get_json()["results"]} == {"unknown"}
    assert client.get(f"/c/{random_code()}").status_code == 429
    again = client.post("/scan/sync", json={"scans": [scan(display(them.badge_code))]})
    assert again.status_code == 429
    assert again.get_json()["error"] == "rate_limited"  # JSON the phone can act on: it keeps the scan


def test_a_day_of_real_scans_synced_in_batches_is_never_limited(client, app):
    conference = make_conference()
    me = make_attendee(conference)
    people = [make_attendee(conference) for _ in range(120)]
    sign_in_as(client, me)
    for start in range(0, 120, 40):
        response = client.post("/scan/sync", json={"scans": [scan(display(p.badge_code)) for p in people[start:start + 40]]})
        assert response.status_code == 200
        assert {r["status"] for r in response.get_json()["results"]} == {"saved"}


def test_sync_batches_are_limited_per_scan(tmp_path, _schema):
    app = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_SYNC_SCANS="50 per hour"))
    with app.app_context():
        if not ON_POSTGRES:
            db.create_all()
        conference = make_conference()
        me, them = make_attendee(conference), make_attendee(conference)
        client = app.test_client()
        sign_in_as(client, me)
        assert client.post("/scan/sync", json={"scans": [scan(display(them.badge_code))] * 40}).status_code == 200
        refused = client.post("/scan/sync", json={"scans": [scan(display(them.badge_code))] * 20})
        assert refused.status_code == 429 and refused.get_json()["error"] == "rate_limited"
        empty_database()
        db.engine.dispose()
