"""iCalendar files, for every domain that exports some: the calendar itself, reminders, the download.

Follow-ups (conference/followups) and meetings (conference/meetings/calendar.py) build their items
on these, so every .ics we serve names itself, and reminds the same way (conference/downloads.py serves them).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar


def new_calendar(product: str, name: str) -> Calendar:
    """An empty VCALENDAR: '-//PLN Connect//<product>//EN', shown in calendar apps as `name`."""
    calendar = Calendar()
    calendar.add("prodid", f"-//PLN Connect//{product}//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def reminder(trigger: timedelta, text: str) -> Alarm:
    """A pop-up reminder `trigger` from the item's start (negative: before it)."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", trigger)
    return alarm


def stamp(now: datetime) -> datetime:
    """A DTSTAMP: whole seconds (some calendar apps refuse fractions)."""
    return now.replace(microsecond=0)


def with_time_zones(calendar: Calendar, first: date, last: date) -> bytes:
    """The calendar as bytes, with a VTIMEZONE for each zone its times name, covering `first`..`last`
    (a year either side: a zone's rules for the event's own days, not fifty years of them)."""
    calendar.add_missing_timezones(first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 2, 1, 1))
    return calendar.to_ical()
