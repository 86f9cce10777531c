"""The organizer console: registrants, printed badges, the live dashboard, exports."""
from flask import Blueprint

from conference.events.operations import local_time

# cli_group=None: its commands are top-level (`flask create-organizer`, `flask import-registrants` ...).
bp = Blueprint("organizer", __name__, url_prefix="/organize", cli_group=None)


@bp.app_template_filter("venue_time")
def venue_time(moment, conference, pattern: str = "%H:%M:%S %Z") -> str:
    """A stored (UTC) moment on the conference's clock: the console shows one time zone, the venue's."""
    return local_time(conference, moment).strftime(pattern)
