"""Sign-in on a new device: a one-time emailed link, 15 minutes, single use, stored hashed."""
import re
from datetime import timedelta

from sqlalchemy import select

from conference.auth.models import SignInToken
from conference.events.models import utcnow
from conference.extensions import db
from tests.factories import make_attendee, make_conference


def ask_for_link(client, outbox, email):
    response = client.post("/signin", data={"email": email, "next": "/me/contacts"})
    assert response.status_code == 200
    messages = outbox()
    if not messages:
        return response, None
    body = messages[-1].get_body().get_content()
    return response, re.search(r"https://pln\.example\.org/signin/(\S+)", body).group(1)


def test_link_signs_in_once_and_goes_to_next(client, app, outbox):
    conference = make_conference()
    ana = make_attendee(conference, email="ana@school.example.org", name="Ana Ruiz")
    response, token = ask_for_link(client, outbox, "ANA@School.example.org ")
    assert "Check your email" in response.text
    assert outbox()[-1]["To"] == "ana@school.example.org"
    stored = db.session.scalar(select(SignInToken))
    assert stored.token_hash != token and len(stored.token_hash) == 64  # hashed, never the token
    confirm = client.get(f"/signin/{token}")
    assert confirm.status_code == 200 and "Sign in as Ana Ruiz" in confirm.text
    signed = client.post(f"/signin/{token}")
    assert signed.status_code == 303 and signed.headers["Location"] == "/me/contacts"
    assert client.get("/me/badge").status_code == 200
    other = app.test_client()
    reused = other.post(f"/signin/{token}")
    assert reused.status_code == 410 and "already used" in reused.text
    assert other.get("/me/badge").status_code == 302


def test_expired_link_is_refused_with_a_way_forward(client, app, outbox):
    make_attendee(make_conference(), email="ana@school.example.org")
    _, token = ask_for_link(client, outbox, "ana@school.example.org")
    stored = db.session.scalar(select(SignInToken))
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    for method in (client.get, client.post):
        response = method(f"/signin/{token}")
        assert response.status_code == 410
        assert "expired" in response.text and "Email me a sign-in link" in response.text
    assert client.get("/me/badge").status_code == 302


def test_link_lasts_fifteen_minutes(client, app, outbox):
    make_attendee(make_conference(), email="ana@school.example.org")
    ask_for_link(client, outbox, "ana@school.example.org")
    stored = db.session.scalar(select(SignInToken))
    lifetime = stored.expires_at - stored.created_at
    assert timedelta(minutes=14, seconds=59) <= lifetime <= timedelta(minutes=15, seconds=1)


def test_unknown_email_gets_the_same_answer_and_no_mail(client, app, outbox):
    make_attendee(make_conference(), email="ana@school.example.org")
    known, _ = ask_for_link(client, outbox, "ana@school.example.org")
    unknown, token = ask_for_link(client, outbox, "nobody@school.example.org")
    assert len(outbox()) == 1
    strip = lambda text: text.replace("nobody@school.example.org", "X").replace("ana@school.example.org", "X")
    assert strip(known.text) == strip(unknown.text)


def test_malformed_email_and_bogus_tokens(client, app, outbox):
    response = client.post("/signin", data={"email": "ana@@school"})
    assert response.status_code == 422 and 'value="ana@@school"' in response.text
    assert client.get("/signin/not-a-real-token").status_code == 410
    assert "not valid" in client.post("/signin/not-a-real-token").text


def test_next_only_goes_to_our_own_paths(client, app, outbox):
    make_attendee(make_conference(), email="ana@school.example.org")
    for target in ("https://evil.example.com/", "//evil.example.com", "/\\evil.example.com"):
        client.post("/signin", data={"email": "ana@school.example.org", "next": target})
        body = outbox()[-1].get_body().get_content()
        token = re.search(r"/signin/(\S+)", body).group(1)
        response = app.test_client().post(f"/signin/{token}")
        assert response.headers["Location"] == "/me/badge", target


def test_sign_out(client, app):
    from tests.factories import sign_in_as
    sign_in_as(client, make_attendee(make_conference()))
    assert client.get("/me/badge").status_code == 200
    assert client.post("/signout").status_code == 303
    assert client.get("/me/badge").status_code == 302


def test_smtp_is_used_when_mail_server_is_set(app, monkeypatch):
    """Outside services may be faked: here the SMTP server, so the SMTP path runs for real otherwise."""
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("send", message["To"], message["Subject"]))

    import conference.mail
    monkeypatch.setattr(conference.mail.smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_PORT=587, MAIL_USERNAME="u", MAIL_PASSWORD="p")
    make_attendee(make_conference(), email="ana@school.example.org")
    app.test_client().post("/signin", data={"email": "ana@school.example.org"})
    assert sent[0] == ("connect", "smtp.example.org", 587)
    assert ("starttls",) in sent and ("login", "u") in sent
    assert sent[-1][0:2] == ("send", "ana@school.example.org")
