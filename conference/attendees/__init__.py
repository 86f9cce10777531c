"""Attendees: joining a conference and the profile a badge shows."""
from flask import Blueprint

bp = Blueprint("attendees", __name__)

