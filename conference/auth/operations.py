"""One-time sign-in links: 15 minutes, single use, stored hashed."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from conference.attendees.channels import BadChannel, normalise_email
from conference.attendees.models import Attendee
from conference.auth.addresses import mark_verified
from conference.auth.models import SignInToken
from conference.errors import DomainError
from conference.events.models import utcnow
from conference.extensions import db
from conference.lengths import max_length
from conference.privacy.operations import data_section, when


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def safe_next(path: str | None) -> str:
    """Only our own paths: '/x', never '//host' or 'http://host'.

    Browsers drop tabs and line breaks from URLs, so '/<tab>/host' would become '//host': no
    whitespace or control characters at all."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return ""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return ""
    return path[:max_length(SignInToken.next_path)]


def issue_sign_in_token(attendee: Attendee, minutes: int, next_path: str = "", new_email: str | None = None) -> str:
    """A new token for `attendee` (confirming `new_email` as their address, if given); only its hash
    is stored. Returns the token for the link."""
    token = secrets.token_urlsafe(32)
    db.session.add(SignInToken(attendee_id=attendee.id, token_hash=_hash(token),
                               next_path=safe_next(next_path), new_email=new_email,
                               expires_at=utcnow() + timedelta(minutes=minutes)))
    db.session.flush()
    return token


def issue_organizer_token(organizer, minutes: int, next_path: str = "") -> str:
    """A new sign-in token for an organizer (same rules as an attendee's)."""
    token = secrets.token_urlsafe(32)
    db.session.add(SignInToken(organizer_id=organizer.id, token_hash=_hash(token),
                               next_path=safe_next(next_path),
                               expires_at=utcnow() + timedelta(minutes=minutes)))
    db.session.flush()
    return token


def attendees_for_email(email: str) -> list[Attendee]:
    try:
        email = normalise_email(email or "")
    except BadChannel:
        return []
    return list(db.session.scalars(
        select(Attendee).where(Attendee.email == email).order_by(Attendee.joined_at.desc())))


def token_for(token: str) -> SignInToken:
    """The stored token for a link, or DomainError saying why it can't be used."""
    found = db.session.scalar(select(SignInToken).where(SignInToken.token_hash == _hash(token or "")))
    if found is None:
        raise DomainError("This sign-in link is not valid. Ask for a new one below.")
    if found.used_at is not None:
        raise DomainError("This sign-in link was already used. Each link works once: ask for a new one below.")
    if found.expires_at < utcnow():
        raise DomainError("This sign-in link has expired (links last 15 minutes). Ask for a new one below.")
    return found


def redeem_sign_in_token(token: str) -> SignInToken:
    """Use up a token exactly once, even if two requests race for it."""
    found = token_for(token)
    used = db.session.execute(
        update(SignInToken).where(SignInToken.id == found.id, SignInToken.used_at.is_(None))
        .values(used_at=utcnow()))
    if used.rowcount != 1:
        raise DomainError("This sign-in link was already used. Each link works once: ask for a new one below.")
    attendee = found.attendee
    if attendee is not None and found.new_email is None:
        mark_verified(attendee)  # the link went to the attendee's address
        if attendee.import_batch_id is not None and attendee.claimed_at is None:
            attendee.claimed_at = utcnow()  # an imported registrant claims their profile
    db.session.flush()
    return found


@data_section("sign_in_links")
def sign_in_links_of(attendee: Attendee) -> list[dict]:
    """The /me/data section of sign-in links sent to `attendee`: when each was made, expires and was used."""
    tokens = db.session.scalars(select(SignInToken).where(SignInToken.attendee_id == attendee.id)
                                .order_by(SignInToken.created_at))
    return [{"created_at": when(t.created_at), "expires_at": when(t.expires_at), "used_at": when(t.used_at)}
            for t in tokens]
