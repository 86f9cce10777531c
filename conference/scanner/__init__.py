"""The in-app scanner: camera, typed codes, and scans queued offline then synced exactly once."""
from flask import Blueprint

bp = Blueprint("scanner", __name__)
