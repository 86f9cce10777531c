"""The live dashboard page."""
from __future__ import annotations

from conference.htmx import render
from conference.organizer import bp
from conference.organizer.access.decorators import organizer_required
from conference.organizer.dashboard import charts, snapshots


@bp.get("/<slug>/")
@organizer_required
def dashboard(conference):
    """The live dashboard: figures and charts, refreshed every few seconds while the page is visible."""
    board = snapshots.current_dashboard(conference)
    return render("organizer/dashboard.html", "dashboard", conference=conference, board=board,
                  hours_chart=charts.hours_chart(board.hours), interests_chart=charts.interests_chart(board.interests),
                  hours_summary=charts.hours_summary(board.hours),
                  interests_summary=charts.interests_summary(board.interests))
