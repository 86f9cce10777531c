"""Proven addresses and no oracles: an address counts once a link sent to it was opened; joining,
the profile form, sign-in and the claim answer the same whether an address is known or not."""
import math
import re
import statistics
import time

from sqlalchemy import func, select

from conference import create_app
from conference.attendees.models import Attendee
from conference.badges.codes import display
from conference.contacts.models import Connection
from conference.extensions import db
from conference.tasks import huey
from tests.conftest import ON_POSTGRES, empty_database, test_config
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.organizer_factories import make_organizer, sign_in_organizer
from tests.test_join import join_form
from tests.test_organizer_import import upload
from tests.test_rate_limits import limited_app

LINK = re.compile(r"https://pln\.example\.org/signin/(\S+)")


def last_link(outbox, to: str) -> str:
    mail = [m for m in outbox() if m["To"] == to][-1]
    return LINK.search(mail.get_body().get_content()).group(1)


def open_link(client, token: str):
    assert client.get(f"/signin/{token}").status_code == 200
    return client.post(f"/signin/{token}")


def by_email(email: str) -> Attendee:
    return db.session.scalar(select(Attendee).where(Attendee.email == email))


def test_joining_with_an_address_in_use_answers_like_a_fresh_join_and_mails_a_link_there(app, outbox):
    conference = make_conference()
    ana = make_attendee(conference, email="ana@school.example.org", name="Ana Ruiz")
    fresh, taken = app.test_client(), app.test_client()
    first = fresh.post(f"/{conference.slug}/join", data=join_form(conference, email="new@school.example.org"))
    second = taken.post(f"/{conference.slug}/join", data=join_form(conference, email="Ana@School.example.org"))
    assert (first.status_code, first.headers["Location"]) == (second.status_code, second.headers["Location"])
    strip = lambda page: re.sub(r"<svg.*?</svg>|Badge code [0-9A-Z -]+<|[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}|/c/\S+?\"|data-attendee=\"\d+\"|"
                                r"value=\"[^\"]*\"", "", page, flags=re.S)
    badge_fresh, badge_taken = fresh.get(first.headers["Location"]), taken.get(second.headers["Location"])
    assert badge_fresh.status_code == badge_taken.status_code == 200
    assert strip(badge_fresh.text) == strip(badge_taken.text)
    assert "already" not in badge_taken.text
    mail = outbox()[-1]
    assert mail["To"] == "ana@school.example.org" and "maybe you" in mail.get_body().get_content()
    assert len(outbox()) == 1  # the fresh join mails nothing
    provisional = db.session.scalar(select(Attendee).where(Attendee.pending_email == "ana@school.example.org"))
    assert provisional.email is None and provisional.id != ana.id


def test_the_link_signs_the_phone_in_to_the_existing_profile_with_what_it_saved(app, outbox):
    conference = make_conference()
    ana = make_attendee(conference, email="ana@school.example.org")
    ben = make_attendee(conference, name="Ben Okafor")
    phone = app.test_client()
    phone.post(f"/{conference.slug}/join", data=join_form(conference, email="ana@school.example.org"))
    phone.post(f"/c/{ben.badge_code}/save", data={"note": "Scheduling templates"})
    provisional_id = db.session.scalar(select(Attendee.id).where(Attendee.email.is_(None)))
    done = open_link(phone, last_link(outbox, "ana@school.example.org"))
    assert done.status_code == 303 and done.headers["Location"] == "/me/badge?welcome=1"
    db.session.expire_all()
    assert db.session.get(Attendee, provisional_id) is None
    saved = db.session.scalar(select(Connection).where(Connection.owner_id == ana.id))
    assert saved.contact_id == ben.id and saved.note == "Scheduling templates"
    assert db.session.get(Attendee, ana.id).email_verified_at is not None
    assert "Ben Okafor" in phone.get("/me/contacts").text


def test_a_provisional_profile_receives_nothing_of_the_address_owner(app, outbox):
    conference = make_conference()
    ana = make_attendee(conference, email="ana@school.example.org")
    ben = make_attendee(conference, name="Ben Okafor")
    owner = app.test_client()
    sign_in_as(owner, ana)
    owner.post(f"/c/{ben.badge_code}/save", data={"note": "Ana's private note"})
    impostor = app.test_client()
    impostor.post(f"/{conference.slug}/join", data=join_form(conference, email="ana@school.example.org"))
    for path in ("/me/contacts", "/me/data.json", f"/c/{ben.badge_code}"):
        assert "Ana's private note" not in impostor.get(path).text
    assert impostor.get("/me/profile").status_code == 200


def test_an_impostor_who_joined_first_loses_the_address_to_the_imported_registrant(app, client, outbox):
    conference = make_conference()
    impostor = app.test_client()
    impostor.post(f"/{conference.slug}/join", data=join_form(conference, name="Not Ana",
                                                             email="ana@school.example.org"))
    impostor_row = by_email("ana@school.example.org")
    sign_in_organizer(client, make_organizer(conference))
    upload(client, conference, b"Name,Email,Role\r\nAna Ruiz,ana@school.example.org,Principal\r\n")
    db.session.expire_all()
    imported = by_email("ana@school.example.org")
    assert imported.id != impostor_row.id and imported.name == "Ana Ruiz" and imported.import_batch_id
    released = db.session.get(Attendee, impostor_row.id)
    assert released.email is None and released.pending_email == "ana@school.example.org"
    her_phone = app.test_client()
    her_phone.post("/signin", data={"email": "ana@school.example.org"})
    open_link(her_phone, last_link(outbox, "ana@school.example.org"))
    ben = make_attendee(conference, name="Ben Okafor")
    her_phone.post(f"/c/{ben.badge_code}/save", data={"note": "Her later private note"})
    assert "Ana Ruiz" in her_phone.get("/me/profile").text
    for path in ("/me/contacts", "/me/data", "/me/data.json"):
        assert "Her later private note" not in impostor.get(path).text
    assert "Not Ana" in impostor.get("/me/profile").text  # the impostor is left with their own profile only


def test_a_joiner_who_proved_the_address_keeps_it_through_an_import(app, client, outbox):
    conference = make_conference()
    phone = app.test_client()
    phone.post(f"/{conference.slug}/join", data=join_form(conference, email="ana@school.example.org"))
    phone.post("/signin", data={"email": "ana@school.example.org"})
    open_link(phone, last_link(outbox, "ana@school.example.org"))
    joined = by_email("ana@school.example.org")
    assert joined.email_verified_at is not None
    sign_in_organizer(client, make_organizer(conference))
    upload(client, conference, b"Name,Email,Role\r\nAna Ruiz,ana@school.example.org,Principal\r\n")
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 1


def test_a_new_email_waits_for_its_link_and_the_form_never_says_if_it_is_in_use(app, outbox):
    conference = make_conference()
    ana = make_attendee(conference, email="ana@school.example.org")
    make_attendee(conference, email="taken@school.example.org")
    phone = app.test_client()
    sign_in_as(phone, ana)
    answers = [phone.post("/me/profile", data=join_form(conference, email=email))
               for email in ("free@school.example.org", "taken@school.example.org")]
    assert [(a.status_code, a.headers["Location"]) for a in answers] == [(303, "/me/profile?email_sent=1")] * 2
    page = phone.get("/me/profile?email_sent=1").text
    assert "We sent a link to taken@school.example.org" in page and "already" not in page
    db.session.expire_all()
    assert db.session.get(Attendee, ana.id).email == "ana@school.example.org"  # nothing changed yet
    refused = open_link(phone, last_link(outbox, "taken@school.example.org"))
    assert refused.status_code == 410 and "already uses that email" in refused.text  # told to the mailbox's owner only
    done = open_link(phone, last_link(outbox, "free@school.example.org"))
    assert done.status_code == 303 and done.headers["Location"] == "/me/profile?email_changed=1"
    db.session.expire_all()
    changed = db.session.get(Attendee, ana.id)
    assert changed.email == "free@school.example.org" and changed.pending_email is None
    assert changed.email_verified_at is not None


def test_profile_updates_are_rate_limited_per_person(tmp_path, _schema):
    app = limited_app(tmp_path, RATELIMIT_PROFILE_UPDATES="3 per minute")
    with app.app_context():
        conference = make_conference()
        ana, ben = make_attendee(conference), make_attendee(conference)
        phone, other = app.test_client(), app.test_client()
        sign_in_as(phone, ana)
        sign_in_as(other, ben)
        codes = [phone.post("/me/profile", data=join_form(conference, email=f"a{n}@school.example.org")).status_code
                 for n in range(4)]
        assert codes == [303, 303, 303, 429]
        assert other.post("/me/profile", data=join_form(conference, email=ben.email)).status_code == 303
        empty_database()
        db.engine.dispose()


def test_a_sign_in_link_marks_the_address_proven(app, outbox):
    ana = make_attendee(make_conference(), email="ana@school.example.org")
    assert ana.email_verified_at is None
    phone = app.test_client()
    phone.post("/signin", data={"email": "ana@school.example.org"})
    open_link(phone, last_link(outbox, "ana@school.example.org"))
    db.session.expire_all()
    assert db.session.get(Attendee, ana.id).email_verified_at is not None


def mann_whitney_z(a: list[float], b: list[float]) -> float:
    """The normal approximation of the Mann-Whitney U statistic (ties ranked by their mean)."""
    ranked = sorted([(x, 0) for x in a] + [(x, 1) for x in b])
    ranks, i = [0.0] * len(ranked), 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    r_a = sum(r for r, (_, group) in zip(ranks, ranked) if group == 0)
    n_a, n_b = len(a), len(b)
    u = r_a - n_a * (n_a + 1) / 2
    return (u - n_a * n_b / 2) / math.sqrt(n_a * n_b * (n_a + n_b + 1) / 12)


def test_sign_in_answers_known_and_unknown_addresses_alike_in_time(tmp_path, _schema):
    """The request only enqueues one task whatever the address (here a real queue, not run at once)."""
    app = create_app(test_config(tmp_path, TASKS_IMMEDIATE=False,
                                 TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite3'}"))
    with app.app_context():
        if not ON_POSTGRES:
            db.create_all()
        conference = make_conference()
        make_attendee(conference, email="known@school.example.org")
        make_organizer(conference, email="known@school.example.org")
        client = app.test_client()
        times = {"known@school.example.org": [], "nobody@school.example.org": []}
        for _ in range(20):  # warm up both
            for email in times:
                client.post("/signin", data={"email": email})
        for _ in range(200):
            for email, samples in times.items():
                started = time.perf_counter()
                response = client.post("/signin", data={"email": email})
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200
        known, unknown = times.values()
        assert huey.pending_count() == 2 * 220 and not (tmp_path / "outbox").exists()
        ratio = statistics.median(known) / statistics.median(unknown)
        z = mann_whitney_z(known, unknown)
        print(f"/signin medians: known {statistics.median(known) * 1000:.2f} ms, unknown "
              f"{statistics.median(unknown) * 1000:.2f} ms, ratio {ratio:.3f}, z {z:.2f}")
        # Same work for both: medians within 25% of each other, and no difference a rank test can
        # tell at the 0.1% level (|z| < 3.3) on top of the machine's noise.
        assert 0.8 < ratio < 1.25, (ratio, z)
        assert abs(z) < 3.3 or 0.9 < ratio < 1.1, (ratio, z)
        huey.flush()
        empty_database()
        db.engine.dispose()


def test_joining_with_an_address_in_use_takes_as_long_as_a_fresh_join(tmp_path, _schema):
    """Same page, same status, and no time difference to measure (the mail is only enqueued)."""
    app = create_app(test_config(tmp_path, TASKS_IMMEDIATE=False,
                                 TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite3'}"))
    with app.app_context():
        if not ON_POSTGRES:
            db.create_all()
        conference = make_conference()
        make_attendee(conference, email="known@school.example.org")
        times = {"fresh": [], "taken": []}
        for n in range(130):
            for kind, samples in times.items():
                email = f"new{n}@school.example.org" if kind == "fresh" else "known@school.example.org"
                phone = app.test_client()
                started = time.perf_counter()
                response = phone.post(f"/{conference.slug}/join", data=join_form(conference, email=email))
                elapsed = time.perf_counter() - started
                assert (response.status_code, response.headers["Location"]) == (303, "/me/badge?welcome=1")
                if n >= 10:  # the first ones warm up both paths
                    samples.append(elapsed)
        fresh, taken = times.values()
        assert huey.pending_count() == 260  # one task per join, whatever the address
        ratio = statistics.median(taken) / statistics.median(fresh)
        z = mann_whitney_z(taken, fresh)
        print(f"join medians: fresh {statistics.median(fresh) * 1000:.2f} ms, address in use "
              f"{statistics.median(taken) * 1000:.2f} ms, ratio {ratio:.3f}, z {z:.2f}")
        assert 0.8 < ratio < 1.25, (ratio, z)
        huey.flush()
        empty_database()
        db.engine.dispose()


def imported_registrant(client, conference, email="ana@school.example.org"):
    sign_in_organizer(client, make_organizer(conference))
    upload(client, conference, f"Name,Email,Role\r\nAna Ruiz,{email},Principal\r\n".encode())
    return by_email(email)


def test_an_unclaimed_card_offers_a_claim_link_that_signs_its_owner_in(app, client, outbox):
    conference = make_conference()
    ana = imported_registrant(client, conference)
    phone = app.test_client()
    card = phone.get(f"/c/{ana.badge_code}")
    assert "Is this you?" in card.text and f'action="/c/{display(ana.badge_code)}/claim"' in card.text
    sent = phone.post(f"/c/{display(ana.badge_code)}/claim")
    assert sent.status_code == 200 and "Check your email" in sent.text
    done = open_link(phone, last_link(outbox, "ana@school.example.org"))
    assert done.status_code == 303 and done.headers["Location"] == "/me/badge?welcome=1"
    db.session.expire_all()
    claimed = db.session.get(Attendee, ana.id)
    assert claimed.claimed_at is not None and claimed.email_verified_at is not None
    assert "Is this you?" not in app.test_client().get(f"/c/{ana.badge_code}").text


def test_the_claim_answers_the_same_whatever_the_code(app, client, outbox):
    conference = make_conference()
    ana = imported_registrant(client, conference)
    joined = make_attendee(conference, email="joined@school.example.org")
    answers = [app.test_client().post(f"/c/{code}/claim")
               for code in (ana.badge_code, joined.badge_code, "7KQ2-XM4P-9BDA", "not-a-code!")]
    assert {a.status_code for a in answers} == {200}
    assert len({a.text.replace(c, "") for a, c in zip(answers, (ana.badge_code, joined.badge_code,
                                                                  "7KQ2-XM4P-9BDA", "not-a-code!"))}) == 1
    assert [m["To"] for m in outbox()] == ["ana@school.example.org"]  # only the unclaimed registrant
    assert "Is this you?" not in app.test_client().get(f"/c/{joined.badge_code}").text


def test_claims_are_limited_per_badge_but_not_for_a_venue(tmp_path, _schema):
    app = limited_app(tmp_path, RATELIMIT_CLAIMS_PER_BADGE="2 per minute")
    with app.app_context():
        conference = make_conference()
        ana, ben = make_attendee(conference), make_attendee(conference)
        venue = {"REMOTE_ADDR": "198.51.100.20"}
        codes = [app.test_client().post(f"/c/{ana.badge_code}/claim", environ_base=venue).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        assert app.test_client().post(f"/c/{ben.badge_code}/claim", environ_base=venue).status_code == 200
        empty_database()
        db.engine.dispose()


def test_joining_with_an_imported_address_sends_its_sign_in_link(app, client, outbox):
    conference = make_conference()
    ana = imported_registrant(client, conference)
    phone = app.test_client()
    joined = phone.post(f"/{conference.slug}/join", data=join_form(conference, email="ana@school.example.org"))
    assert joined.status_code == 303
    open_link(phone, last_link(outbox, "ana@school.example.org"))
    db.session.expire_all()
    assert db.session.get(Attendee, ana.id).claimed_at is not None
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 1  # the provisional row merged


def test_the_console_sends_claim_emails_and_counts_the_claims(app, client, outbox):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    upload(client, conference, b"Name,Email,Role\r\nAna Ruiz,ana@school.example.org,Principal\r\n"
                               b"Ben Okafor,ben@school.example.org,Principal\r\n"
                               b"Cy Dang,cy@school.example.org,Principal\r\n")
    make_attendee(conference, email="joined@school.example.org")
    page = client.get(f"/organize/{conference.slug}/registrants")
    assert "<strong>0</strong> of 3 imported registrants have claimed" in page.text
    ben = by_email("ben@school.example.org")
    chosen = client.post(f"/organize/{conference.slug}/claim-emails", data={"which": "chosen", "ids": [str(ben.id)]})
    assert chosen.status_code == 303 and [m["To"] for m in outbox()] == ["ben@school.example.org"]
    open_link(app.test_client(), last_link(outbox, "ben@school.example.org"))
    everyone = client.post(f"/organize/{conference.slug}/claim-emails", data={"which": "all"})
    assert everyone.headers["Location"].endswith("claims_sent=2")
    assert sorted(m["To"] for m in outbox()[1:]) == ["ana@school.example.org", "cy@school.example.org"]
    page = client.get(everyone.headers["Location"])
    assert "<strong>1</strong> of 3 imported registrants have claimed" in page.text
    assert "2 claim emails are on the way" in page.text
    assert app.test_client().post(f"/organize/{conference.slug}/claim-emails", data={"which": "all"}).status_code in (302, 403)


def test_a_provisional_profile_sees_its_own_pending_address_and_no_none(app, outbox):
    conference = make_conference()
    make_attendee(conference, email="ana@school.example.org")
    phone = app.test_client()
    phone.post(f"/{conference.slug}/join", data=join_form(conference, email="ana@school.example.org"))
    data = phone.get("/me/data.json").get_json()["profile"]
    assert data["email"] is None and data["pending_email"] == "ana@school.example.org"
    assert data["email_verified_at"] is None
    assert 'value="ana@school.example.org"' in phone.get("/me/profile").text
    digest = phone.get("/me/digest")
    assert digest.status_code == 200 and "None" not in digest.text
