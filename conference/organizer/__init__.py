"""The organizer console: one blueprint (`organizer`, under /organize) whose pages live in sub-packages
named for their jobs: access (who organizes what, the team), settings (the conference and its
interest list), meeting_frame (meeting times and spots), registrants (import, claims), printing
(badge PDFs), dashboard (tallies, snapshots, figures, charts) and exports."""
from flask import Blueprint

from conference.events.operations import local_time

# cli_group=None: its commands are top-level (`flask create-organizer`, `flask import-registrants` ...).
bp = Blueprint("organizer", __name__, url_prefix="/organize", cli_group=None)


@bp.app_template_filter("venue_time")
def venue_time(moment, conference, pattern: str = "%H:%M:%S %Z") -> str:
    """A stored (UTC) moment on the conference's clock: the console shows one time zone, the venue's."""
    return local_time(conference, moment).strftime(pattern)
