from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from conference.events.models import utcnow
from conference.extensions import db


class ScanReceipt(db.Model):
    """A queued scan the server has saved, by the UUID the phone made for it: a resent scan saves nothing new."""

    __table_args__ = (UniqueConstraint("owner_id", "client_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    client_uuid: Mapped[uuid.UUID] = mapped_column(Uuid)
    contact_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    scanned_at: Mapped[datetime | None]  # the phone's clock, when it was plausible
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
