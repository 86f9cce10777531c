"""Joining a conference and editing the profile a badge shows."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from conference.attendees.channels import BadChannel, normalise_channel, normalise_email
from conference.attendees.models import CHANNELS, GRADE_BANDS, ROLES, VISIBILITIES, Attendee, Channel
from conference.attendees.states import STATES
from conference.badges.operations import new_badge_code
from conference.errors import DomainError
from conference.events.models import Conference
from conference.events.operations import ensure_open
from conference.extensions import db
from conference.interests.models import AttendeeInterest, Interest
from conference.lengths import max_length, too_long


@dataclass
class ProfileInput:
    name: str
    email: str
    role: str
    school: str = ""
    district: str = ""
    state: str = ""
    grade_band: str | None = None
    years_in_role: int | None = None
    offers: set[int] = field(default_factory=set)
    seeks: set[int] = field(default_factory=set)
    # kind -> (typed value, who sees it: "anyone" | "mutual" | "nobody"; True/False mean anyone/nobody)
    channels: dict[str, tuple[str, str | bool]] = field(default_factory=dict)
    # "Hide me from suggestions and from the signed-out card"; None leaves it as it is.
    hidden: bool | None = None
    # "People can ask me to meet"; None leaves it as it is.
    meeting_requests: bool | None = None


def _visibility(shared: str | bool) -> str | None:
    """The stored visibility for what a form or a caller gave; None if it means nothing."""
    if shared is True:
        return "anyone"
    if shared is False:
        return "nobody"
    return shared if shared in VISIBILITIES else None


def _check(conference: Conference, profile: ProfileInput, attendee: Attendee | None) -> dict:
    """Every problem with `profile` at once, field -> message; and the cleaned values."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    name = " ".join(profile.name.split())
    if not name:
        errors["name"] = "Enter your name as you'd like it on your badge."
    elif len(name) > max_length(Attendee.name):
        errors["name"] = f"Your name can be at most {max_length(Attendee.name)} characters."
    cleaned["name"] = name
    try:
        cleaned["email"] = normalise_email(profile.email)
    except BadChannel as bad:
        errors["email"] = str(bad)
    if profile.role not in ROLES:
        errors["role"] = "Choose your role from the list."
    if profile.grade_band and profile.grade_band not in GRADE_BANDS:
        errors["grade_band"] = "Choose a grade band from the list."
    if profile.years_in_role is not None and not 0 <= profile.years_in_role <= 60:
        errors["years_in_role"] = "Enter the years in your current role, from 0 to 60."
    if profile.state and profile.state not in STATES:
        errors["state"] = "Choose your state from the list."
    for key, column in (("school", Attendee.school), ("district", Attendee.district)):
        value = " ".join(getattr(profile, key).split())
        if len(value) > max_length(column):
            errors[key] = too_long(column)
        cleaned[key] = value
    chosen = profile.offers | profile.seeks
    if chosen:
        allowed = set(db.session.scalars(select(Interest.id).where(
            Interest.conference_id == conference.id, Interest.id.in_(chosen))))
        # An interest retired after someone chose it stays on their profile.
        kept = {ai.interest_id for ai in attendee.interests} if attendee else set()
        if chosen - allowed - kept:
            errors["interests"] = "Some of the interests you chose are not on this conference's list. Choose again."
    channels: dict[str, tuple[str, bool]] = {}
    for kind, (typed, shared) in profile.channels.items():
        if kind not in CHANNELS:
            errors[f"channel:{kind}"] = "Unknown kind of contact channel."
            continue
        if not (typed or "").strip():
            continue
        if _visibility(shared) is None:
            errors[f"channel:{kind}_share"] = f"Choose who can see your {CHANNELS[kind].lower()}."
            continue
        try:
            channels[kind] = (normalise_channel(kind, typed), shared)
        except BadChannel as bad:
            errors[f"channel:{kind}"] = str(bad)
    cleaned["channels"] = channels
    if errors:
        first = next(iter(errors.values()))
        raise DomainError(first, errors=errors)
    return cleaned


def _apply(attendee: Attendee, profile: ProfileInput, cleaned: dict) -> None:
    attendee.name = cleaned["name"]
    attendee.role = profile.role
    attendee.school = cleaned["school"]
    attendee.district = cleaned["district"]
    attendee.state = profile.state or ""
    attendee.grade_band = profile.grade_band or None
    attendee.years_in_role = profile.years_in_role
    wanted = {i: (i in profile.offers, i in profile.seeks) for i in profile.offers | profile.seeks}
    attendee.interests = [ai for ai in attendee.interests if ai.interest_id in wanted]
    existing = {ai.interest_id: ai for ai in attendee.interests}
    for interest_id, (offers, seeks) in wanted.items():
        row = existing.get(interest_id) or AttendeeInterest(interest_id=interest_id)
        row.offers, row.seeks = offers, seeks
        if interest_id not in existing:
            attendee.interests.append(row)
    current = {c.kind: c for c in attendee.channels}
    attendee.channels = [c for c in attendee.channels if c.kind in cleaned["channels"]]
    for kind, (value, shared) in cleaned["channels"].items():
        channel = current.get(kind) or Channel(kind=kind)
        channel.value = value
        # A caller that only knows "shared" (True) keeps an existing "mutual" as it is.
        if not (shared is True and channel.visibility == "mutual"):
            channel.visibility = _visibility(shared)
        if kind not in current:
            attendee.channels.append(channel)
    if profile.hidden is not None:
        attendee.hidden = profile.hidden
    if profile.meeting_requests is not None:
        attendee.meeting_requests = profile.meeting_requests


def _address_in_use(conference: Conference, email: str) -> bool:
    return db.session.scalar(select(Attendee.id).where(
        Attendee.conference_id == conference.id, Attendee.email == email)) is not None


def join_conference(conference: Conference, profile: ProfileInput) -> Attendee:
    """Create an attendee with a fresh badge code. Raises DomainError listing every problem.

    An address another profile here holds is never refused (that would tell anyone who holds it):
    the newcomer gets a provisional profile, the address waiting as its `pending_email`, and the
    caller mails that address a link to sign in to the profile that holds it."""
    if not conference.joining_open:
        raise DomainError(f"Joining {conference.name} is closed.")
    ensure_open(conference)
    cleaned = _check(conference, profile, None)
    attendee = Attendee(conference=conference, role=profile.role, badge_code="")
    _apply(attendee, profile, cleaned)
    for _ in range(5):
        attendee.badge_code = new_badge_code()
        if _address_in_use(conference, cleaned["email"]):
            attendee.email, attendee.pending_email = None, cleaned["email"]
        else:
            attendee.email, attendee.pending_email = cleaned["email"], None
        try:
            with db.session.begin_nested():
                db.session.add(attendee)
                db.session.flush()
            return attendee
        except IntegrityError:
            pass  # a badge code collision (2^-60) or the same address joining a moment ago: again
    raise DomainError("We could not make a badge just now. Please try again.")


def update_profile(attendee: Attendee, profile: ProfileInput) -> str | None:
    """Change a profile; the badge code never changes. A new email is not taken at once: it waits as
    `pending_email` for the link sent to it. Returns that new address (None if the email stays)."""
    cleaned = _check(attendee.conference, profile, attendee)
    _apply(attendee, profile, cleaned)
    wanted = cleaned["email"]
    changed = wanted if wanted != (attendee.email or attendee.pending_email) else None
    if changed:
        attendee.pending_email = changed
    db.session.flush()
    return changed


def conference_by_slug(slug: str) -> Conference | None:
    return db.session.scalar(select(Conference).where(Conference.slug == slug))


def interest_choices(conference: Conference, attendee: Attendee | None = None) -> list[Interest]:
    """The chips to offer: current interests, plus retired ones this person already has."""
    kept = [ai.interest_id for ai in attendee.interests] if attendee else []
    return list(db.session.scalars(
        select(Interest).where(Interest.conference_id == conference.id,
                               (Interest.retired.is_(False)) | Interest.id.in_(kept))
        .order_by(Interest.position, Interest.name)))


def release_unproven_addresses(conference_id: int, emails: list[str]) -> int:
    """Self-joined profiles holding one of `emails` without having proven it lose the address (it waits
    as their pending_email): the organizer's registrant of that address gets a profile of their own.
    Returns how many profiles let an address go."""
    released = 0
    for start in range(0, len(emails), 1000):
        chunk = emails[start:start + 1000]
        released += db.session.execute(
            update(Attendee).where(Attendee.conference_id == conference_id, Attendee.email.in_(chunk),
                                   Attendee.import_batch_id.is_(None), Attendee.email_verified_at.is_(None))
            .values(pending_email=Attendee.email, email=None)
            .execution_options(synchronize_session=False)).rowcount
    return released
