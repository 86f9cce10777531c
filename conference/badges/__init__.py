"""Badges: the code, its QR and the page a person shows to be scanned."""
from flask import Blueprint

bp = Blueprint("badges", __name__)

