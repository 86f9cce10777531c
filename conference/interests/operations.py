"""What two people have in common, and where one can help the other."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from conference.extensions import db
from conference.interests.models import Interest

# The default list, from the article and the Pre-K–8 conference strands (PRODUCT.md).
DEFAULT_INTERESTS = [
    "Sharing resources", "Professional growth", "Mentoring (offering)", "Being mentored",
    "Aspiring to the principalship", "Early-career leadership", "Scheduling", "Problem solving",
    "School climate and culture", "Instructional leadership", "Equity", "Social-emotional learning",
    "Early childhood / Pre-K", "Literacy", "Math", "Technology and innovation",
    "Family and community engagement", "Staff hiring and retention", "Budget and operations",
    "Special education", "Leader well-being", "Building a PLN / social media",
]


@dataclass
class Match:
    shared: list[str] = field(default_factory=list)          # both chose it, either way
    they_help_me: list[str] = field(default_factory=list)    # they offer, I seek
    i_help_them: list[str] = field(default_factory=list)     # I offer, they seek
    shared_ids: set[int] = field(default_factory=set)

    @property
    def anything(self) -> bool:
        return bool(self.shared or self.they_help_me or self.i_help_them)


def match_between(viewer, subject) -> Match:
    """How `subject`'s interests meet `viewer`'s, as names in the conference's order."""
    mine, theirs = viewer.interest_names, subject.interest_names
    order = {ai.interest_id: (ai.interest.position, ai.interest.name) for ai in subject.interests}

    def names(ids) -> list[str]:
        return [theirs[i] for i in sorted(ids, key=lambda i: order[i])]

    shared = set(mine) & set(theirs)
    return Match(shared=names(shared), shared_ids=shared,
                 they_help_me=names(set(subject.offers) & set(viewer.seeks)),
                 i_help_them=names(set(viewer.offers) & set(subject.seeks)))


def add_default_interests(conference) -> None:
    """Give a new conference the default interest list (existing names are kept)."""
    existing = set(db.session.scalars(select(Interest.name).where(Interest.conference_id == conference.id)))
    for position, name in enumerate(DEFAULT_INTERESTS):
        if name not in existing:
            db.session.add(Interest(conference_id=conference.id, name=name, position=position))
    db.session.flush()
