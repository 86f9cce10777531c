"""Meeting in person: meeting times and spots, 1:1 meetings, problem-of-practice huddles, my schedule."""
from flask import Blueprint

bp = Blueprint("meetings", __name__)
