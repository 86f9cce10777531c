"""Rules about a conference's life: open, closed, and how long its data is kept."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from conference.errors import DomainError
from conference.events.models import Conference


def zone_of(conference: Conference) -> ZoneInfo:
    """The conference's time zone (UTC if its name is unknown here)."""
    try:
        return ZoneInfo(conference.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(conference: Conference, moment: datetime) -> datetime:
    """A moment (naive means UTC, as stored) on the venue's clock, zone attached (%Z names it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone_of(conference))


def local_today(conference: Conference, now: datetime | None = None) -> date:
    """Today's date where the conference happens (a closing date means the venue's midnight)."""
    return local_time(conference, now or datetime.now(timezone.utc)).date()


def is_closed(conference: Conference, today: date | None = None) -> bool:
    """True once the closing date has passed (the closing date itself is still open)."""
    if conference.closes_on is None:
        return False
    return (today or local_today(conference)) > conference.closes_on


def long_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def closed_message(conference: Conference) -> str:
    message = (f"{conference.name} closed on {long_date(conference.closes_on)}: "
               "joining and saving new contacts have ended.")
    if conference.retain_until:
        message += (" Your contacts, follow-ups and circles stay here until "
                    f"{long_date(conference.retain_until)}; download them before then.")
    return message


def ensure_open(conference: Conference, today: date | None = None) -> None:
    """Raise DomainError once the conference has closed; `today` defaults to the venue's date."""
    if is_closed(conference, today):
        raise DomainError(closed_message(conference))
