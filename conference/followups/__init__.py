"""Follow-ups: to-dos on a contact ("send our master schedule template", due Friday)."""
from flask import Blueprint

bp = Blueprint("followups", __name__)
