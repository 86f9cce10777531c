"""People to meet: who complements me, who shares my interests, who could mentor me.

The ranking runs in one SQL statement over the interest rows of the interests I chose (plus the
mentoring ones), so a 20,000-person conference costs a few thousand index rows, not a Python
loop over everyone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Boolean, and_, bindparam, case, delete, exists, func, or_, select, true, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from conference.attendees.models import Attendee
from conference.contacts.models import Connection
from conference.dialects import in_ids
from conference.errors import DomainError
from conference.extensions import db
from conference.interests.models import AttendeeInterest, Interest
from conference.interests.operations import match_between
from conference.network.models import Dismissal
from conference.privacy.operations import data_section

# Weights: one complementary match outweighs several plain shared interests.
THEY_HELP_ME = 4
I_HELP_THEM = 3
SHARED = 1
MENTOR_EXPERIENCED = 5
MENTOR = 3
MENTEE = 3

POOL_PER_INTEREST = 150
EXPERIENCED_YEARS = 5
EARLY_CAREER_YEARS = 3
# How far along the leadership path a role is: a mentor is further along than the mentee.
ROLE_STAGE = {"teacher_leader": 1, "aspiring_principal": 1, "other": 1, "assistant_principal": 2,
              "principal": 3, "district_leader": 4}
LEADER_ROLES = ("principal", "assistant_principal")


@dataclass
class Suggestion:
    attendee: Attendee
    score: int
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConferenceFacts:
    """What ranking needs from the conference: its span of attendee ids (for each viewer's pivot)
    and its interests about mentoring ("Mentoring (offering)", "Being mentored"), whatever the
    organizer named them."""
    low: int | None
    high: int | None
    mentoring: frozenset[int]


def conference_facts(conference_id: int) -> ConferenceFacts:
    """One round trip: the lowest and highest attendee id, and the mentoring interests."""
    a = Attendee.__table__
    span = select(func.min(a.c.id).label("low"), func.max(a.c.id).label("high")).where(
        a.c.conference_id == conference_id).subquery("span")
    rows = db.session.execute(
        select(span.c.low, span.c.high, Interest.id).select_from(span)
        .outerjoin(Interest, and_(Interest.conference_id == conference_id,
                                  func.lower(Interest.name).like("%mentor%")))).all()
    return ConferenceFacts(rows[0].low, rows[0].high, frozenset(r.id for r in rows if r.id is not None))


def _early_career(person: Attendee) -> bool:
    """A principal or assistant principal in their first EARLY_CAREER_YEARS in the role."""
    return (person.role in LEADER_ROLES and person.years_in_role is not None
            and person.years_in_role < EARLY_CAREER_YEARS)


def _is_mentee(person: Attendee, mentoring: frozenset[int]) -> bool:
    """Aspiring or early-career, or asked for mentoring."""
    if person.role in ("aspiring_principal", "teacher_leader") or _early_career(person):
        return True
    return any(ai.seeks and ai.interest_id in mentoring for ai in person.interests)


def _offers_mentoring(person: Attendee, mentoring: frozenset[int]) -> bool:
    return any(ai.offers and ai.interest_id in mentoring for ai in person.interests)


def _ahead(stage, years):
    """SQL for _further_along(candidate, me); `years` is -1 where unknown."""
    return or_(stage > bindparam("my_stage"), and_(stage == bindparam("my_stage"), years >= bindparam("ahead_years")))


def _behind(stage, years):
    """SQL for _further_along(me, candidate); `years` is -1 where unknown."""
    fewer_years = or_(and_(years == -1, bindparam("unknown_is_behind", type_=Boolean)),
                      and_(years >= 0, years <= bindparam("behind_years")))
    return or_(stage < bindparam("my_stage"), and_(stage == bindparam("my_stage"), fewer_years))


def may_suggest(me, conference_id) -> list:
    """Who may be suggested to `me` (an id or a bound parameter), as SQL conditions on Attendee:
    someone at the same conference who joined or claimed their profile, is not hidden, and is not
    `me`, and neither of us has saved the other. The list, dismissing and its undo all use this."""
    a = Attendee.__table__
    return [a.c.conference_id == conference_id, a.c.id != me, a.c.hidden.is_(False), Attendee.has_joined,
            ~exists().where(Connection.owner_id == me, Connection.contact_id == a.c.id),
            ~exists().where(Connection.owner_id == a.c.id, Connection.contact_id == me)]


@lru_cache(maxsize=64)
def _pool_statement(interests: int):
    """Candidates: for each of `interests` interests (bound as interest_0, ...), the
    POOL_PER_INTEREST people on either side of `pivot`, in attendee order from the covering index."""
    ai = AttendeeInterest.__table__
    windows = []
    for n in range(interests):
        for above in (True, False):
            side = ai.c.attendee_id >= bindparam("pivot") if above else ai.c.attendee_id < bindparam("pivot")
            window = (select(ai.c.attendee_id).where(ai.c.interest_id == bindparam(f"interest_{n}"), side)
                      .order_by(ai.c.attendee_id if above else ai.c.attendee_id.desc())
                      .limit(POOL_PER_INTEREST).subquery())
            windows.append(select(window.c.attendee_id))
    return union(*windows)


@lru_cache(maxsize=32)
def _score_statement(mentee: bool, mentor: bool, limit: int):
    """Score the pool (bound as `pool`) for one viewer; the viewer's figures are parameters, so the
    statement is built once per shape and SQLAlchemy's compiled cache does the rest."""
    ai = AttendeeInterest.__table__
    a = Attendee.__table__
    seeks, offers = bindparam("seeks", expanding=True), bindparam("offers", expanding=True)
    mine, mentoring = bindparam("mine", expanding=True), bindparam("mentoring", expanding=True)
    pool = in_ids(a.c.id, "pool")
    me = bindparam("me")
    # Each candidate's interest rows are read per candidate (a few rows by primary key): joined
    # to the pool instead, PostgreSQL expected too many and scanned every interest row.
    points = (select(func.coalesce(func.sum(
        case((and_(ai.c.offers, ai.c.interest_id.in_(seeks)), THEY_HELP_ME), else_=0)
        + case((and_(ai.c.seeks, ai.c.interest_id.in_(offers)), I_HELP_THEM), else_=0)
        + case((ai.c.interest_id.in_(mine), SHARED), else_=0)), 0))
        .where(ai.c.attendee_id == a.c.id).scalar_subquery())
    score = points
    stage = case(ROLE_STAGE, value=a.c.role, else_=1)
    years = func.coalesce(a.c.years_in_role, -1)
    if mentee:
        mentors = exists().where(ai.c.attendee_id == a.c.id, ai.c.offers, ai.c.interest_id.in_(mentoring))
        score = score + case(
            (and_(_ahead(stage, years), mentors),
             case((a.c.years_in_role >= EXPERIENCED_YEARS, MENTOR_EXPERIENCED), else_=MENTOR)),
            else_=0)
    if mentor:
        wants = exists().where(ai.c.attendee_id == a.c.id, ai.c.seeks, ai.c.interest_id.in_(mentoring))
        score = score + case((and_(_behind(stage, years), or_(a.c.role == "aspiring_principal", wants)), MENTEE),
                             else_=0)
    score = score.label("score")
    # Equal scores come in a different order for each viewer, so the same few people are not
    # everyone's first suggestion. Nobody scores below 0: those at 0 sort last and are dropped by
    # the caller, so the score is computed once per candidate (a WHERE on it computed it twice).
    # The winners come with their interests (for the reasons), in the same round trip.
    return (select(Attendee, score)
            .where(pool, *may_suggest(me, bindparam("conference_id")),
                   ~exists().where(Dismissal.owner_id == me, Dismissal.dismissed_id == a.c.id))
            .order_by(score.desc(), ((a.c.id % 10007) * 7919 + bindparam("salt")) % 10007, a.c.id)
            .limit(limit)
            .options(joinedload(Attendee.interests), lazyload(Attendee.conference), lazyload(Attendee.channels)))


def _ranked(me: Attendee, limit: int, facts: ConferenceFacts) -> list[tuple[Attendee, int]]:
    """(attendee, score), best first, exclusions included."""
    mentoring = facts.mentoring
    offers = {i.interest_id for i in me.interests if i.offers}
    seeks = {i.interest_id for i in me.interests if i.seeks}
    mine = offers | seeks
    scan = sorted(mine | mentoring)
    if not scan:
        return []
    # Candidates: for each interest, the POOL_PER_INTEREST people on either side of a point in
    # the conference that is fixed for this viewer (so the list is stable between visits and
    # differs between viewers). A conference where no interest has more than twice that many
    # people is ranked in full; a larger one, within a pool of a few thousand.
    # The pivot is computed once here: as a subquery, PostgreSQL re-ran it in every window.
    pivot = facts.low + (me.id * 7919) % (facts.high - facts.low + 1)
    pool = db.session.scalars(_pool_statement(len(scan)),
                              {"pivot": pivot, **{f"interest_{n}": i for n, i in enumerate(scan)}}).all()
    if not pool:
        return []
    # The pool is a separate statement: inside one, PostgreSQL expected thousands of candidates
    # and hash-joined them with a scan of every interest row and every attendee; with the ids
    # known, it reads the few hundred people and their interest rows by primary key.
    years = me.years_in_role
    statement = _score_statement(_is_mentee(me, mentoring), _offers_mentoring(me, mentoring), limit)
    rows = db.session.execute(statement, {
        "pool": pool, "seeks": sorted(seeks), "offers": sorted(offers), "mine": sorted(mine),
        "mentoring": sorted(mentoring), "me": me.id, "conference_id": me.conference_id,
        "my_stage": ROLE_STAGE.get(me.role, 1),
        "ahead_years": years + EARLY_CAREER_YEARS if years is not None else EXPERIENCED_YEARS,
        "unknown_is_behind": years is not None and years >= EXPERIENCED_YEARS,
        "behind_years": years - EARLY_CAREER_YEARS if years is not None else -1,
        "salt": (me.id * 104729) % 10007})
    return [(person, score) for person, score in rows.unique() if score > 0]


def _reasons(me: Attendee, other: Attendee, mentoring: frozenset[int]) -> list[str]:
    """Why this person, in the order that weighs most."""
    reasons: list[str] = []
    mentor_ids = {ai.interest_id for ai in other.interests if ai.interest_id in mentoring}
    if _is_mentee(me, mentoring) and _offers_mentoring(other, mentoring) and _further_along(other, me):
        experienced = other.years_in_role is not None and other.years_in_role >= EXPERIENCED_YEARS
        who = f"experienced {other.role_label.lower()}" if experienced else other.role_label.lower()
        reasons.append(f"{_article(who).capitalize()} open to mentoring — you are {_article(_my_stage_label(me))}")
    elif (_offers_mentoring(me, mentoring) and _further_along(me, other)
          and (other.role == "aspiring_principal" or any(ai.seeks and ai.interest_id in mentoring
                                                         for ai in other.interests))):
        reasons.append(f"{_article(other.role_label.lower()).capitalize()} looking for mentoring"
                       " — you offer mentoring")
    match = match_between(me, other)
    names = {ai.interest_id: ai.interest.name for ai in other.interests}
    mentoring_names = {names[i] for i in mentor_ids}
    for name in match.they_help_me:
        if name not in mentoring_names or not reasons:
            reasons.append(f"Can help with {_in_sentence(name)}, which you are looking for")
    for name in match.i_help_them:
        if name not in mentoring_names or not reasons:
            reasons.append(f"Is looking for {_in_sentence(name)}, which you can help with")
    plain = [n for n in match.shared if n not in match.they_help_me and n not in match.i_help_them]
    if plain:
        listed = [_in_sentence(n) for n in plain[:3]]
        text = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
        reasons.append(f"Both interested in {text}" + (f" (+{len(plain) - 3} more)" if len(plain) > 3 else ""))
    return reasons


def _in_sentence(name: str) -> str:
    """'School climate and culture' -> 'school climate and culture'; 'PLN basics' and 'Pre-K' keep theirs."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and (first.isupper() or any(ch.isupper() for ch in first[1:])):
        return name
    return name[:1].lower() + name[1:]


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _my_stage_label(me: Attendee) -> str:
    if _early_career(me):
        return f"early-career {me.role_label.lower()}"
    return me.role_label.lower()


def _further_along(mentor: Attendee, mentee: Attendee) -> bool:
    a, b = ROLE_STAGE.get(mentor.role, 1), ROLE_STAGE.get(mentee.role, 1)
    if a != b:
        return a > b
    if mentor.years_in_role is None:
        return False
    if mentee.years_in_role is None:
        return mentor.years_in_role >= EXPERIENCED_YEARS
    return mentor.years_in_role >= mentee.years_in_role + EARLY_CAREER_YEARS


def suggestions_for(me: Attendee, limit: int = 10) -> list[Suggestion]:
    """People `me` has not saved (and who have not saved `me`), best match first, with reasons."""
    facts = conference_facts(me.conference_id)
    mentoring = facts.mentoring
    return [Suggestion(person, score, _reasons(me, person, mentoring)) for person, score in _ranked(me, limit, facts)]


def _suggestable(me: Attendee, attendee_id: int, dismissed: bool) -> Attendee:
    """Someone `me` could be shown as a suggestion (and, with `dismissed`, has dismissed); anyone
    else, whatever the reason, is the same "not found", so no id tells a name or why."""
    other = db.session.scalar(
        select(Attendee).where(Attendee.id == attendee_id, *may_suggest(me.id, me.conference_id),
                               exists().where(Dismissal.owner_id == me.id, Dismissal.dismissed_id == attendee_id)
                               if dismissed else true())
        .options(lazyload(Attendee.interests), lazyload(Attendee.conference), lazyload(Attendee.channels)))
    if other is None:
        raise DomainError("Nobody to show here.")
    return other


def dismiss(me: Attendee, attendee_id: int) -> Attendee:
    """Stop suggesting this person to `me` (dismissing twice is fine)."""
    other = _suggestable(me, attendee_id, dismissed=False)
    if db.session.get(Dismissal, (me.id, other.id)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(Dismissal(owner_id=me.id, dismissed_id=other.id))
                db.session.flush()
        except IntegrityError:
            pass  # dismissed at the same moment from another tab
    return other


def undo_dismiss(me: Attendee, attendee_id: int) -> Attendee:
    """Suggest this person again."""
    other = _suggestable(me, attendee_id, dismissed=True)
    db.session.execute(delete(Dismissal).where(Dismissal.owner_id == me.id, Dismissal.dismissed_id == other.id))
    db.session.flush()
    return other


def dismissed_count(me: Attendee) -> int:
    return db.session.scalar(select(func.count()).select_from(Dismissal).where(Dismissal.owner_id == me.id)) or 0


@data_section("people_i_chose_not_to_see")
def _my_dismissals(me: Attendee) -> list[str]:
    """For the /me/data download: names only."""
    return list(db.session.scalars(select(Attendee.name).join(Dismissal, Dismissal.dismissed_id == Attendee.id)
                                   .where(Dismissal.owner_id == me.id).order_by(Attendee.name)))
