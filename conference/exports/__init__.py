"""Exports: contacts as vCard and CSV, to take home."""
from flask import Blueprint

bp = Blueprint("exports", __name__)

