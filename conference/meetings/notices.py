"""What people hear about by email when a meeting or a huddle changes: a notice row now, one batched
mail per person later (sent by the worker)."""
from __future__ import annotations

from conference.attendees.models import Attendee
from conference.extensions import db
from conference.lengths import max_length
from conference.meetings.models import MeetingNotice


def notify(person: Attendee, about: Attendee | None, kind: str, text: str) -> None:
    """Tell `person` (by the next batched mail) that `text` happened; nothing when it is about someone
    who has hidden themselves."""
    if about is not None and about.hidden:
        return
    db.session.add(MeetingNotice(attendee_id=person.id, about_id=about.id if about else None, kind=kind,
                                 text=text[:max_length(MeetingNotice.text)]))
