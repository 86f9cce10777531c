"""Circles: create, fill, and take a circle home (vCard, a group text, handles to copy)."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from conference.attendees.channels import channel_display
from conference.attendees.models import Attendee
from conference.circles.models import Circle, CircleMember
from conference.contacts.models import Connection
from conference.contacts.operations import visible_channels
from conference.errors import DomainError
from conference.exports.contact_fields import contact_fields
from conference.exports.vcard import vcards
from conference.extensions import db
from conference.lengths import max_length
from conference.privacy.operations import data_section

NAME_LIMIT = max_length(Circle.name)
CIRCLE_LIMIT = 50
HANDLE_KINDS = ("voxer", "x", "instagram")


def clean_name(text: str | None) -> str:
    name = " ".join((text or "").split())
    if not name:
        raise DomainError("Give the circle a name, like “Early-career principals, Region 5”.", field="name")
    if len(name) > NAME_LIMIT:
        raise DomainError(f"A circle's name can be at most {NAME_LIMIT} characters; this one has {len(name)}.",
                          field="name")
    return name


def _name_taken(owner: Attendee, name: str) -> bool:
    return db.session.scalar(select(Circle.id).where(
        Circle.owner_id == owner.id, func.lower(Circle.name) == name.lower())) is not None


def create_circle(owner: Attendee, name: str) -> Circle:
    """A new, empty circle. Names are unique per owner (ignoring case)."""
    name = clean_name(name)
    taken = DomainError(f"You already have a circle called “{name}”. Choose another name.", field="name")
    if _name_taken(owner, name):
        raise taken
    count = db.session.scalar(select(func.count()).select_from(Circle).where(Circle.owner_id == owner.id))
    if count >= CIRCLE_LIMIT:
        raise DomainError(f"You can have up to {CIRCLE_LIMIT} circles. Delete one you no longer use.", field="name")
    circle = Circle(owner_id=owner.id, name=name)
    try:
        with db.session.begin_nested():
            db.session.add(circle)
            db.session.flush()
    except IntegrityError:
        raise taken from None
    return circle


def owned_circle(owner: Attendee, circle_id: int) -> Circle:
    """One of `owner`'s circles; anyone else's looks like a missing one."""
    circle = db.session.scalar(select(Circle).where(Circle.id == circle_id, Circle.owner_id == owner.id))
    if circle is None:
        raise DomainError("That circle is not yours.")
    return circle


def delete_circle(owner: Attendee, circle_id: int) -> None:
    """Delete a circle; its members stay in the contacts."""
    db.session.delete(owned_circle(owner, circle_id))
    db.session.flush()


def circles_for(owner: Attendee) -> list[tuple[Circle, int]]:
    """`owner`'s circles by name, with how many members each has."""
    counts = (select(CircleMember.circle_id, func.count().label("n")).group_by(CircleMember.circle_id)
              .subquery())
    rows = db.session.execute(
        select(Circle, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.circle_id == Circle.id)
        .where(Circle.owner_id == owner.id).order_by(func.lower(Circle.name)))
    return [(circle, n) for circle, n in rows]


def add_members(owner: Attendee, circle_id: int, connection_ids: set[int]) -> int:
    """Put some of `owner`'s contacts in a circle; returns how many were new to it."""
    circle = owned_circle(owner, circle_id)
    if not connection_ids:
        raise DomainError("Choose at least one contact to add.", field="members")
    mine = set(db.session.scalars(select(Connection.id).where(
        Connection.owner_id == owner.id, Connection.id.in_(connection_ids))))
    if connection_ids - mine:
        raise DomainError("Some of those people are not in your contacts. Reload the page and choose again.",
                          field="members")
    already = {m.connection_id for m in circle.members}
    new = mine - already
    for connection_id in sorted(new):
        circle.members.append(CircleMember(connection_id=connection_id))
    db.session.flush()
    return len(new)


def remove_member(owner: Attendee, circle_id: int, connection_id: int) -> None:
    circle = owned_circle(owner, circle_id)
    db.session.execute(delete(CircleMember).where(CircleMember.circle_id == circle.id,
                                                  CircleMember.connection_id == connection_id))
    db.session.expire(circle, ["members"])
    db.session.flush()


def members_of(circle: Circle) -> list[Connection]:
    """The circle's contacts by name; accounts deleted since are left out."""
    connections = db.session.scalars(
        select(Connection).join(CircleMember, CircleMember.connection_id == Connection.id)
        .where(CircleMember.circle_id == circle.id)
        .options(selectinload(Connection.contact).selectinload(Attendee.channels),
                 selectinload(Connection.contact).selectinload(Attendee.interests)))
    present = [c for c in connections if c.contact is not None]
    return sorted(present, key=lambda c: c.contact.name.lower())


def candidates_for(owner: Attendee, circle: Circle) -> list[Connection]:
    """`owner`'s contacts not yet in the circle, by name."""
    inside = select(CircleMember.connection_id).where(CircleMember.circle_id == circle.id)
    connections = db.session.scalars(
        select(Connection).where(Connection.owner_id == owner.id, Connection.id.not_in(inside))
        .options(selectinload(Connection.contact)))
    return sorted((c for c in connections if c.contact is not None), key=lambda c: c.contact.name.lower())


@dataclass
class GroupText:
    href: str | None                  # RFC 5724: sms:+1...,+1...  (Android, and iPhone on iOS 16+)
    ios_href: str | None              # sms://open?addresses=... (older iPhones)
    numbers: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)   # members who shared no number with the owner


def group_text(owner: Attendee, members: list[Connection]) -> GroupText:
    """An sms: link to text the circle, from the numbers each member chose to share with `owner`."""
    numbers, without = [], []
    for connection in members:
        phone = next((c.value for c in visible_channels(connection.contact, owner) if c.kind == "phone"), None)
        if phone:
            if phone not in numbers:
                numbers.append(phone)
        else:
            without.append(connection.contact.name)
    if not numbers:
        return GroupText(None, None, [], without)
    joined = ",".join(quote(n, safe="+") for n in numbers)
    return GroupText(f"sms:{joined}", f"sms://open?addresses={joined}", numbers, without)


@dataclass
class Handles:
    by_kind: dict[str, list[tuple[str, str]]]      # kind -> [(name, "@handle")]

    def text(self) -> str:
        """One block to paste into a group chat or a notes app."""
        labels = {"voxer": "Voxer", "x": "X", "instagram": "Instagram"}
        lines = []
        for kind in HANDLE_KINDS:
            people = self.by_kind.get(kind) or []
            if people:
                lines.append(f"{labels[kind]}: " + ", ".join(handle for _, handle in people))
        return "\n".join(lines)


def handles_of(owner: Attendee, members: list[Connection]) -> Handles:
    """Members' Voxer, X and Instagram handles, only where shared with `owner`."""
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for connection in members:
        for channel in visible_channels(connection.contact, owner):
            if channel.kind in HANDLE_KINDS:
                by_kind.setdefault(channel.kind, []).append(
                    (connection.contact.name, channel_display(channel.kind, channel.value)))
    return Handles(by_kind)


def circle_vcards(owner: Attendee, circle: Circle) -> str:
    """The circle as one .vcf; each card carries the circle's name as a category (a group in Contacts)."""
    many = []
    for connection in members_of(circle):
        fields = contact_fields(connection)
        fields.tags = [*fields.tags, circle.name]
        many.append(fields)
    return vcards(many)


@data_section("circles")
def _my_circles(owner: Attendee) -> list[dict]:
    """For the /me/data download."""
    return [{"name": circle.name, "members": [c.contact.name for c in members_of(circle)]}
            for circle, _ in circles_for(owner)]
