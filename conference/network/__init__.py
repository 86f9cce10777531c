"""People to meet: suggestions from interests and mentoring, and dismissing them."""
from flask import Blueprint

bp = Blueprint("network", __name__)
