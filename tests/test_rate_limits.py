"""Rate limits (Flask-Limiter): guessing badge codes is stopped early, real use never is, not even a
whole venue behind one address."""
import secrets
import uuid

import pytest
from sqlalchemy import func, select

from conference import create_app
from conference.attendees.models import Attendee
from conference.badges.codes import ALPHABET, display
from conference.contacts.models import Connection
from conference.extensions import db, limiter
from conference.scanner.models import ScanReceipt
from tests.conftest import empty_database, empty_schema, test_config
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.test_join import join_form

VENUE = {"REMOTE_ADDR": "198.51.100.20"}  # the one public address of a venue's Wi-Fi


def limited_app(tmp_path, **extra):
    """The app with rate limiting on (tests/conftest.py turns it off everywhere else)."""
    return create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, **empty_schema(), **extra))


@pytest.fixture
def app(tmp_path, _schema):
    app = limited_app(tmp_path)
    with app.app_context():
        yield app
        empty_database()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def tightened(tmp_path, _schema):
    """An app with some limits tightened: tightened(RATELIMIT_...="3 per minute")."""
    made = []

    def make(**limits):
        app = limited_app(tmp_path, **limits)
        context = app.app_context()
        context.push()
        made.append(context)
        return app
    yield make
    for context in made:
        empty_database()
        db.engine.dispose()
        context.pop()


def random_code() -> str:
    return display("".join(secrets.choice(ALPHABET) for _ in range(12)))


def tries_until_refused(get, limit=1000) -> int:
    """How many requests `get(i)` makes before the first 429 (or `limit` + 1 if none)."""
    for attempt in range(1, limit + 1):
        if get(attempt).status_code == 429:
            return attempt
    return limit + 1


def phone(app, signed_in=None):
    """A new phone on the venue's Wi-Fi, signed in as `signed_in` if given."""
    client = app.test_client()
    client.environ_base.update(VENUE)
    if signed_in is not None:
        sign_in_as(client, signed_in)
    return client


def test_a_loop_of_random_codes_from_one_session_is_stopped_early(client, app):
    me = make_attendee(make_conference())
    sign_in_as(client, me)
    attempt = tries_until_refused(lambda _: client.get(f"/c/{random_code()}"))
    assert attempt == 11  # 10 misses a minute, then 429


def test_a_signed_out_phone_guessing_is_stopped_by_its_own_device_id(client, app):
    attempt = tries_until_refused(lambda _: client.get(f"/c/{random_code()}"))
    assert attempt == 12  # its first lookup gives it a device id; then 10 misses a minute
    with client.session_transaction() as session:
        assert session["device"] and "attendee_id" not in session
    other_phone = app.test_client()  # another phone at the same address is not blocked
    assert other_phone.get(f"/c/{random_code()}").status_code == 404
    assert other_phone.get(f"/c/{random_code()}").status_code == 404


def test_guessing_without_keeping_cookies_is_stopped_by_the_address(tightened):
    app = tightened(RATELIMIT_BADGE_MISSES_PER_IP="30 per minute")
    no_cookies = app.test_client(use_cookies=False)  # every request a new phone
    assert tries_until_refused(lambda _: no_cookies.get(f"/c/{random_code()}")) == 31
    elsewhere = app.test_client(use_cookies=False)
    assert elsewhere.get(f"/c/{random_code()}", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    signed_in = app.test_client(use_cookies=True)  # a signed-in attendee at the same address is not blocked
    sign_in_as(signed_in, make_attendee(make_conference()))
    assert signed_in.get(f"/c/{random_code()}").status_code == 404


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
    assert 0 < int(refused.headers["Retry-After"]) <= 61  # the oldest miss leaves the minute window
    assert "Content-Security-Policy" in refused.headers
    assert client.get("/me/badge").status_code == 200  # only badge lookups wait


def test_one_person_guessing_does_not_block_others_on_the_same_wifi(client, app):
    conference = make_conference()
    guesser, neighbour, them = (make_attendee(conference) for _ in range(3))
    sign_in_as(client, guesser)
    tries_until_refused(lambda _: client.get(f"/c/{random_code()}"))
    other = app.test_client()
    sign_in_as(other, neighbour)
    assert other.get(f"/c/{display(them.badge_code)}").status_code == 200
    assert other.get(f"/c/{random_code()}").status_code == 404


def test_two_phones_at_one_address_one_cold_one_joined(app):
    """The phone's camera opens a card before its owner has joined; beside it, a phone that joined.
    Each one's guessing stops that one alone."""
    conference = make_conference()
    them = make_attendee(conference)
    card = f"/c/{display(them.badge_code)}"
    cold, joined = phone(app), phone(app)
    assert joined.post(f"/{conference.slug}/join",
                       data=join_form(conference, email="joined@school.example.org")).status_code == 303
    assert cold.get(card).status_code == 200 and "Join" in cold.get(card).text
    assert joined.get(card).status_code == 200 and "Save contact" in joined.get(card).text

    assert tries_until_refused(lambda _: joined.get(f"/c/{random_code()}")) == 11
    assert joined.get(card).status_code == 429
    assert cold.get(card).status_code == 200
    assert cold.get(f"/c/{random_code()}").status_code == 404  # a typo is still answered

    assert tries_until_refused(lambda _: cold.get(f"/c/{random_code()}")) <= 10
    assert cold.get(card).status_code == 429
    # Joining is never refused for it, and once joined it is its own person with its own count.
    assert cold.post(f"/{conference.slug}/join",
                     data=join_form(conference, email="cold@school.example.org")).status_code == 303
    # (the card it opened cold was saved on joining: it now offers to update that contact)
    assert cold.get(card).status_code == 200 and "Update contact" in cold.get(card).text


def test_a_keynote_break_behind_one_address_lets_everyone_in(app):
    """2,000 phones behind the venue's one address: each opens two cards cold, joins, and opens eight
    more signed in (20,000 card views, a typo now and then). Nobody is refused, while a signed-in
    guesser and a signed-out one at the same address are each stopped after ten misses."""
    conference = make_conference()
    people = [display(make_attendee(conference).badge_code) for _ in range(50)]
    guesser, guessing = phone(app, signed_in=make_attendee(conference)), phone(app)
    stopped = {"signed in": None, "signed out": None}
    views = joins = 0
    for n in range(2000):
        visitor = phone(app)
        for k in range(2):
            code = people[(n + k) % 50] if (n + k) % 97 else random_code()  # a typo now and then
            assert visitor.get(f"/c/{code}").status_code in (200, 404), (n, k)
            views += 1
        response = visitor.post(f"/{conference.slug}/join", data=join_form(conference, email=f"p{n}@venue.example.org"))
        assert response.status_code == 303, n
        joins += 1
        for k in range(8):
            code = people[(n * 8 + k) % 50] if (n * 8 + k) % 89 else random_code()
            assert visitor.get(f"/c/{code}").status_code in (200, 404), (n, k)
            views += 1
        if n % 50 == 0:  # all along, two people try random codes from the same address
            for who, client in (("signed in", guesser), ("signed out", guessing)):
                for _ in range(3):
                    status = client.get(f"/c/{random_code()}").status_code
                    if status == 429 and stopped[who] is None:
                        stopped[who] = n
                        assert client.get(f"/c/{people[0]}").status_code == 429  # nothing more to learn
    assert (views, joins) == (20_000, 2_000)
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 2_000 + 51
    assert stopped["signed in"] is not None and stopped["signed in"] <= 200
    assert stopped["signed out"] is not None and stopped["signed out"] <= 200


def test_sign_in_emails_are_limited_per_address_without_revealing_anything(client, app, outbox):
    make_attendee(make_conference(), email="known@school.example.org")
    for email in ("known@school.example.org", "unknown@school.example.org"):
        statuses = [client.post("/signin", data={"email": email}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429], email  # the same for a registered and an unknown address
    assert len(outbox()) == 3
    assert client.post("/signin", data={"email": "KNOWN@school.example.org "}).status_code == 429
    assert client.get("/signin").status_code == 200  # the page itself is never limited
    assert client.post("/signin", data={"email": "third@school.example.org"}).status_code == 200


def test_a_venue_asking_for_sign_in_links_is_not_refused(app):
    statuses = {phone(app).post("/signin", data={"email": f"p{n}@venue.example.org"}).status_code
                for n in range(300)}
    assert statuses == {200}


def test_sign_in_emails_are_limited_per_address_of_the_sender(tightened):
    app = tightened(RATELIMIT_SIGNIN_PER_IP="30 per 10 minutes")
    client = app.test_client()
    statuses = [client.post("/signin", data={"email": f"p{n}@school.example.org"}).status_code for n in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429


def test_joins_are_limited_per_address(tightened):
    app = tightened(RATELIMIT_JOINS_PER_IP="60 per 10 minutes")
    conference = make_conference()
    statuses = []
    for n in range(61):
        statuses.append(phone(app).post(f"/{conference.slug}/join",
                                        data=join_form(conference, email=f"p{n}@school.example.org")).status_code)
    assert statuses[:60] == [303] * 60 and statuses[60] == 429
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 60
    assert phone(app).get(f"/{conference.slug}/join").status_code == 200  # reading the form is not limited


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(tmp_path):
    """Without TRUSTED_PROXIES a client cannot dodge the limit by inventing X-Forwarded-For."""
    database = f"sqlite:///{tmp_path / 'proxy.sqlite3'}"
    app = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_BADGE_MISSES_PER_IP="100 per minute",
                                 SQLALCHEMY_DATABASE_URI=database))
    with app.app_context():
        db.create_all()
        client = app.test_client(use_cookies=False)
        spoofed = tries_until_refused(lambda n: client.get(f"/c/{random_code()}",
                                                           headers={"X-Forwarded-For": f"203.0.113.{n % 250}"}))
        assert spoofed == 101
    behind = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1,
                                    RATELIMIT_BADGE_MISSES_PER_IP="100 per minute", SQLALCHEMY_DATABASE_URI=database))
    with behind.app_context():
        client = behind.test_client(use_cookies=False)
        for n in range(150):  # 150 different real clients behind the load balancer
            response = client.get(f"/c/{random_code()}", headers={"X-Forwarded-For": f"203.0.113.{n}"})
            assert response.status_code == 404


def test_limits_can_be_configured_and_switched_off(tmp_path, monkeypatch):
    monkeypatch.delenv("RATELIMIT_ENABLED", raising=False)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    from conference.config import from_environment
    config = from_environment(str(tmp_path))
    assert config["RATELIMIT_ENABLED"] is True and config["RATELIMIT_STORAGE_URI"] == "local://"
    assert config["RATELIMIT_STORAGE_OPTIONS"] == {}
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://cache:6379/0")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("RATELIMIT_JOINS_PER_IP", "6000 per 10 minutes")  # a larger venue
    config = from_environment(str(tmp_path))
    assert config["RATELIMIT_JOINS_PER_IP"] == "6000 per 10 minutes"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0" and config["RATELIMIT_ENABLED"] is False
    assert config["RATELIMIT_STORAGE_OPTIONS"]["socket_timeout"] <= 1  # a stuck Redis can't hold a page long
    off = create_app(test_config(tmp_path, RATELIMIT_ENABLED=False))
    assert not limiter.enabled
    assert off.config["RATELIMIT_ENABLED"] is False


def test_a_limit_string_can_be_tightened_in_config(tightened):
    app = tightened(RATELIMIT_BADGE_MISSES_PER_IP="3 per minute")
    client = app.test_client()
    assert tries_until_refused(lambda _: client.get(f"/c/{random_code()}")) == 4


# --- every path that turns a code into a person counts against the same misses ------------------

def scan(text, note=""):
    return {"uuid": str(uuid.uuid4()), "text": text, "note": note}


def miss_by(client, path: str) -> int:
    """One code that finds nobody, through `path`; its status."""
    code = random_code()
    if path == "/c/<code>":
        return client.get(f"/c/{code}").status_code
    if path == "/code":
        return client.get("/code", query_string={"code": code[:-2]}).status_code  # too short: a typo
    if path == "/c/<code>/save":
        return client.post(f"/c/{code}/save", data={"note": "hello"}).status_code
    if path == "/scan/card":
        return client.get("/scan/card", query_string={"code": code}).status_code
    if path == "/scan/save":
        return client.post("/scan/save", data={"code": code, "uuid": str(uuid.uuid4()), "note": "hi"}).status_code
    response = client.post("/scan/sync", json={"scans": [scan(code)]})
    assert response.status_code != 200 or response.get_json()["results"][0]["status"] == "unknown"
    return response.status_code


def find_by(client, path: str, code: str) -> int:
    """A real badge code through `path`; its status."""
    if path in ("/c/<code>", "/code"):
        return client.get(f"/c/{code}" if path == "/c/<code>" else f"/code?code={code}").status_code
    if path == "/c/<code>/save":
        return client.post(f"/c/{code}/save", data={"note": "hello"}).status_code
    if path == "/scan/card":
        return client.get("/scan/card", query_string={"code": code}).status_code
    if path == "/scan/save":
        return client.post("/scan/save", data={"code": code, "uuid": str(uuid.uuid4()), "note": "hi"}).status_code
    return client.post("/scan/sync", json={"scans": [scan(code)]}).status_code


PATHS = ["/c/<code>", "/code", "/c/<code>/save", "/scan/card", "/scan/save", "/scan/sync"]


@pytest.mark.parametrize("path", PATHS)
def test_every_path_from_a_code_to_a_person_counts_misses_before_the_lookup(client, app, path):
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    sign_in_as(client, me)
    for _ in range(9):  # nine misses elsewhere...
        assert client.get(f"/c/{random_code()}").status_code == 404
    assert miss_by(client, path) in (200, 404, 410, 422)  # ...and the tenth through this path
    # The budget is spent: this path refuses a real code too, before looking it up, so nothing is saved.
    assert find_by(client, path, display(them.badge_code)) == 429
    assert client.get(f"/c/{display(them.badge_code)}").status_code == 429
    assert db.session.scalar(select(func.count()).select_from(Connection)) == 0
    assert db.session.scalar(select(func.count()).select_from(ScanReceipt)) == 0


@pytest.mark.parametrize("path", PATHS)
def test_misses_through_each_path_use_up_the_budget(client, app, path):
    me = make_attendee(make_conference())
    sign_in_as(client, me)
    statuses = [miss_by(client, path) for _ in range(11)]
    assert 429 not in statuses[:10] and statuses[10] == 429
    assert client.get(f"/c/{random_code()}").status_code == 429


def test_saves_of_real_codes_are_not_counted_as_misses(client, app):
    conference = make_conference()
    me = make_attendee(conference)
    people = [make_attendee(conference) for _ in range(30)]
    sign_in_as(client, me)
    for person in people:
        code = display(person.badge_code)
        assert client.post(f"/c/{code}/save", data={"note": "met"}).status_code == 303
        assert client.post("/scan/save", data={"code": code, "uuid": str(uuid.uuid4()), "note": "x" * 3000}
                           ).status_code == 422  # a note too long is the person's mistake, not a guess
    assert client.get(f"/c/{random_code()}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Connection)) == 30


def test_the_scanner_card_counts_against_the_same_misses(client, app):
    me = make_attendee(make_conference())
    sign_in_as(client, me)
    for _ in range(5):
        assert client.get("/scan/card", query_string={"code": random_code()}).status_code == 404
        assert client.get(f"/c/{random_code()}").status_code == 404
    assert client.get("/scan/card", query_string={"code": random_code()}).status_code == 429


# --- the offline sync: a batch looks up only what the misses left allow ------------------------

def results_of(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [r["status"] for r in response.get_json()["results"]]


def test_a_batch_of_guesses_is_looked_up_only_as_far_as_the_misses_allow(client, app):
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    sign_in_as(client, me)
    guesses = client.post("/scan/sync", json={"scans": [scan(random_code()) for _ in range(300)]})
    assert results_of(guesses) == ["unknown"] * 10 + ["rate_limited"] * 290
    kept = guesses.get_json()["results"][10]
    assert "stays on the phone" in kept["message"] and kept["uuid"]
    assert client.get(f"/c/{random_code()}").status_code == 429
    again = client.post("/scan/sync", json={"scans": [scan(display(them.badge_code))]})
    assert again.status_code == 429
    assert again.get_json()["error"] == "rate_limited"  # JSON the phone can act on: it keeps the scan
    assert int(again.headers["Retry-After"]) > 0


def test_real_scans_after_the_last_allowed_miss_wait_on_the_phone(client, app):
    conference = make_conference()
    me, ana, bea, cal = (make_attendee(conference) for _ in range(4))
    sign_in_as(client, me)
    for _ in range(7):
        assert client.get(f"/c/{random_code()}").status_code == 404
    batch = [scan(display(ana.badge_code), "first"), scan(random_code()), scan(random_code()),
             scan(display(bea.badge_code), "second"), scan(random_code()), scan(random_code()),
             scan(display(cal.badge_code), "third")]
    assert results_of(client.post("/scan/sync", json={"scans": batch})) == [
        "saved", "unknown", "unknown", "saved", "unknown", "rate_limited", "rate_limited"]
    saved = set(db.session.scalars(select(Connection.contact_id)))
    assert saved == {ana.id, bea.id}  # Cal's scan was not looked up: it waits on the phone
    assert client.get(f"/c/{display(cal.badge_code)}").status_code == 429  # exactly ten misses were charged


def test_a_guess_repeated_in_a_batch_counts_each_time(client, app):
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    sign_in_as(client, me)
    for _ in range(8):
        assert client.get(f"/c/{random_code()}").status_code == 404
    guess = random_code()
    batch = [scan(guess), scan(guess), scan(guess), scan(display(them.badge_code))]
    assert results_of(client.post("/scan/sync", json={"scans": batch})) == [
        "unknown", "unknown", "rate_limited", "rate_limited"]
    assert client.get(f"/c/{display(them.badge_code)}").status_code == 429


def test_a_day_of_real_scans_synced_in_batches_is_never_limited(client, app):
    conference = make_conference()
    me = make_attendee(conference)
    people = [make_attendee(conference) for _ in range(120)]
    sign_in_as(client, me)
    for start in range(0, 120, 40):
        response = client.post("/scan/sync", json={"scans": [scan(display(p.badge_code)) for p in people[start:start + 40]]})
        assert set(results_of(response)) == {"saved"}


def test_sync_batches_are_limited_per_scan(tightened):
    app = tightened(RATELIMIT_SYNC_SCANS="50 per hour")
    conference = make_conference()
    me, them = make_attendee(conference), make_attendee(conference)
    client = app.test_client()
    sign_in_as(client, me)
    assert client.post("/scan/sync", json={"scans": [scan(display(them.badge_code))] * 40}).status_code == 200
    refused = client.post("/scan/sync", json={"scans": [scan(display(them.badge_code))] * 20})
    assert refused.status_code == 429 and refused.get_json()["error"] == "rate_limited"
