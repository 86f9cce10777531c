"""The organizer console: registrants, printed badges, the live dashboard, exports."""
from flask import Blueprint

# cli_group=None: its commands are top-level (`flask create-organizer`, `flask import-registrants` ...).
bp = Blueprint("organizer", __name__, url_prefix="/organize", cli_group=None)
