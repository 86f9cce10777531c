"""What an export may say about one saved contact: only what that person chose to share."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from conference.attendees.channels import channel_href
from conference.attendees.states import state_name
from conference.contacts.models import Connection
from conference.contacts.operations import visible_channels
from conference.interests.operations import match_between
from conference.names import split_name


@dataclass
class ContactFields:
    name: str
    given: str
    family: str
    role: str
    school: str
    district: str
    state: str
    channels: dict[str, str]            # kind -> stored value
    profile_urls: dict[str, str]        # kind -> https URL, for the platforms shared
    note: str
    tags: list[str]
    shared_interests: list[str]
    met_at: str
    conference: str
    saved_at: datetime
    extra: dict = field(default_factory=dict)


def local_date(moment: datetime, tz_name: str) -> str:
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.replace(tzinfo=timezone.utc).astimezone(zone)
    return f"{local:%B} {local.day}, {local.year}"


REMOVED_NAME = "Removed attendee"


def contact_fields(connection: Connection) -> ContactFields:
    owner, contact = connection.owner, connection.contact
    conference = owner.conference  # saved contacts are always from the owner's conference
    met_at = f"Met at {conference.name}, {local_date(connection.created_at, conference.timezone)}"
    if contact is None:
        # They deleted their account: nothing about them, only the owner's own note and tags.
        return ContactFields(
            name=REMOVED_NAME, given=REMOVED_NAME, family="", role="", school="", district="", state="",
            channels={}, profile_urls={}, note=connection.note, tags=connection.tag_list, shared_interests=[],
            met_at=met_at, conference=conference.name, saved_at=connection.created_at)
    channels = {c.kind: c.value for c in visible_channels(contact, owner)}
    given, family = split_name(contact.name)
    return ContactFields(
        name=contact.name, given=given, family=family, role=contact.role_label, school=contact.school,
        district=contact.district, state=state_name(contact.state), channels=channels,
        profile_urls={k: channel_href(k, v) for k, v in channels.items()
                      if k in ("x", "instagram", "linkedin", "bluesky", "website")},
        note=connection.note, tags=connection.tag_list, shared_interests=match_between(owner, contact).shared,
        met_at=met_at, conference=conference.name, saved_at=connection.created_at)
