"""The emails that carry a one-time link, written and sent by the worker.

A request only enqueues one of these tasks, whatever the address: whether an address is known is
looked up here, after the response, so no answer, status or timing of the request can tell.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from conference.attendees.models import Attendee
from conference.auth.addresses import holder_of
from conference.auth.operations import attendees_for_email, issue_organizer_token, issue_sign_in_token
from conference.extensions import db
from conference.mail import deliver
from conference.organizer.access.operations import organizers_for_email
from conference.tasks import task
from conference.urls import public_url

CLAIM_MINUTES = 3 * 24 * 60  # a claim email may wait in an inbox until the conference starts


def _minutes() -> int:
    return current_app.config["SIGN_IN_LINK_MINUTES"]


def _sign_in_mail(attendee: Attendee, minutes: int, next_path: str = "") -> None:
    token = issue_sign_in_token(attendee, minutes, next_path)
    deliver(attendee.email, f"Your sign-in link for {attendee.conference.name}",
            f"Hello {attendee.name},\n\nOpen this link on the device you want to use PLN Connect on:\n\n"
            f"{public_url('auth.confirm', token=token)}\n\nIt works once, for {_lasts(minutes)}. "
            f"If you did not ask for it, ignore this email.\n")


def _lasts(minutes: int) -> str:
    return f"{minutes // (24 * 60)} days" if minutes >= 2 * 24 * 60 else f"{minutes} minutes"


@task(retries=3, retry_delay=60)
def send_sign_in_links(email: str, next_path: str = "") -> None:
    """A sign-in link to each profile that holds `email`, and one organizer link if it organizes."""
    for attendee in attendees_for_email(email):
        _sign_in_mail(attendee, _minutes(), next_path)
    organizers = organizers_for_email(email)
    if organizers:
        wanted = next_path if (next_path or "").startswith("/organize") else ""
        token = issue_organizer_token(organizers[0], _minutes(), wanted)
        names = ", ".join(o.conference.name for o in organizers)
        deliver(organizers[0].email, "Your organizer sign-in link for PLN Connect",
                f"Hello,\n\nOpen this link to sign in to the organizer console ({names}):\n\n"
                f"{public_url('auth.confirm', token=token)}\n\nIt works once, for {_minutes()} minutes. "
                f"If you did not ask for it, ignore this email.\n")
    db.session.commit()


@task(retries=3, retry_delay=60)
def send_joined_again_link(joined_id: int) -> None:
    """After every join (so that a join takes as long whatever the address): if the newcomer's address
    is held by another profile here, a link to that address signs in to it (and brings along what the
    provisional profile saved, on the phone that opens it)."""
    joined = db.session.get(Attendee, joined_id)
    if joined is None or not joined.provisional:
        return
    attendee = holder_of(joined.conference_id, joined.pending_email)
    if attendee is None:
        return
    minutes = _minutes()
    token = issue_sign_in_token(attendee, minutes)
    deliver(attendee.email, f"Your sign-in link for {attendee.conference.name}",
            f"Hello,\n\nSomeone (maybe you) just joined {attendee.conference.name} on PLN Connect with this "
            f"email address. You already have a profile there. Open this link on that phone to sign in "
            f"to your profile; anyone saved on the phone since comes along:\n\n"
            f"{public_url('auth.confirm', token=token)}\n\nIt works once, for {minutes} minutes. "
            f"If it was not you, ignore this email: nobody can use your profile without this link.\n")
    db.session.commit()


@task(retries=3, retry_delay=60)
def send_claim_links(attendee_ids: list[int]) -> int:
    """A claim email to each imported registrant who has not claimed their profile yet. Returns how many went."""
    sent = 0
    for start in range(0, len(attendee_ids), 500):
        for attendee in db.session.scalars(select(Attendee).where(
                Attendee.id.in_(attendee_ids[start:start + 500]), Attendee.import_batch_id.is_not(None),
                Attendee.claimed_at.is_(None), Attendee.email.is_not(None))):
            token = issue_sign_in_token(attendee, CLAIM_MINUTES)
            deliver(attendee.email, f"Your profile for {attendee.conference.name} is ready",
                    f"Hello {attendee.name},\n\n{attendee.conference.name} registered you on PLN Connect, the "
                    f"app for saving the people you meet there. Your badge is ready. Open this link on your "
                    f"phone to claim your profile:\n\n{public_url('auth.confirm', token=token)}\n\n"
                    f"It works once, for {_lasts(CLAIM_MINUTES)}. Later, sign in any time at "
                    f"{public_url('auth.request_link')} with this email.\n")
            db.session.commit()
            sent += 1
    return sent


@task(retries=3, retry_delay=60)
def send_claim_link(badge_code: str) -> None:
    """"Is this you?" on an unclaimed card: a sign-in link to the address the organizer has for that badge."""
    attendee = db.session.scalar(select(Attendee).where(Attendee.badge_code == badge_code))
    if attendee is None or attendee.import_batch_id is None or attendee.claimed_at is not None \
            or attendee.email is None:
        return
    _sign_in_mail(attendee, _minutes())
    db.session.commit()


@task(retries=3, retry_delay=60)
def send_email_change_link(attendee_id: int, new_email: str) -> None:
    """A link to the new address; the profile's email changes only when it is opened."""
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None:
        return
    minutes = _minutes()
    token = issue_sign_in_token(attendee, minutes, new_email=new_email)
    deliver(new_email, f"Confirm your new email for {attendee.conference.name}",
            f"Hello {attendee.name},\n\nOpen this link to make this your email on PLN Connect "
            f"({attendee.conference.name}):\n\n{public_url('auth.confirm', token=token)}\n\n"
            f"It works once, for {minutes} minutes. If you did not ask for it, ignore this email: "
            f"nothing changes.\n")
    db.session.commit()
