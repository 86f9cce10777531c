"""Issuing badge codes: fresh ones, never a deleted account's."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from conference.badges.codes import new_code
from conference.badges.models import RetiredBadgeCode
from conference.extensions import db


def retired_among(codes: Iterable[str]) -> set[str]:
    """The codes of `codes` that belonged to deleted accounts."""
    codes = set(codes)
    if not codes:
        return set()
    return set(db.session.scalars(select(RetiredBadgeCode.code).where(RetiredBadgeCode.code.in_(codes))))


def is_retired(code: str) -> bool:
    """True if `code` belonged to an account that was deleted."""
    return code in retired_among([code])


def fresh_codes(count: int) -> list[str]:
    """`count` distinct new badge codes, none of them a deleted account's (those never come back)."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.update(new_code() for _ in range(count - len(codes)))
        codes -= retired_among(codes)
    return list(codes)


def new_badge_code() -> str:
    """One fresh badge code."""
    return fresh_codes(1)[0]
