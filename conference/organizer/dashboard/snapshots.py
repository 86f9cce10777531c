"""The live dashboard without recomputing it for every screen and every poll.

The figures are kept in a DashboardSnapshot row. A request gets them from there when they are at
most DASHBOARD_MAX_AGE_SECONDS old; when they are older it still gets them at once, and one worker
(whichever claims the row first) has the worker recompute them for the next poll. Only the first
request for a conference computes while it waits. DASHBOARD_MAX_AGE_SECONDS = 0 computes on every
request (the default under TESTING). Like badge jobs, this commits on its own. The figures are
stored as JSON (`encode`, `decode`): plain data that any release of the code can read or ignore.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.organizer.dashboard import meeting_stats
from conference.organizer.dashboard import disclosure, stats, tallies
from conference.organizer.dashboard.models import DashboardSnapshot
from conference.tasks import QUEUE_ERRORS, task

CLAIM_TIMEOUT = timedelta(seconds=60)  # a refresh that has not finished by then is tried again


def max_age() -> float:
    app = current_app
    return float(app.config.get("DASHBOARD_MAX_AGE_SECONDS", 0 if app.testing else 5))


FORMAT = 3  # bumped when the encoding changes: an older snapshot is then recomputed


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _interest(figure: stats.InterestFigure) -> list:
    return [figure.name, figure.retired, figure.offered.raw, figure.sought.raw]


def encode(board: stats.Dashboard) -> dict:
    """The dashboard as JSON-ready data."""
    return {"format": FORMAT, "conference_name": board.conference_name, "timezone": board.timezone,
            "computed_at": _when(board.computed_at), "overview": asdict(board.overview),
            "hours": [[_when(h.start), h.count, _when(h.utc)] for h in board.hours],
            "interests": [_interest(f) for f in board.interests],
            "roles": {"people": board.roles.people,
                      "directed": [[a, b, n] for (a, b), n in board.roles.directed.items()]},
            "states": [[code, n] for code, n in board.state_counts.items() if code], "no_state": board.no_state,
            "gaps": [_interest(f) for f in board.gaps],
            "meetings": asdict(board.meetings.counts) if board.meetings and board.meetings.counts else None}


def decode(data: dict) -> stats.Dashboard | None:
    """The dashboard `encode` wrote, or None for data in another format."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    count = disclosure.Count

    def interest(row: list) -> stats.InterestFigure:
        return stats.InterestFigure(name=row[0], retired=row[1], offered=count(row[2]), sought=count(row[3]))

    try:
        return stats.Dashboard(
            conference_name=data["conference_name"], timezone=data["timezone"],
            computed_at=_moment(data["computed_at"]), overview=stats.Overview(**data["overview"]),
            hours=[stats.HourCount(start=_moment(s), count=n, utc=_moment(u)) for s, n, u in data["hours"]],
            interests=[interest(r) for r in data["interests"]], gaps=[interest(r) for r in data["gaps"]],
            # Suppression is applied again by the same rule, from the raw numbers.
            **stats.breakdowns(dict(data["roles"]["people"]), {(a, b): n for a, b, n in data["roles"]["directed"]},
                               {**dict(data["states"]), "": data["no_state"]}),
            meetings=meeting_stats.build_figures(meeting_stats.MeetingCounts.from_json(data["meetings"]))
            if data.get("meetings") else None)
    except (KeyError, TypeError, ValueError):
        return None


def store(conference_id: int, board: stats.Dashboard) -> None:
    """Save freshly computed figures and release the refresh claim."""
    figures = encode(board)
    updated = db.session.execute(update(DashboardSnapshot).where(DashboardSnapshot.conference_id == conference_id)
                                 .values(figures=figures, computed_at=board.computed_at, refreshing_since=None))
    if updated.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(DashboardSnapshot(conference_id=conference_id, figures=figures,
                                                 computed_at=board.computed_at))
        except IntegrityError:
            pass  # another worker stored its copy a moment ago: as good as ours
    db.session.commit()


def _claim(conference_id: int) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(DashboardSnapshot).where(
            DashboardSnapshot.conference_id == conference_id,
            or_(DashboardSnapshot.refreshing_since.is_(None),
                DashboardSnapshot.refreshing_since < now - CLAIM_TIMEOUT))
        .values(refreshing_since=now)).rowcount == 1
    db.session.commit()
    return claimed


def fold_tallies(conference_id: int) -> None:
    """Merge the rows saves added to the dashboard's tallies since the last time, and commit."""
    try:
        tallies.fold(conference_id)
        db.session.commit()
    except DBAPIError:  # e.g. an attendee deleted at this moment: the rows stay for the next fold
        db.session.rollback()
        current_app.logger.warning("Folding the tallies of conference %s failed; retried next time", conference_id)


def refresh(conference_id: int) -> stats.Dashboard:
    fold_tallies(conference_id)
    board = stats.dashboard(db.session.get(Conference, conference_id))
    store(conference_id, board)
    return board


@task()
def refresh_in_background(conference_id: int) -> None:
    """The worker's refresh; a failure leaves the claim to time out, and the next stale poll tries again."""
    try:
        refresh(conference_id)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Dashboard refresh for conference %s failed", conference_id)


def current_dashboard(conference: Conference) -> stats.Dashboard:
    """The dashboard, at most DASHBOARD_MAX_AGE_SECONDS old (plus one recomputation) when caching."""
    limit = max_age()
    if limit <= 0:
        fold_tallies(conference.id)
        return stats.dashboard(conference)
    snapshot = db.session.get(DashboardSnapshot, conference.id)
    board = decode(snapshot.figures) if snapshot is not None else None
    if board is None:
        return refresh(conference.id)
    if utcnow() - snapshot.computed_at > timedelta(seconds=limit) and _claim(conference.id):
        try:
            refresh_in_background(conference.id)
        except QUEUE_ERRORS:  # the claim times out, and a later poll tries again
            current_app.logger.warning("The task queue is unreachable: the dashboard is not refreshed")
    return board
