from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event, or_, true
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.interests.models import AttendeeInterest, InterestsMixin
from conference.names import fold, sort_key

ROLES = {
    "principal": "Principal",
    "assistant_principal": "Assistant principal",
    "aspiring_principal": "Aspiring principal",
    "teacher_leader": "Teacher leader",
    "district_leader": "District leader",
    "other": "Other school leader",
}



def role_label(role: str) -> str:
    """What a person reads for a role key (the key itself for one this release does not know)."""
    return ROLES.get(role, role)


GRADE_BANDS = {
    "prek": "Pre-K / early childhood",
    "elementary": "Elementary (K–5)",
    "middle": "Middle (6–8)",
    "prek8": "Pre-K–8 / K–8",
    "high": "High school (9–12)",
    "k12": "K–12 / district-wide",
    "other": "Other",
}

CHANNELS = {
    "phone": "Mobile phone",
    "email": "Email",
    "x": "X",
    "instagram": "Instagram",
    "voxer": "Voxer",
    "linkedin": "LinkedIn",
    "bluesky": "Bluesky",
    "website": "Website",
}

# Who may see a channel: anyone who scans me, only people I have saved (mutual), nobody.
VISIBILITIES = ("anyone", "mutual", "nobody")


# Byte order on PostgreSQL too, whatever the database's locale: a locale collation skips the spaces
# between words, and SQLite compares bytes.
NAME_KEY_TYPE = String(255).with_variant(String(255, collation="C"), "postgresql")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Attendee(InterestsMixin, db.Model):
    __table_args__ = (
        UniqueConstraint("conference_id", "email"),
        CheckConstraint(_in("role", ROLES), name="known_role"),
        CheckConstraint(f"grade_band IS NULL OR {_in('grade_band', GRADE_BANDS)}", name="known_grade_band"),
        CheckConstraint("years_in_role IS NULL OR (years_in_role >= 0 AND years_in_role <= 60)",
                        name="sane_years_in_role"),
        # The registrant list's order: its first page is read from the index, not sorted.
        Index("ix_attendee_name_order", "conference_id", "name_key"),
        # SQLite would reuse a deleted attendee's id, and a stale session holding it would then
        # sign in as the next person to join. AUTOINCREMENT never reuses ids (PostgreSQL never does).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"), index=True)
    badge_code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # NULL on a provisional row: someone joined with an address another profile here holds, and is
    # offered (by a link to that address) to sign in to it instead.
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    # An address waiting for its owner to open the link we sent to it (a change of email, or the
    # address a provisional row joined with); it becomes `email` only then.
    pending_email: Mapped[str | None] = mapped_column(String(254))
    # When a link sent to `email` was opened: until then the address is unproven (anyone can type one).
    email_verified_at: Mapped[datetime | None]
    role: Mapped[str] = mapped_column(String(32))
    school: Mapped[str] = mapped_column(String(160), default="")
    district: Mapped[str] = mapped_column(String(160), default="")
    state: Mapped[str] = mapped_column(String(4), default="")
    grade_band: Mapped[str | None] = mapped_column(String(16))
    # Pairs mentors with aspiring and early-career leaders in "people to meet".
    years_in_role: Mapped[int | None]
    # "Hide me from suggestions and from the signed-out card": never in anyone's "people to meet",
    # and a card that shows nothing identifying to people outside the conference.
    hidden: Mapped[bool] = mapped_column(default=False)
    # "People can ask me to meet": off, nobody can send a request (a hidden person gets none either).
    meeting_requests: Mapped[bool] = mapped_column(default=True, server_default=true())
    # "Email me about meetings": requests, answers, changes and cancellations, batched (conference/meetings/mail.py).
    meeting_mail: Mapped[bool] = mapped_column(default=True, server_default=true())
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Registrants an organizer imported: the last import that created or changed the row, and
    # when the person first signed in to claim it (NULL: not claimed yet). Both NULL for joiners.
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"),
                                                        index=True)
    claimed_at: Mapped[datetime | None]
    # Stored in the session cookie beside the id: bumping it (an emailed sign-in, "sign out everywhere")
    # ends every session signed in before (conference/auth/__init__.py).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Name, school and district folded to ASCII (conference/names.py) for search, and the name's
    # letters for sorting: kept with every write, so both databases search and sort alike.
    search_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    name_key: Mapped[str] = mapped_column(NAME_KEY_TYPE, default="", server_default="")

    conference: Mapped[Conference] = relationship(lazy="joined")
    interests: Mapped[list[AttendeeInterest]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    # Loaded when used: most requests need the signed-in person's interests, not their channels.
    channels: Mapped[list[Channel]] = relationship(cascade="all, delete-orphan")

    @hybrid_property
    def has_joined(self) -> bool:
        """Joined by themselves, or claimed the profile an organizer imported (a registrant who
        never did has not agreed to be suggested to anyone)."""
        return self.import_batch_id is None or self.claimed_at is not None

    @has_joined.inplace.expression
    @classmethod
    def _has_joined_expression(cls):
        return or_(cls.import_batch_id.is_(None), cls.claimed_at.is_not(None))

    @property
    def provisional(self) -> bool:
        """Joined with an address another profile here holds: they hold no address of their own yet."""
        return self.email is None

    @property
    def role_label(self) -> str:
        return role_label(self.role)

    @property
    def grade_band_label(self) -> str:
        return GRADE_BANDS.get(self.grade_band or "", "")

    def channel(self, kind: str) -> Channel | None:
        return next((c for c in self.channels if c.kind == kind), None)


def name_keys(name: str, school: str = "", district: str = "") -> dict[str, str]:
    """The search and sort keys of an attendee with these values, for writes that bypass the ORM."""
    return {"search_key": fold(" ".join((name or "", school or "", district or ""))),
            "name_key": sort_key(name)[:NAME_KEY_TYPE.length]}


@event.listens_for(Attendee, "before_insert")
@event.listens_for(Attendee, "before_update")
def _fill_name_keys(mapper, connection, attendee: Attendee) -> None:
    for key, value in name_keys(attendee.name, attendee.school, attendee.district).items():
        setattr(attendee, key, value)


class Channel(db.Model):
    """A way to reach a person (phone, X handle ...) and who may see it."""

    __table_args__ = (
        UniqueConstraint("attendee_id", "kind"),
        CheckConstraint(_in("kind", CHANNELS), name="known_kind"),
        CheckConstraint(_in("visibility", VISIBILITIES), name="known_visibility"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(300))
    visibility: Mapped[str] = mapped_column(String(8), default="anyone")

    @property
    def label(self) -> str:
        return CHANNELS[self.kind]
