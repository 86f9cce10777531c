"""The digest: what the email says and carries, sending once, and one failing address."""
import os
import socketserver
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
import vobject
from sqlalchemy import func, select

from conference.contacts.operations import save_contact
from conference.digest.models import DigestDelivery
from conference.extensions import db
from conference.followups.operations import add_follow_up
from tests.factories import make_attendee, make_conference, sign_in_as

ROOT = Path(__file__).resolve().parent.parent
AFTER = "2026-07-12"   # the factory conference runs July 9-11, 2026


class FakeSMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP: refuses recipients containing the server's `refuse` text, keeps the rest."""

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        self.reply("220 fake.example ESMTP")
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.upper()
            if verb.startswith(("EHLO", "HELO")):
                self.reply("250 fake.example")
            elif verb.startswith("RCPT TO"):
                refused = self.server.refuse and self.server.refuse in command.lower()
                self.reply("550 5.1.1 No such mailbox" if refused else "250 OK")
            elif verb == "DATA":
                self.reply("354 Go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.received.append(data)
                self.reply("250 Queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # MAIL FROM, RSET, NOOP
                self.reply("250 OK")


@pytest.fixture
def smtp(app):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeSMTPHandler)
    server.daemon_threads = True
    server.received, server.refuse = [], "bounce@"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.server_address[1], MAIL_USE_TLS=False,
                      MAIL_USERNAME="")
    yield server
    server.shutdown()
    server.server_close()


def network(conference, email="ana@school.example.org"):
    """Ana saved Maya (who shares a phone) and Wei (who shares nothing), with notes and a follow-up."""
    ana = make_attendee(conference, name="Ana Ruiz", email=email)
    maya = make_attendee(conference, name="Maya Johnson", school="Lincoln Elementary",
                         channels={"phone": ("(202) 555-0143", True), "x": ("maya_leads", True)})
    wei = make_attendee(conference, name="Wei Chen", channels={"phone": ("(202) 555-0199", False)})
    connection = save_contact(ana, maya, "Promised to send the master schedule template.")
    save_contact(ana, wei, "Voxer group for early-career principals?")
    add_follow_up(ana, connection.id, "Send our master schedule template", "2026-07-17", today=date(2026, 7, 10))
    db.session.commit()
    return ana, maya, wei


def send(app, conference, today=AFTER):
    return app.test_cli_runner().invoke(args=["send-digests", "--conference", conference.slug, "--today", today])


def test_outbox_has_one_digest_with_notes_follow_ups_and_a_vcard(app, outbox):
    conference = make_conference()
    ana, maya, wei = network(conference)
    conference.closes_on, conference.retain_until = date(2026, 7, 11), date(2026, 10, 31)
    db.session.commit()
    result = send(app, conference)
    assert result.exit_code == 0, result.output
    assert "Sent 1 digests" in result.output and "2 attendees had nothing to send" in result.output
    [message] = outbox()
    assert message["To"] == "ana@school.example.org"
    assert message["Subject"] == f"Your network from {conference.name}"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Ana," in body
    assert "Maya Johnson · Principal, Lincoln Elementary" in body
    assert "Your note: Promised to send the master schedule template." in body
    assert "Fri, Jul 17: Send our master schedule template (Maya Johnson)" in body
    assert "Phone: (202) 555-0143" in body and "X: https://x.com/maya_leads" in body
    assert "555-0199" not in body  # Wei did not share a number
    assert "Saturday, October 31, 2026" in body
    assert "https://pln.example.org/me/contacts" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename().endswith("-contacts.vcf")
    assert attachment.get_content_type() == "text/vcard"
    cards = {card.fn.value: card for card in vobject.readComponents(attachment.get_content())}
    assert set(cards) == {"Maya Johnson", "Wei Chen"}
    assert cards["Maya Johnson"].tel.value == "+12025550143" and "tel" not in cards["Wei Chen"].contents


def test_running_again_sends_nothing_twice(app, outbox):
    conference = make_conference()
    network(conference)
    assert send(app, conference).exit_code == 0
    again = send(app, conference)
    assert again.exit_code == 0
    assert "Sent 0 digests; 1 sent before" in again.output
    assert len(outbox()) == 1
    assert db.session.scalar(select(func.count()).select_from(DigestDelivery)) == 1


def test_one_failing_address_does_not_stop_the_rest_and_is_reported(app, smtp):
    conference = make_conference()
    network(conference, email="first@school.example.org")
    network(conference, email="bounce@school.example.org")
    network(conference, email="third@school.example.org")
    result = send(app, conference)
    assert result.exit_code == 1
    assert "Sent 2 digests" in result.output
    assert "FAILED bounce@school.example.org: SMTPRecipientsRefused" in result.output
    assert "Run the command again to retry them" in result.output
    assert len(smtp.received) == 2
    delivered = set(db.session.scalars(select(DigestDelivery.attendee_id)))
    assert len(delivered) == 2
    smtp.refuse = None   # the mailbox works again: only the missing digest goes out
    retry = send(app, conference)
    assert retry.exit_code == 0 and "Sent 1 digests; 2 sent before" in retry.output
    assert len(smtp.received) == 3
    assert b"bounce@school.example.org" in smtp.received[-1]


def test_digests_wait_for_the_last_day(app, outbox):
    conference = make_conference()
    network(conference)
    early = send(app, conference, today="2026-07-10")
    assert early.exit_code == 1 and "send the digests from that day on" in early.output
    assert outbox() == [] and db.session.scalar(select(DigestDelivery)) is None
    assert send(app, conference, today="2026-07-11").exit_code == 0
    unknown = app.test_cli_runner().invoke(args=["send-digests", "--conference", "nope"])
    assert unknown.exit_code == 1 and "No conference has the slug" in unknown.output


def test_preview_in_the_browser(client, outbox):
    conference = make_conference()
    ana, maya, wei = network(conference)
    sign_in_as(client, ana)
    page = client.get("/me/digest")
    assert page.status_code == 200
    assert f"Your network from {conference.name}" in page.text
    assert "Promised to send the master schedule template." in page.text
    assert "Send our master schedule template (Maya Johnson)" in page.text
    assert "-contacts.vcf" in page.text
    assert outbox() == []  # previewing sends nothing
    sign_in_as(client, maya)
    assert "Nothing to send yet" in client.get("/me/digest").text
    client.get("/signout")
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/me/digest").status_code == 302


def test_a_worker_process_sends_the_batches_and_each_digest_once(tmp_path, _schema):
    """`flask send-digests` enqueues one task per batch; a real worker (two threads) sends them."""
    from tests.browser.conftest import make_live_app  # a database other processes can open
    from tests.conftest import empty_database, test_config
    from conference import create_app
    queue = f"sqlite:///{tmp_path / 'tasks.sqlite3'}"
    app = make_live_app(tmp_path, TASKS_IMMEDIATE=False, TASK_QUEUE_URL=queue, DIGEST_BATCH_SIZE=2)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "TASK_QUEUE_URL": queue,
           "SECRET_KEY": "test-secret", "PUBLIC_BASE_URL": "https://pln.example.org", "MAIL_SERVER": "",
           "MAIL_OUTBOX": app.config["MAIL_OUTBOX"]}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "2"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with app.app_context():
            conference = make_conference()
            emails = [f"w{n}@school.example.org" for n in range(5)]
            for email in emails:
                network(conference, email=email)
            result = app.test_cli_runner().invoke(args=["send-digests", "--conference", conference.slug,
                                                        "--today", AFTER])
            assert result.exit_code == 0, result.output
            assert "Sent 5 digests" in result.output
            from conference.mail import outbox_messages
            assert sorted(m["To"] for m in outbox_messages(app.config["MAIL_OUTBOX"])) == sorted(emails)
            assert db.session.scalar(select(func.count()).select_from(DigestDelivery)) == 5
            again = app.test_cli_runner().invoke(args=["send-digests", "--conference", conference.slug,
                                                       "--today", AFTER])
            assert "Sent 0 digests; 5 sent before" in again.output
    finally:
        worker.kill()
        worker.wait()
        with app.app_context():
            empty_database()
            db.engine.dispose()
        create_app(test_config(tmp_path))  # later tests run tasks at once again
