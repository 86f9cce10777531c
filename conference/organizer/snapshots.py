"""The live dashboard without recomputing it for every screen and every poll.

The figures are kept in a DashboardSnapshot row. A request gets them from there when they are at
most DASHBOARD_MAX_AGE_SECONDS old; when they are older it still gets them at once, and one worker
(whichever claims the row first) recomputes them in a background thread for the next poll. Only the
first request for a conference computes while it waits. DASHBOARD_MAX_AGE_SECONDS = 0 computes on
every request (the default under TESTING). Like badge jobs, this commits on its own.
"""
from __future__ import annotations

import pickle
import threading
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from conference.events.models import Conference, utcnow
from conference.extensions import db
from conference.organizer import stats, tallies
from conference.organizer.models import DashboardSnapshot

CLAIM_TIMEOUT = timedelta(seconds=60)  # a refresh that has not finished by then is tried again


def max_age() -> float:
    app = current_app
    return float(app.config.get("DASHBOARD_MAX_AGE_SECONDS", 0 if app.testing else 5))


def _load(snapshot: DashboardSnapshot) -> stats.Dashboard | None:
    try:
        board = pickle.loads(snapshot.payload)  # noqa: S301  (our own row, written by store())
    except Exception:  # a snapshot from an older version of the code: recompute
        return None
    return board if isinstance(board, stats.Dashboard) else None


def store(conference_id: int, board: stats.Dashboard) -> None:
    """Save freshly computed figures and release the refresh claim."""
    payload = pickle.dumps(board, protocol=pickle.HIGHEST_PROTOCOL)
    updated = db.session.execute(update(DashboardSnapshot).where(DashboardSnapshot.conference_id == conference_id)
                                 .values(payload=payload, computed_at=board.computed_at, refreshing_since=None))
    if updated.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(DashboardSnapshot(conference_id=conference_id, payload=payload,
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


def _refresh_in_background(conference_id: int) -> None:
    app = current_app._get_current_object()
    if app.config.get("DASHBOARD_REFRESH_INLINE"):
        refresh(conference_id)
        return

    def work() -> None:
        with app.app_context():
            try:
                refresh(conference_id)
            except Exception:
                db.session.rollback()
                app.logger.exception("Dashboard refresh for conference %s failed", conference_id)
            finally:
                db.session.remove()

    threading.Thread(target=work, name=f"dashboard-{conference_id}", daemon=True).start()


def current_dashboard(conference: Conference) -> stats.Dashboard:
    """The dashboard, at most DASHBOARD_MAX_AGE_SECONDS old (plus one recomputation) when caching."""
    limit = max_age()
    if limit <= 0:
        fold_tallies(conference.id)
        return stats.dashboard(conference)
    snapshot = db.session.get(DashboardSnapshot, conference.id)
    board = _load(snapshot) if snapshot is not None else None
    if board is None:
        return refresh(conference.id)
    if utcnow() - snapshot.computed_at > timedelta(seconds=limit) and _claim(conference.id):
        _refresh_in_background(conference.id)
    return board
