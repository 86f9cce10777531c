from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from conference.events.models import utcnow
from conference.extensions import db


class RetiredBadgeCode(db.Model):
    """The badge code of a deleted account: never issued again, so an old printed badge stays dead."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)
