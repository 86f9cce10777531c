"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise a development outbox on disk.

Requests enqueue mail (`send_mail`) for the worker; work that already runs in the background delivers it
(`deliver`), so a failure reaches the code that reports it.
"""
from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from conference.tasks import QUEUE_ERRORS, task

def mail_address(email: str) -> str:
    """The spelling of a stored address that every mail server takes: an internationalised domain
    in ASCII (punycode), as stored addresses keep it in Unicode. A non-ASCII local part stays."""
    try:
        return validate_email(email, check_deliverability=False).ascii_email or email
    except EmailNotValidError:
        return email


def masked(email: str) -> str:
    """An address as logs may show it: 'a…@school.example.org' (enough to tell a domain's mail apart,
    not enough to read who)."""
    local, at, domain = (email or "").rpartition("@")
    return f"{local[:1]}…@{domain}" if at else "…"


Attachment = tuple[str, str | bytes, str]  # (filename, content, mimetype), e.g. ("contacts.vcf", text, "text/vcard")


def send_mail(to: str, subject: str, body: str, attachment: Attachment | None = None) -> None:
    """Have the worker send a plain-text message (retried if the mail server fails for a while).

    With the queue unreachable (its Redis down), the message is sent now rather than lost."""
    try:
        _deliver_later(to, subject, body, attachment)
    except QUEUE_ERRORS:
        current_app.logger.warning("The task queue is unreachable: sending the mail to %s at once", masked(to))
        deliver(to, subject, body, attachment)


@task(retries=3, retry_delay=60)
def _deliver_later(to: str, subject: str, body: str, attachment: Attachment | None) -> None:
    deliver(to, subject, body, attachment)


def deliver(to: str, subject: str, body: str, attachment: Attachment | None = None) -> None:
    """Send a plain-text message now, or (in development and tests) drop it into the outbox folder."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = mail_address(to)
    message["Subject"] = subject
    message.set_content(body)
    if attachment is not None:
        filename, content, mimetype = attachment
        maintype, _, subtype = mimetype.partition("/")
        if isinstance(content, str):
            message.add_attachment(content, subtype=subtype, filename=filename)
        else:
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        _log_sent(to, subject, "smtp")
        return
    if config.get("APP_ENV") == "production" and not config.get("TESTING"):
        # A production server never keeps mail (and the sign-in links in it) in a folder.
        raise RuntimeError("MAIL_SERVER is not set: production sends mail over SMTP only.")
    outbox = Path(config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    safe_to = "".join(ch if ch.isalnum() else "_" for ch in to)[:60]
    path = outbox / f"{time.time_ns()}-{safe_to}.eml"
    path.write_bytes(bytes(message))
    _log_sent(to, subject, "development outbox")


def _log_sent(to: str, subject: str, how: str) -> None:
    # That a mail went, never its body: a body can hold a live sign-in link.
    current_app.logger.info("Mail sent to %s (%s): %s", masked(to), how, subject)


def outbox_messages(outbox: str | Path) -> list[EmailMessage]:
    """Messages in a development outbox, oldest first (for tests and the demo)."""
    from email import policy
    from email.parser import BytesParser
    folder = Path(outbox)
    if not folder.exists():
        return []
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]
