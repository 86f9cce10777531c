"""Meeting in person: the organizer's frame (times, spots), 1:1 meetings and problem-of-practice huddles.

The rules the database keeps, under concurrency too, are rows that can exist once:
- a person holds at most one `Booking` per `MeetingTime` (an accepted meeting, or a seat in a huddle),
  so nobody is in two things at the same time (the organizer's times never overlap: operations.py);
- a spot's tables are numbered 1..capacity and a `TableBooking` holds one table at one time, so a spot
  never holds more than its capacity (operations pick numbers within the capacity; two people taking
  the last table at once collide on the unique key, and one is told why);
- a huddle's seats are numbered 1..size the same way (`HuddleSeat`).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.attendees.models import Attendee
from conference.events.models import utcnow
from conference.extensions import db
from conference.interests.models import Interest

MEETING_STATES = ("requested", "accepted", "declined", "countered", "cancelled")
HUDDLE_SIZES = (3, 8)


class MeetingTime(db.Model):
    """A time when meetings can happen (a break, a reception, one of "every 20 minutes from 10:00"):
    a start, in UTC like every stored time, and a length."""

    __table_args__ = (
        UniqueConstraint("conference_id", "starts_at"),
        CheckConstraint("minutes >= 5 AND minutes <= 240", name="sane_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    minutes: Mapped[int]
    label: Mapped[str] = mapped_column(String(80), default="")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


class MeetingSpot(db.Model):
    """A place to meet ("Networking lounge" with 20 tables, "Hall B café"): `capacity` meetings or
    huddles at a time, one per numbered table."""

    __table_args__ = (
        UniqueConstraint("conference_id", "name"),
        CheckConstraint("capacity >= 1 AND capacity <= 500", name="sane_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(default=1)
    retired: Mapped[bool] = mapped_column(default=False)

    def place(self, table_no: int | None) -> str:
        """'Networking lounge, table 7', or the name alone for a spot of one table."""
        if table_no is None or self.capacity == 1:
            return self.name
        return f"{self.name}, table {table_no}"


class Meeting(db.Model):
    """A 1:1 meeting `asker` asked `invitee` for, at a time and a spot. Answered once: accepted,
    declined (the asker reads "not available"), or countered (a new Meeting the other way round,
    `replaces_id` pointing here). Accepted, it holds a Booking for each and a TableBooking."""

    __table_args__ = (
        CheckConstraint("asker_id <> invitee_id", name="not_self"),
        CheckConstraint("state IN ('requested', 'accepted', 'declined', 'countered', 'cancelled')",
                        name="known_state"),
        Index("ix_meeting_invitee_state", "invitee_id", "state"),
        Index("ix_meeting_asker_state", "asker_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    invitee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    time_id: Mapped[int] = mapped_column(ForeignKey("meeting_time.id", ondelete="CASCADE"), index=True)
    spot_id: Mapped[int] = mapped_column(ForeignKey("meeting_spot.id", ondelete="CASCADE"))
    # The table the asker's sheet proposed; the accepted meeting's own is its TableBooking.
    table_no: Mapped[int | None]
    message: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(12), default="requested")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")

    asker: Mapped[Attendee] = relationship(foreign_keys=[asker_id])
    invitee: Mapped[Attendee] = relationship(foreign_keys=[invitee_id])
    time: Mapped[MeetingTime] = relationship(lazy="joined")
    spot: Mapped[MeetingSpot] = relationship(lazy="joined")


class Huddle(db.Model):
    """A problem-of-practice table: a host's question, one or two interests, a time, a spot and a size
    (3–8 seats, the host's included); a short waiting list when full."""

    __table_args__ = (
        CheckConstraint(f"size >= {HUDDLE_SIZES[0]} AND size <= {HUDDLE_SIZES[1]}", name="sane_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"), index=True)
    question: Mapped[str] = mapped_column(String(160))
    time_id: Mapped[int] = mapped_column(ForeignKey("meeting_time.id", ondelete="CASCADE"), index=True)
    spot_id: Mapped[int] = mapped_column(ForeignKey("meeting_spot.id", ondelete="CASCADE"))
    size: Mapped[int] = mapped_column(default=6)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")

    host: Mapped[Attendee | None] = relationship()
    time: Mapped[MeetingTime] = relationship(lazy="joined")
    spot: Mapped[MeetingSpot] = relationship(lazy="joined")
    interests: Mapped[list[HuddleInterest]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    seats: Mapped[list[HuddleSeat]] = relationship(cascade="all, delete-orphan", order_by="HuddleSeat.seat_no")
    waiting: Mapped[list[HuddleWaiting]] = relationship(cascade="all, delete-orphan",
                                                        order_by="HuddleWaiting.id")


class HuddleInterest(db.Model):
    huddle_id: Mapped[int] = mapped_column(ForeignKey("huddle.id", ondelete="CASCADE"), primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("interest.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)

    interest: Mapped[Interest] = relationship(lazy="joined")


class HuddleSeat(db.Model):
    """One of a huddle's numbered seats, taken by one person."""

    __table_args__ = (
        UniqueConstraint("huddle_id", "attendee_id"),
        CheckConstraint(f"seat_no >= 1 AND seat_no <= {HUDDLE_SIZES[1]}", name="seat_in_range"),
    )

    huddle_id: Mapped[int] = mapped_column(ForeignKey("huddle.id", ondelete="CASCADE"), primary_key=True)
    seat_no: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    attendee: Mapped[Attendee] = relationship()


class HuddleWaiting(db.Model):
    """A place on a full huddle's waiting list, first come first served (by id)."""

    __table_args__ = (UniqueConstraint("huddle_id", "attendee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    huddle_id: Mapped[int] = mapped_column(ForeignKey("huddle.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    attendee: Mapped[Attendee] = relationship()


class Booking(db.Model):
    """A person's place at a meeting time: at most one, so nobody is in two things at once.
    Exactly one of meeting_id (an accepted meeting) and huddle_id (a seat in a huddle) is set."""

    __table_args__ = (
        UniqueConstraint("attendee_id", "time_id"),
        CheckConstraint("(meeting_id IS NULL) <> (huddle_id IS NULL)", name="meeting_or_huddle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    time_id: Mapped[int] = mapped_column(ForeignKey("meeting_time.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    huddle_id: Mapped[int | None] = mapped_column(ForeignKey("huddle.id", ondelete="CASCADE"), index=True)


class TableBooking(db.Model):
    """One numbered table of a spot at one time, held by an accepted meeting or a huddle."""

    __table_args__ = (
        UniqueConstraint("spot_id", "time_id", "table_no"),
        CheckConstraint("table_no >= 1", name="table_in_range"),
        CheckConstraint("(meeting_id IS NULL) <> (huddle_id IS NULL)", name="meeting_or_huddle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    spot_id: Mapped[int] = mapped_column(ForeignKey("meeting_spot.id", ondelete="CASCADE"))
    time_id: Mapped[int] = mapped_column(ForeignKey("meeting_time.id", ondelete="CASCADE"), index=True)
    table_no: Mapped[int]
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), unique=True)
    huddle_id: Mapped[int | None] = mapped_column(ForeignKey("huddle.id", ondelete="CASCADE"), unique=True)


class CalendarFeed(db.Model):
    """A person's private calendar feed: the SHA-256 of a long random token in its URL. Revoking
    deletes the row; a new one makes a new URL."""

    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingNotice(db.Model):
    """A change a person is to hear about by email ("Ana asked to meet at 10:20"), kept until the
    batched mail that carries it is sent (at most one mail per person per few minutes)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    # Whom the notice is about: no mail is sent about a person who has hidden themselves.
    about_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
