"""Who may open organizer pages: every route in the URL map, for every kind of visitor."""
import re

import pytest
from sqlalchemy import select

from conference.auth.models import SignInToken
from conference.extensions import db
from conference.organizer.access.models import Organizer
from tests.factories import make_attendee, make_conference, sign_in_as
from tests.organizer_factories import make_organizer, sign_in_organizer


def organizer_urls(app, slug: str) -> list[tuple[str, str]]:
    """(method, url) for every organizer route, with sample values for its arguments."""
    samples = {"slug": slug, "job_id": 1, "interest_id": 1, "time_id": 1, "spot_id": 1, "action": "retire",
               "token": "no-such-file"}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("organizer."):
            continue
        values = {name: samples[name] for name in rule.arguments}
        with app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    return urls


def test_the_url_map_has_organizer_routes(app):
    urls = organizer_urls(app, "x")
    assert len(urls) >= 18
    assert all(url.startswith("/organize/") for _, url in urls)


def test_anonymous_visitors_go_to_sign_in(client, app):
    conference = make_conference()
    for method, url in organizer_urls(app, conference.slug):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/signin?next="), (method, url)


def test_attendees_get_403_everywhere(client, app):
    conference = make_conference()
    sign_in_as(client, make_attendee(conference))
    for method, url in organizer_urls(app, conference.slug):
        response = client.open(url, method=method)
        assert response.status_code == 403, (method, url)
        assert "Organizers only" in response.text


def test_organizers_of_another_conference_get_403(client, app):
    mine, theirs = make_conference(), make_conference()
    sign_in_organizer(client, make_organizer(theirs))
    for method, url in organizer_urls(app, mine.slug):
        if url == "/organize/":
            continue  # their own list of conferences
        response = client.open(url, method=method)
        assert response.status_code == 403, (method, url)
    assert db.session.scalar(select(Organizer).where(Organizer.conference_id == mine.id)) is None


def test_an_organizer_opens_every_page(client, app):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    for method, url in organizer_urls(app, conference.slug):
        if method != "GET" or re.search(r"/badges/1|interests/1|import/no-such-file", url):
            continue
        response = client.get(url)
        assert response.status_code in (200, 302), url
        if response.status_code == 200 and response.mimetype == "text/html":
            assert 'class="console-nav"' in response.text or url == "/organize/"
            assert 'class="tabbar"' not in response.text


def test_organizer_and_attendee_in_one_session(client, app):
    conference = make_conference()
    ana = make_attendee(conference)
    sign_in_as(client, ana)
    sign_in_organizer(client, make_organizer(conference, email=ana.email))
    assert client.get(f"/organize/{conference.slug}/").status_code == 200
    assert client.get("/me/badge").status_code == 200


def test_an_unknown_conference_is_404_for_organizers(client):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    assert client.get("/organize/no-such-conference/").status_code == 404


def test_sign_in_link_for_an_organizer(client, app, outbox):
    conference = make_conference(name="Pre-K–8 Principals Conference")
    make_organizer(conference, email="staff@association.example.org")
    response = client.post("/signin", data={"email": "Staff@Association.example.org", "next": ""})
    assert response.status_code == 200
    messages = outbox()
    assert len(messages) == 1 and messages[0]["To"] == "staff@association.example.org"
    body = messages[0].get_body().get_content()
    token = re.search(r"https://pln\.example\.org/signin/(\S+)", body).group(1)
    assert "organizer console" in body
    stored = db.session.scalar(select(SignInToken))
    assert stored.organizer_id is not None and stored.attendee_id is None
    assert "organizer console" in client.get(f"/signin/{token}").text
    signed = client.post(f"/signin/{token}")
    assert signed.status_code == 303 and signed.headers["Location"] == "/organize/"
    assert client.get("/organize/").headers["Location"] == f"/organize/{conference.slug}/"
    assert client.get(f"/organize/{conference.slug}/").status_code == 200
    assert client.post(f"/signin/{token}").status_code == 410  # once only


def test_attendee_link_keeps_the_organizer_signed_in(client, app, outbox):
    conference = make_conference()
    ana = make_attendee(conference, email="ana@school.example.org")
    sign_in_organizer(client, make_organizer(conference, email="ana@school.example.org"))
    client.post("/signin", data={"email": "ana@school.example.org"})
    bodies = [m.get_body().get_content() for m in outbox()]
    assert len(bodies) == 2  # one for the attendee, one for the organizer
    attendee_body = next(b for b in bodies if "organizer console" not in b)
    token = re.search(r"/signin/(\S+)", attendee_body).group(1)
    assert client.post(f"/signin/{token}").status_code == 303
    with client.session_transaction() as session:
        assert session["attendee_id"] == ana.id and session["organizer_id"]


def test_a_token_is_for_exactly_one_person(app):
    from datetime import timedelta
    from sqlalchemy.exc import IntegrityError
    from conference.events.models import utcnow
    db.session.add(SignInToken(token_hash="x" * 64, expires_at=utcnow() + timedelta(minutes=5)))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_create_organizer_command(app):
    conference = make_conference()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-organizer", "New.Person@Association.example.org", "--conference",
                                 conference.slug])
    assert result.exit_code == 0, result.output
    assert "new.person@association.example.org now organizes" in result.output
    assert "/signin/" in result.output
    again = runner.invoke(args=["create-organizer", "new.person@association.example.org", "--conference",
                                conference.slug])
    assert again.exit_code != 0 and "already an organizer" in again.output
    missing = runner.invoke(args=["create-organizer", "a@b.org", "--conference", "nope"])
    assert missing.exit_code != 0 and "No conference" in missing.output
    created = runner.invoke(args=["create-organizer", "a@b.org", "--conference", "state-2027",
                                  "--create", "State Principals Summit 2027"])
    assert created.exit_code == 0, created.output
    assert db.session.scalar(select(Organizer).where(Organizer.email == "a@b.org")).conference.slug == "state-2027"


def test_invite_another_organizer(client, app, outbox):
    conference = make_conference()
    sign_in_organizer(client, make_organizer(conference))
    response = client.post(f"/organize/{conference.slug}/organizers", data={"email": "colleague@association.example.org"})
    assert response.status_code == 303
    invited = db.session.scalar(select(Organizer).where(Organizer.email == "colleague@association.example.org"))
    assert invited.conference_id == conference.id and invited.invited_by_id is not None
    body = outbox()[-1].get_body().get_content()
    token = re.search(r"/signin/(\S+)", body).group(1)
    other = app.test_client()
    assert other.post(f"/signin/{token}").headers["Location"] == f"/organize/{conference.slug}/"
    assert other.get(f"/organize/{conference.slug}/").status_code == 200
    bad = client.post(f"/organize/{conference.slug}/organizers", data={"email": "not-an-email"})
    assert bad.status_code == 422 and "not-an-email" in bad.text and "There is a problem" in bad.text
    twice = client.post(f"/organize/{conference.slug}/organizers", data={"email": "colleague@association.example.org"})
    assert twice.status_code == 422 and "already an organizer" in twice.text
